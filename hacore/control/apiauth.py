"""Who may use the control API on the unix socket: Heartbeat's apiauth, applied to
the caller's kernel credentials.

Heartbeat checks a client against its own apiauth entry, or ``anon`` for casual
clients such as cl_status (docs/protocol.md §11.2). The gRPC API has no sign-on with a client
name, so its callers are checked as client ``hactl`` when ha.cf has an
``apiauth hactl`` entry, and otherwise as the casual client ``anon`` (built-in
``anon uid=root gid=haclient``). ``default`` applies to named clients only and is
therefore not consulted. Root is always allowed.

A caller matches when its uid is in the entry's uid list, or its primary gid or one
of its supplementary groups (both from the kernel: SO_PEERCRED, SO_PEERGROUPS) is in
the gid list. Heartbeat looked at the primary gid only; with the socket itself
restricted to group ``haclient``, members who have it as a supplementary group would
otherwise be let through the door and refused at the desk.
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Mapping
from dataclasses import dataclass

from hacore.config.apiauth import DEFAULT_APIAUTH
from hacore.config.model import ApiAuth

API_CLIENT = "hactl"
CASUAL_CLIENT = "anon"


@dataclass(frozen=True)
class PeerCredentials:
    """The kernel's word on who is at the other end of a unix socket."""

    pid: int
    uid: int
    gid: int
    groups: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"uid {self.uid} ({_user_name(self.uid)}) gid {self.gid} ({_group_name(self.gid)})"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    client: str  # the apiauth entry that decided ("root" when no entry was needed)
    reason: str


def effective_entries(configured: Mapping[str, ApiAuth]) -> dict[str, ApiAuth]:
    """Heartbeat's built-in entries, each replaced by ha.cf's entry of the same name."""
    return {**DEFAULT_APIAUTH, **configured}


def authorize(peer: PeerCredentials, configured: Mapping[str, ApiAuth]) -> Decision:
    if peer.uid == 0:
        return Decision(True, "root", "root is always allowed")
    entries = effective_entries(configured)
    client = API_CLIENT if API_CLIENT in entries else CASUAL_CLIENT
    entry = entries[client]  # anon is built in, so one of the two always exists
    uids = {uid for uid in map(_resolve_uid, entry.uids) if uid is not None}
    gids = {gid for gid in map(_resolve_gid, entry.gids) if gid is not None}
    if peer.uid in uids:
        return Decision(True, client, f"uid {peer.uid} is in apiauth {client}")
    matching = [gid for gid in (peer.gid, *peer.groups) if gid in gids]
    if matching:
        return Decision(True, client, f"group {matching[0]} is in apiauth {client}")
    where = f" ({entry.location})" if entry.location else ""
    return Decision(
        False,
        client,
        f"{peer.describe()} is not allowed to use the hacore API: "
        f"apiauth {_format_entry(entry)}{where} does not list it",
    )


def _format_entry(entry: ApiAuth) -> str:
    parts = [entry.client]
    if entry.uids:
        parts.append("uid=" + ",".join(entry.uids))
    if entry.gids:
        parts.append("gid=" + ",".join(entry.gids))
    return " ".join(parts)


def _resolve_uid(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        return int(token)
    try:
        return pwd.getpwnam(token).pw_uid
    except KeyError:
        return None


def _resolve_gid(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        return int(token)
    try:
        return grp.getgrnam(token).gr_gid
    except KeyError:
        return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return "?"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return "?"
