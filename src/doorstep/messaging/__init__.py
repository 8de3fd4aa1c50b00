"""Messaging: the outbox, channels, templates, consent and quiet hours, reply understanding."""
