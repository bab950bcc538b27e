"""Turn ha.cf's ``stonith``/``stonith_host`` line into a device, through the plugins."""

from __future__ import annotations

from hacore.api import ConfigError, FenceDevice, FenceRequest
from hacore.config.model import StonithLine
from hacore.plugins import PluginRegistry


def request_for(line: StonithLine) -> FenceRequest:
    return FenceRequest(line.type, line.params, line.file, line.location)


def resolve_device(registry: PluginRegistry, line: StonithLine) -> FenceDevice:
    """The device a plugin builds for ``line``; Heartbeat's error when none knows it."""
    try:
        device: FenceDevice | None = registry.hook.hacore_fence_device(request=request_for(line))
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.location or line.location) from None
    except Exception as exc:
        raise ConfigError(
            f"STONITH type [{line.type}]: a plugin failed to build it: {type(exc).__name__}: {exc}",
            line.location,
        ) from None
    if device is None:
        raise ConfigError(f"Invalid Stonith type [{line.type}]", line.location)
    return device
