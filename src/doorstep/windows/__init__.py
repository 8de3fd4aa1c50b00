"""Arrival windows: learned from the operator's own stop history, re-estimated as stops complete."""
