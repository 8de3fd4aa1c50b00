"""notify: what recipients are told before, during and after their delivery, and when."""
