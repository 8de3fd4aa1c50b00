"""Workflows: pure decisions. `decide(state, event, now, policy) -> actions`; no I/O here."""
