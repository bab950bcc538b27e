"""Re-reading /etc/ha.d in a running daemon (SIGHUP, ``hactl reload``; Heartbeat's
``heartbeat -r``): what can change live and what needs a restart.

Auth keys, logging, apiauth and the STONITH device (with fence_delay) apply at once.
Nodes, media, timings, groups, monitors, the watchdog, realtime and the tiebreaker shape
the running engines: a change to them is reported and the old ones stay in force, so a
reload can never drop a link or a group under the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hacore import logsetup
from hacore.config.loader import load_config
from hacore.config.model import ClusterConfig
from hacore.fencing import resolve_device
from hacore.fencing.fencer import DEFAULT_FENCE_DELAY_MS
from hacore.wire.signing import PacketSigner

if TYPE_CHECKING:
    from hacore.node import Node

log = structlog.get_logger("hacore.node")

RESTART_NEEDED = (
    "nodes, media, timings, resource groups, monitors, watchdog, realtime or tiebreaker "
    "changed: restart hacored to apply them"
)


def reload_config(node: Node) -> list[str]:
    """Apply what is safe live; return the warnings. A bad file raises ``HacoreError`` before
    anything changes."""
    running = node.config
    new = load_config(running.directory, node.registry, node_name=running.local_node)
    notes = [str(w) for w in new.warnings]
    node.signer = PacketSigner(new.authkeys, inner_auth=new.hacf.msgfmt == "classic")
    logsetup.configure_from(new)
    if _structure(new) != _structure(running):
        notes.append(RESTART_NEEDED)
    running.authkeys = new.authkeys
    old, hacf = running.hacf, new.hacf
    old.apiauth = hacf.apiauth
    old.logfile, old.debugfile, old.logfacility = hacf.logfile, hacf.debugfile, hacf.logfacility
    old.debug = hacf.debug
    old.log_badpack = hacf.log_badpack
    _reload_stonith(node, new)
    log.info("reloaded", msg="Configuration reloaded", notes=len(notes))
    return notes


def _reload_stonith(node: Node, new: ClusterConfig) -> None:
    """The STONITH device and fence delay apply live: a fence that keeps failing because
    of a wrong device line uses the corrected one at its next retry."""
    line = new.stonith
    node.fencer.device = resolve_device(node.registry, line) if line is not None else None
    delay_ms = new.hacf.extensions.fence_delay_ms
    node.fencer.delay_s = (DEFAULT_FENCE_DELAY_MS if delay_ms is None else delay_ms) / 1000
    node.config.hacf.stonith = new.hacf.stonith
    node.metrics.fencing_configured(node.fencer.device.device_id() if node.fencer.device else None)


def _structure(config: ClusterConfig) -> tuple[object, ...]:
    """What a reload cannot change in a running daemon (source lines left out, so a new
    comment in ha.cf is not a change)."""
    hacf = config.hacf
    return (
        tuple(hacf.nodes),
        tuple((m.keyword, m.args, m.udpport, m.baud) for m in hacf.media),
        tuple((p.name, p.addresses, p.group) for p in hacf.ping_nodes),
        (hacf.keepalive_ms, hacf.deadtime_ms, hacf.warntime_ms, hacf.initdead_ms),
        (hacf.deadping_ms, hacf.auto_failback, hacf.msgfmt),
        tuple((g.node, tuple(r.spec for r in g.resources)) for g in config.groups),
        tuple((m.group, m.index, m.settings) for m in config.monitors),
        (hacf.watchdog, hacf.realtime, hacf.rtprio, hacf.extensions.tiebreaker),
    )
