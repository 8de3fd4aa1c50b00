"""doorstep: the communication and coordination layer of a last-mile delivery operator."""

__version__ = "0.1.0"
