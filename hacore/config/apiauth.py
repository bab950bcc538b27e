"""``apiauth CLIENT [uid=a,b] [gid=c]``: who may use the local API as CLIENT.

Parsed like Heartbeat's ``set_api_authorization``: at least one list, each at most once,
names resolved against the local user and group databases now (a typo fails the check,
not the first connection). Numeric ids are taken as they are.
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Callable

from hacore.api import ConfigError, SourceLocation
from hacore.config.model import ApiAuth

# Heartbeat's built-in entries, used unless ha.cf names the same client (config.c defserv).
DEFAULT_APIAUTH: dict[str, ApiAuth] = {
    "ipfail": ApiAuth("ipfail", uids=("hacluster",)),
    "ccm": ApiAuth("ccm", uids=("hacluster",)),
    "ping": ApiAuth("ping", gids=("haclient",)),
    "lha-snmpagent": ApiAuth("lha-snmpagent", uids=("root",)),
    "anon": ApiAuth("anon", uids=("root",), gids=("haclient",)),
}
SYNTAX = "Syntax: apiauth client [uid=uidlist] [gid=gidlist]"


def parse_apiauth(rest: str, where: SourceLocation) -> ApiAuth:
    """Parse the text after ``apiauth``; ``ConfigError`` with Heartbeat's wording."""
    words = rest.split()
    if not words:
        raise ConfigError(f"Invalid apiauth directive [{rest}]; {SYNTAX}")
    client = words[0]
    found: dict[str, str | None] = {"uid": None, "gid": None}
    for word in words[1:]:
        kind, sep, ids = word.partition("=")
        if not sep or kind not in found:
            raise ConfigError(f"Missing uid or gid in apiauth (at [{word}]); {SYNTAX}")
        if found[kind] is not None:
            raise ConfigError(f"Duplicate {kind} list in apiauth")
        found[kind] = ids
    uids, gids = found["uid"], found["gid"]
    if uids is None and gids is None:
        raise ConfigError(f"Invalid apiauth directive [{rest}]; {SYNTAX}")
    return ApiAuth(
        client=client,
        uids=_resolve(uids, "user", _user_exists),
        gids=_resolve(gids, "group", _group_exists),
        location=where,
    )


def _resolve(id_list: str | None, kind: str, exists: Callable[[str], bool]) -> tuple[str, ...]:
    if id_list is None:
        return ()
    names = tuple(name for name in id_list.split(",") if name)
    for name in names:
        if not name[0].isdigit() and not exists(name):
            raise ConfigError(f"Invalid {kind} id name [{name}]; Bad {kind[0]}id list [{id_list}]")
    return names


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True
