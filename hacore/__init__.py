"""hacore: a Heartbeat-compatible high-availability cluster core."""

__version__ = "0.1.0"
