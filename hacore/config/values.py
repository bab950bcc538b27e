"""Value checkers shared by the ha.cf directives: Heartbeat's booleans, numbers, times.

Each raises :class:`ConfigError` (without a location: the reader adds the line) with a
message that says what was expected. Where Heartbeat accepts junk silently (``atoi``
turns ``abc`` into 0) these are stricter on purpose: a typo must not become a setting.
"""

from __future__ import annotations

import ipaddress
import re

from hacore.api import ConfigError
from hacore.config.timeparse import parse_msec

_TRUE = frozenset({"true", "on", "yes", "y", "1"})
_FALSE = frozenset({"false", "off", "no", "n", "0"})
_INTEGER = re.compile(r"[+-]?\d+")
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)


def boolean(value: str, directive: str) -> bool:
    """glue's ``cl_str_to_boolean``: true/on/yes/y/1 or false/off/no/n/0, any case."""
    word = value.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{directive} [{value}] is not a boolean: use on/off, yes/no or true/false")


def integer(value: str, directive: str, low: int, high: int | None = None) -> int:
    if not _INTEGER.fullmatch(value):
        raise ConfigError(f"{directive} [{value}] is not an integer")
    number = int(value)
    if number < low or (high is not None and number > high):
        allowed = f"{low}..{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{directive} [{value}] is out of range ({allowed})")
    return number


def msec(value: str, directive: str, minimum: int = 0) -> int:
    """A Heartbeat time in ms, at least ``minimum``."""
    try:
        ms = parse_msec(value)
    except ValueError as exc:
        raise ConfigError(f"{directive} {exc}") from None
    if ms < minimum:
        raise ConfigError(f"{directive} [{value}] must be at least {minimum} ms")
    return ms


def is_hostname(text: str) -> bool:
    return bool(_HOSTNAME.fullmatch(text))


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_port(value: str, directive: str) -> str:
    """``ADDRESS:PORT`` or ``[IPv6]:PORT``; returned unchanged once it is known to be sane."""
    host, sep, port = value.rpartition(":")
    problem = f"{directive} [{value}] must be ADDRESS:PORT, e.g. 127.0.0.1:9100 or [::1]:9100"
    if not sep or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        raise ConfigError(problem)
    if host.startswith("[") and host.endswith("]"):
        if ":" not in host or not is_ip(host[1:-1]):
            raise ConfigError(problem)
    elif ":" in host or not (is_ip(host) or is_hostname(host)):
        raise ConfigError(problem)
    return value
