"""Persistence: tables, the mapping of domain entities onto them, repositories, migrations."""
