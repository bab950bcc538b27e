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
_NODE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
MAX_NAME_CHARS = 99
"""Heartbeat's HOSTLENG (100) less the NUL: the longest node name."""
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


def printable(text: str, limit: int = 40) -> str:
    """``text`` safe to quote in a one-line message: escapes shown, long text cut."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= limit else f"{escaped[:limit]}…"


def node_name(value: str, what: str = "Node name") -> str:
    """A cluster node name, lowercased: a host name of at most :data:`MAX_NAME_CHARS`.

    Heartbeat copies names into ``HOSTLENG`` (100 byte) buffers, silently cutting a
    longer one, and sends them in ``src=``/``dest=`` fields where a newline, ``=`` or a
    backslash corrupt the message. Such names are refused here instead.
    """
    if len(value) > MAX_NAME_CHARS:
        raise ConfigError(
            f"{what} [{printable(value)}] is too long "
            f"({len(value)} characters, limit {MAX_NAME_CHARS})"
        )
    if not _NODE_NAME.fullmatch(value):
        raise ConfigError(
            f"{what} [{printable(value)}] is not a host name "
            "(letters, digits, '.', '-' and '_'; starting with a letter, digit or '_')"
        )
    return value.lower()


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
