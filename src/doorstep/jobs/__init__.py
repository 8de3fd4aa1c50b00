"""Background work on Huey: one registry of tasks; tasks take ids and open their own session."""
