"""Channels: one small interface, a real, a development and a test face for each."""
