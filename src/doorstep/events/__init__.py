"""Inbound events: doorstep's own format, the intake every source shares, and their processing."""
