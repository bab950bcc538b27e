"""authkeys, read exactly as Heartbeat 3.0.6 reads it (``parse_authfile``).

Both nodes must agree on the file byte for byte, so the reading rules are Heartbeat's,
including the odd ones: any line starting with ``a`` is an ``auth`` line, ``1crc`` is
``1 crc``, a key is one whitespace-free token and the rest of the line is ignored, and
``auth N`` only selects a key defined *after* it (the file is read once, top down).
Messages are Heartbeat's own, so operators can search for them.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import NoReturn

from hacore.api import ConfigError, SourceLocation
from hacore.config.files import binary_problem, long_line_problem, read_bounded
from hacore.config.model import AuthKey, AuthKeys, ConfigErrors
from hacore.plugins import PluginRegistry

MAXAUTH = 16
AUTH_FAILED = "Authentication configuration error."

_WHITESPACE = " \t\n\r\f"
_AUTH_LINE = re.compile(r"auth\s*([+-]?\d+)")  # sscanf(bp, "auth %d")
_KEY_LINE = re.compile(r"([+-]?\d+)\s*(\S+)(?:\s+(\S+))?")  # sscanf(bp, "%d%s%s")


def parse_authkeys(
    path: Path, registry: PluginRegistry, *, shown_as: str | None = None
) -> AuthKeys:
    """Read authkeys; raise :class:`ConfigErrors` listing every problem, as Heartbeat does.

    ``shown_as`` is the path as messages print it (the loader passes Heartbeat's
    ``<dir>//authkeys`` form).
    """
    shown = shown_as or str(path)
    try:
        data, mode = read_bounded(path, shown)
    except ConfigError as exc:
        _fail([exc])
    except OSError:
        _fail([ConfigError(f"Cannot open keyfile [{shown}].  Stop.")])
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        _fail([ConfigError(f"Bad permissions on keyfile [{shown}], 600 recommended.")])
    binary = binary_problem(data, path)
    if binary is not None:
        _fail([binary])
    return _parse(data.decode("latin-1"), path, shown, registry)


def _parse(text: str, path: Path, shown: str, registry: PluginRegistry) -> AuthKeys:
    problems: list[ConfigError] = []
    keys: dict[int, AuthKey] = {}
    authnum = -1
    active: int | None = None
    for lineno, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.rstrip("\r")
        where = SourceLocation(path, lineno)
        too_long = long_line_problem(line, where)
        if too_long is not None:
            problems.append(too_long)
            continue
        body = line.lstrip(_WHITESPACE)
        if not body or body.startswith("#"):
            continue
        if body.startswith("a"):
            selected = _AUTH_LINE.match(body)
            if selected is None:
                problems.append(ConfigError(f"Invalid auth line [{line}] in {shown}", where))
            else:
                authnum = int(selected.group(1))
            continue
        entry = _KEY_LINE.match(body)
        if entry is None:
            problems.append(ConfigError(f"Auth line [{line}] is invalid.", where))
            continue
        try:
            key = _key_entry(entry, registry, shown, where)
        except ConfigError as exc:
            problems.append(exc)
            continue
        keys[key.index] = key
        if key.index == authnum:
            active = key.index
    if active is None:
        problems.append(_no_active_key(authnum, keys, shown))
    if problems:
        _fail(problems)
    assert active is not None
    return AuthKeys(active=active, keys=keys)


def _key_entry(
    entry: re.Match[str], registry: PluginRegistry, shown: str, where: SourceLocation
) -> AuthKey:
    index, method_name, key = int(entry.group(1)), entry.group(2), entry.group(3)
    if not 0 <= index < MAXAUTH:
        raise ConfigError(f"Invalid authnum [{index}] in {shown}", where)
    method = registry.auth_methods.get(method_name)
    if method is None:
        known = ", ".join(sorted(registry.auth_methods)) or "none loaded"
        raise ConfigError(f"Invalid authtype [{method_name}] (known: {known})", where)
    if key and not method.key_required:
        raise ConfigError(f"Auth method [{method_name}] doesn't use a key", where)
    if not key and method.key_required:
        raise ConfigError(f"Auth method [{method_name}] requires a key", where)
    secret = key.encode("latin-1") if key else None
    return AuthKey(index=index, method=method, key=secret, location=where)


def _no_active_key(authnum: int, keys: dict[int, AuthKey], shown: str) -> ConfigError:
    if authnum < 0:
        return ConfigError(f"Missing auth directive in keyfile [{shown}]")
    message = f"Auth Key [{authnum}] not found in keyfile [{shown}]"
    if authnum in keys:
        message += f" (the 'auth {authnum}' line must come before the key line it selects)"
    return ConfigError(message)


def _fail(problems: list[ConfigError]) -> NoReturn:
    raise ConfigErrors(problems, closing=[AUTH_FAILED])
