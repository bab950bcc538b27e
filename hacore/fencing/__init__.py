"""Fencing: STONITH devices, the layer that stands between a peer's death and failover,
the watchdog and realtime scheduling (issue 13, "never two holders")."""

from hacore.fencing.devices import resolve_device
from hacore.fencing.fencer import Fencer, FenceState, FenceTarget

__all__ = ["FenceState", "FenceTarget", "Fencer", "resolve_device"]
