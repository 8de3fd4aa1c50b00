"""People and machines: users with passwords, sessions, API tokens and the login throttle."""
