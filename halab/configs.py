"""Per-node cluster configuration: the seed's, or the user's, with per-node values filled in.

A template is a directory holding ``ha.cf``, ``haresources``, ``authkeys`` (and anything
else that belongs in /etc/ha.d).  For each node the lab rewrites only what must differ or
must stay inside the lab:

* ``ucast DEV IP`` lines become one ``ucast DEV <peer>`` per peer on that device
  (eth1 = heartbeat link, eth0 = LAN); ``--medium`` replaces all media lines instead;
* ``logfile`` / ``debugfile`` are moved under /var/log (the node's private log dir);
* ``logfacility`` becomes ``none``: nodes have no syslog, and the host's must not get it;
* timing overrides replace (or add) keepalive / deadtime / warntime / initdead.

The default template is the seed tutorial's cluster as the anchors ran it (README of
bench/anchors): sha1 authkeys instead of crc, no ipfail/debugfile, ``crm off``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from halab.topology import VIP, NodeAddr

HA_FILES = ("ha.cf", "haresources", "authkeys")
MEDIA = ("ucast", "bcast", "mcast")
MCAST_GROUP = "225.0.0.1"


@dataclass(frozen=True)
class Timing:
    """Heartbeat's timing directives, in ha.cf syntax ("2" = seconds, "100ms"); None = keep."""

    keepalive: str | None = None
    deadtime: str | None = None
    warntime: str | None = None
    initdead: str | None = None

    def items(self) -> list[tuple[str, str]]:
        pairs = [(f.name, getattr(self, f.name)) for f in fields(self)]
        return [(name, value) for name, value in pairs if value is not None]


SEED_TIMING = Timing(keepalive="2", deadtime="60", warntime="4", initdead="120")
FAST_TIMING = Timing(keepalive="100ms", deadtime="500ms", warntime="300ms", initdead="2")


MEMBERSHIP_ONLY = (
    "# membership only: haresources failover is a two-node scheme (Heartbeat v1\n"
    "# nice_failback), so a lab of more than two nodes runs no resource group.\n"
)


def seed_template(node_names: Iterable[str], resources: bool | None = None) -> dict[str, str]:
    """The seed tutorial's /etc/ha.d for these nodes (ucast peers are filled in per node).

    ``resources`` (default: two nodes or fewer) keeps the seed's VIP + httpd group;
    otherwise haresources holds only a comment and the cluster is membership only, since
    hacore refuses haresources groups among more than two nodes.
    """
    names = list(node_names)
    if resources is None:
        resources = len(names) <= 2
    hacf = [
        "logfile /var/log/ha-log",
        "logfacility none",
        *(f"{name} {value}" for name, value in SEED_TIMING.items()),
        "udpport 694",
        "ucast eth1 172.16.0.51",
        "auto_failback on",
        *(f"node {name}" for name in names),
        "ping 10.0.0.2",
        "crm off",
    ]
    group = f"{names[0]} IPaddr::{VIP}/24/eth0 httpd\n"
    return {
        "ha.cf": "\n".join(hacf) + "\n",
        "haresources": group if resources else MEMBERSHIP_ONLY,
        "authkeys": "auth 1\n1 sha1 somekey\n",
    }


def has_resources(template: dict[str, str]) -> bool:
    """Whether haresources names any group (comments and blank lines are not groups)."""
    lines = template.get("haresources", "").splitlines()
    return any(line.split("#", 1)[0].strip() for line in lines)


def log_file(template: dict[str, str]) -> str:
    """Where a node's log is, inside the node, once render_hacf has moved it."""
    for line in template.get("ha.cf", "").splitlines():
        words = _directive(line)
        if words[:1] == ["logfile"] and len(words) == 2:
            return f"/var/log/{Path(words[1]).name}"
    return "/var/log/ha-log"


def read_template(config_dir: Path) -> dict[str, str]:
    """Every regular file of a user's config dir; ha.cf, haresources, authkeys must exist."""
    if not config_dir.is_dir():
        raise ValueError(f"--config {config_dir}: not a directory")
    missing = [name for name in HA_FILES if not (config_dir / name).is_file()]
    if missing:
        raise ValueError(f"--config {config_dir}: missing {', '.join(missing)}")
    return {p.name: p.read_text() for p in sorted(config_dir.iterdir()) if p.is_file()}


def _directive(line: str) -> list[str]:
    return line.split("#", 1)[0].split()


