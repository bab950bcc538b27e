"""``ADDR:PORT`` values of the hacore-only ha.cf directives (api_listen, metrics_listen)."""

from __future__ import annotations

import ipaddress

from hacore.api import ConfigError


def parse_host_port(value: str, directive: str) -> tuple[str, int]:
    """Split ``10.0.0.1:9100``, ``[::1]:9100`` or ``localhost:9100``; port 0 picks one.

    Raises ConfigError naming the directive when the value cannot be a listen address.
    """
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not (port_text.isascii() and port_text.isdigit()):
        raise ConfigError(f"{directive} {value!r}: expected ADDR:PORT (IPv6 as [ADDR]:PORT)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ConfigError(f"{directive} {value!r}: {exc}") from None
    elif ":" in host:
        raise ConfigError(f"{directive} {value!r}: write an IPv6 address as [ADDR]:PORT")
    port = int(port_text)
    if port > 65535:
        raise ConfigError(f"{directive} {value!r}: port must be 0-65535")
    return host, port
