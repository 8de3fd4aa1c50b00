"""Route platforms (Onfleet, Circuit for Teams, OptimoRoute): their events in, in doorstep's
words; syncs of what they plan; the writes doorstep owes them, each read back."""