def node_names(hacf: str) -> list[str]:
    """Node names declared by ``node`` lines, in order."""
    names: list[str] = []
    for line in hacf.splitlines():
        words = _directive(line)
        if words[:1] == ["node"]:
            names.extend(words[1:])
    return names


def _peer_address(device: str, peer: NodeAddr) -> str:
    if device == "eth1":
        return peer.hb_ip
    if device == "eth0":
        return peer.lan_ip
    raise ValueError(f"ha.cf: ucast on {device!r}: lab nodes have only eth0 (LAN) and eth1")


def _media_lines(medium: str, devices: list[str], me: NodeAddr, nodes: list[NodeAddr]) -> list[str]:
    if medium == "ucast":
        peers = [n for n in nodes if n != me]
        return [f"ucast {dev} {_peer_address(dev, p)}" for dev in devices for p in peers]
    if medium == "bcast":
        return [f"bcast {' '.join(devices)}"]
    if medium == "mcast":
        return [f"mcast {dev} {MCAST_GROUP} 694 1 0" for dev in devices]
    raise ValueError(f"unknown medium {medium!r} (ucast, bcast or mcast)")


def render_hacf(
    template: str,
    me: NodeAddr,
    nodes: list[NodeAddr],
    timing: Timing = Timing(),
    medium: str | None = None,
) -> str:
    """This node's ha.cf from the template (see the module docstring for what changes)."""
    out: list[str] = []
    media_at: int | None = None
    ucast_devices: list[str] = []
    seen: set[str] = set()
    overrides = dict(timing.items())
    for line in template.splitlines():
        words = _directive(line)
        key = words[0] if words else ""
        seen.add(key)
        if key == "ucast" and medium is None:
            if len(words) < 3:
                raise ValueError(f"ha.cf: {line.strip()!r}: ucast wants a device and an address")
            media_at = len(out) if media_at is None else media_at
            ucast_devices += [words[1]] if words[1] not in ucast_devices else []
        elif key in MEDIA and medium is not None:
            media_at = len(out) if media_at is None else media_at
        elif key in ("logfile", "debugfile") and len(words) == 2:
            out.append(f"{key} /var/log/{Path(words[1]).name}")
        elif key == "logfacility":
            out.append("logfacility none")
        elif key in overrides:
            out.append(f"{key} {overrides[key]}")
        else:
            out.append(line)
    media: list[str] = []
    if medium is not None:
        media = _media_lines(medium, ["eth1"], me, nodes)
    elif ucast_devices:
        media = _media_lines("ucast", ucast_devices, me, nodes)
    if media_at is None:
        media_at = len(out)
    out[media_at:media_at] = media
    out += [f"{k} {v}" for k, v in overrides.items() if k not in seen]
    if "logfile" not in seen:
        out.append("logfile /var/log/ha-log")
    if "logfacility" not in seen:
        out.append("logfacility none")
    return "\n".join(out) + "\n"


def write_ha_d(
    target: Path,
    template: dict[str, str],
    me: NodeAddr,
    nodes: list[NodeAddr],
    timing: Timing = Timing(),
    medium: str | None = None,
) -> None:
    """Write this node's files into its private /etc/ha.d copy (authkeys mode 600)."""
    for name, text in template.items():
        path = target / name
        if path.is_dir():
            shutil.rmtree(path)
        content = render_hacf(text, me, nodes, timing, medium) if name == "ha.cf" else text
        path.write_text(content)
        path.chmod(0o600 if name == "authkeys" else 0o644)


def keepalived_conf(me: NodeAddr, advert_int: float = 1.0) -> str:
    """The anchors' VRRP instance: node1 MASTER prio 150, the others BACKUP prio 100, 99..."""
    version = 2 if advert_int >= 1 else 3  # sub-second adverts exist only in VRRPv3
    first = me.index == 1
    auth = (
        "    authentication {\n        auth_type PASS\n        auth_pass somekey\n    }\n"
        if version == 2
        else ""
    )
    return (
        "global_defs {\n"
        f"    router_id {me.name}\n"
        f"    vrrp_version {version}\n"
        "    script_user root\n"
        "    enable_script_security\n"
        "}\n"
        "vrrp_instance VI_1 {\n"
        f"    state {'MASTER' if first else 'BACKUP'}\n"
        "    interface eth0\n"
        "    virtual_router_id 60\n"
        f"    priority {150 if first else 102 - me.index}\n"
        f"    advert_int {advert_int:g}\n"
        f"{auth}"
        "    virtual_ipaddress {\n"
        f"        {VIP}/24 dev eth0\n"
        "    }\n"
        "}\n"
    )
