"""One running cluster node: wires transports, signing, membership, failover, resources,
the control plane and metrics on a single asyncio loop.

The engines are pure; this module is where time, sockets and processes meet them. It
owns no protocol logic of its own: every decision comes back from an engine as an
effect or action, and this module only carries them out. Plugins see the node through
:class:`hacore.cluster.ClusterHandle`, the control plane through
:class:`hacore.control.adapter.ControlAdapter`; a reload is :mod:`hacore.reload`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import structlog

import hacore.failover.actions as fa
import hacore.membership.effects as me
from hacore.api import (
    ClusterMessage,
    FenceResult,
    GroupChanged,
    GroupState,
    HacoreError,
    MediumConfig,
    NodeStatus,
    NodeStatusChanged,
    Transport,
)
from hacore.cluster import ClusterHandle
from hacore.config.model import ClusterConfig
from hacore.control import clients
from hacore.control.adapter import ControlAdapter
from hacore.control.events import EventHub
from hacore.control.fifo import FifoReader, ScriptRequests
from hacore.control.model import FailoverEvent
from hacore.control.server import ControlServer
from hacore.failover import FAILOVER_MESSAGE_TYPES, Failover, FailoverConfig
from hacore.fencing import Fencer, FenceTarget, resolve_device
from hacore.fencing.fencer import DEFAULT_FENCE_DELAY_MS
from hacore.fencing.realtime import make_realtime
from hacore.fencing.sysrq import sysrq_reboot
from hacore.fencing.tiebreaker import Edge, Isolation
from hacore.fencing.watchdog import Watchdog
from hacore.generation import load_or_create_uuid, next_generation
from hacore.membership import Membership, MembershipConfig
from hacore.metrics import Metrics
from hacore.metrics_server import MetricsServer, MetricsTls
from hacore.monitor import monitors_for
from hacore.plugins import PluginRegistry, call_observers
from hacore.ratelimit import AUTH_FAILURES, DropWarnings
from hacore.reload import reload_config
from hacore.resources import ResourceManager
from hacore.respawn import Supervisor
from hacore.sdnotify import Notifier
from hacore.statuspath import StatusTemplates
from hacore.wire.message import Message
from hacore.wire.signing import PacketRejected, PacketSigner

log = structlog.get_logger("hacore.node")

POLL_MAX_S = 0.1  # the fencer's tiebreaker poll
MIN_TIMER_GAP_S = 0.001  # a timer found due again right after it ran waits this long
IN_STEP_SLACK = 0.05  # of a keepalive: how late a heartbeat kept in step may come
SHUTDOWN_TIMEOUT_S = 120.0
SELF_FENCE_STOP_S = 10.0  # failfast: how long the groups get to stop before we go
EXIT_SELF_FENCED = 100  # Heartbeat's emergency shutdown exit code


class Node:
    """The daemon's runtime for one node; ``run()`` returns the process exit code."""

    def __init__(
        self,
        config: ClusterConfig,
        registry: PluginRegistry,
        *,
        state_dir: Path,
        run_dir: Path,
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.notifier = notifier or Notifier(None)
        self.registry = registry
        self.state_dir = state_dir
        self.run_dir = run_dir
        self.events = EventHub()
        self.metrics = Metrics(config.local_node, cluster=config.hacf.cluster)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._shutdown_ready = asyncio.Event()
        self._shutdown_aborted = asyncio.Event()
        self._started_wall = time.time()
        self.supervisor: Supervisor | None = None
        self.node_since: dict[str, float] = {}
        self.group_since: dict[str, float] = {}
        self._holders: dict[str, str | None] = {}
        self._drop_warnings = DropWarnings()
        self._withheld: dict[str, NodeStatusChanged] = {}  # deaths the fencer holds back
        self._stopping = False
        self._self_fencing = False
        self._silent = False  # self-fencing: no more heartbeats
        self.realtime = False
        self.watchdog: Watchdog | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # set by run()
        self._beat: asyncio.TimerHandle | None = None  # our next heartbeat
        self._beat_at = 0.0
        self._timer: asyncio.TimerHandle | None = None  # the engines' next deadline
        self._due: float | None = None  # the membership deadline last asked
        # ping node -> its probe: ts, signer, packet, and the packet opened (for its echo)
        self._probes: dict[str, tuple[str, PacketSigner, bytes, Message]] = {}
        self._in_step = len(config.hacf.nodes) == 2  # see _keep_in_step
        self.control = ControlAdapter(self)
        self.cluster = ClusterHandle(self, self.control)

    # ---- set-up ---------------------------------------------------------------------

    def _build(self) -> None:
        hacf = self.config.hacf
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)  # haclient members must reach the API socket inside
        self.generation = next_generation(self.state_dir, hacf.hbgenmethod)
        uuid = load_or_create_uuid(self.state_dir, hacf.uuidfrom, self.config.local_node)
        self.signer = PacketSigner(self.config.authkeys, inner_auth=hacf.msgfmt == "classic")
        warning = self.config.authkeys.signer.method.startup_warning
        if warning:
            log.warning("weak_auth", msg=warning, method=self.config.authkeys.signer.method.name)
        self.transports: list[Transport] = []
        for medium in hacf.media:
            self.transports.extend(self.registry.transports[medium.keyword].build(medium))
        # Ping nodes (docs/protocol.md §10.1): one ICMP medium each, carrying only NS_st probes.
        self.ping_transports: dict[str, tuple[str, Transport]] = {}
        for ping in hacf.ping_nodes:
            keyword = "ping_group" if ping.group else "ping"
            args = (ping.name, *ping.addresses) if ping.group else ping.addresses
            medium = MediumConfig(keyword, args, hacf.udpport, hacf.baud, ping.location)
            if keyword not in self.registry.transports:
                log.error(
                    "ping_unsupported", msg=f"No plugin provides {keyword}: {ping.name} unwatched"
                )
                continue
            (transport,) = self.registry.transports[keyword].build(medium)
            self.ping_transports[ping.name] = (keyword, transport)
        self.membership = Membership(
            MembershipConfig.from_hacf(
                hacf,
                self.config.local_node,
                sorted({t.link_name for t in self.transports}),
                generation=self.generation,
                uuid=uuid,
                tick_ms=hacf.keepalive_ms,  # the heartbeat ticks the engine every keepalive
            )
        )
        self._statuses = StatusTemplates(self.membership, len(hacf.nodes))
        self.failover = Failover(
            FailoverConfig.from_cluster(self.config), self.membership.is_hacore
        )
        self.resources = ResourceManager(
            self.registry,
            self.config.groups,
            config_dir=self.config.directory,
            environment=self._script_environment(),
            observe=self.metrics.resource_action,
        )
        self.monitors = monitors_for(self)
        self.metrics.generation(self.generation)
        self.metrics.set_last_heard_source(self._last_heard_ages)
        self._build_fencing()

    def _build_fencing(self) -> None:
        hacf = self.config.hacf
        line = self.config.stonith
        device = resolve_device(self.registry, line) if line is not None else None
        delay_ms = hacf.extensions.fence_delay_ms
        if delay_ms is None:
            delay_ms = DEFAULT_FENCE_DELAY_MS
        tiebreaker = hacf.extensions.tiebreaker if len(hacf.nodes) == 2 else None
        self.fencer = Fencer(
            self,
            device,
            delay_s=delay_ms / 1000,
            poll_s=min(POLL_MAX_S, hacf.keepalive_ms / 1000),
            tiebreaker=tiebreaker,
        )
        self.isolation = Isolation(tiebreaker)
        self.metrics.fencing_configured(device.device_id() if device else None)
        if hacf.watchdog is not None:
            self.watchdog = Watchdog(hacf.watchdog, hacf.deadtime_ms)

    def _script_environment(self) -> dict[str, str]:
        """The HA_* variables Heartbeat gives resource scripts (docs/protocol.md §9.5)."""
        hacf = self.config.hacf
        env = {
            "HA_CURHOST": self.config.local_node,
            "HA_DIR": str(self.config.directory),
            "HA_FUNCS": str(self.config.directory / "shellfuncs"),
            "HA_LOGD": "yes" if hacf.use_logd else "no",
            "OCF_ROOT": "/usr/lib/ocf",
        }
        if hacf.auto_failback != "legacy":
            env["HA_NICEFAILBACK"] = "yes"
        if hacf.logfile:
            env["HA_LOGFILE"] = str(hacf.logfile)
        if hacf.debugfile:
            env["HA_DEBUGLOG"] = str(hacf.debugfile)
        if hacf.logfacility:
            env["HA_LOGFACILITY"] = hacf.logfacility
        if hacf.debug:
            env["HA_debug"] = str(hacf.debug)
        env.update({f"HA_{k}": v for k, v in hacf.env.items()})
        return env

    # ---- main loop ------------------------------------------------------------------

    async def run(self) -> int:
        self._build()
        loop = self._loop = asyncio.get_running_loop()
        for signum, handler in (
            (signal.SIGTERM, self.request_stop),
            (signal.SIGINT, self.request_stop),
            (signal.SIGHUP, lambda: self._spawn(self._reload_on_signal())),
        ):
            loop.add_signal_handler(signum, handler)
        log.info(
            "starting",
            msg=f"Configuration validated. Starting hacore (generation {self.generation})",
        )
        if self.config.hacf.realtime:
            self.realtime = make_realtime(self.config.hacf.rtprio)
        self.metrics.realtime(self.realtime)
        if self.watchdog is not None:
            self.watchdog.open()
            self.metrics.watchdog_open(self.watchdog.is_open)
        await self.resources.release_all_stale()
        for transport in self._all_transports():
            await transport.start(self._on_packet)
        control = ControlServer.for_daemon(self.control, self.config.hacf.extensions, self.run_dir)
        await control.start()
        scripts = ScriptRequests(self.control.standby, self.control.takeover, self.send_message)
        fifo = FifoReader(self.config.hacf.extensions.fifo, scripts.handle)
        fifo.start()
        metrics_server: MetricsServer | None = None
        extensions = self.config.hacf.extensions
        if extensions.metrics_listen:
            metrics_server = MetricsServer(
                self.metrics, extensions.metrics_listen, MetricsTls.from_extensions(extensions)
            )
            await metrics_server.start()
        self.node_since[self.config.local_node] = time.time()
        self._beat_at = self.now()
        self._heartbeat()
        if self.notifier.watchdog_interval is not None:
            self._spawn(self._feed_systemd(self.notifier.watchdog_interval))
        self.notifier.ready(self._service_status())
        # What start-up built lives as long as the daemon: out of the collector's sight,
        # a full collection walks only what came after (52,000 objects took 28 ms, about
        # every 30 s at keepalive 100 ms: 0.1 % of a CPU for nothing).
        gc.freeze()
        while True:
            await self._stop.wait()
            if await self._shutdown():
                break
            self._stop.clear()  # a group could not be stopped: staying up is safer
        self.monitors.close()
        fifo.stop()
        await scripts.stop()
        await self.fencer.stop()
        await control.stop()
        await self.events.close()
        if metrics_server is not None:
            await metrics_server.stop()
        for transport in self._all_transports():
            await transport.stop()
        for task in self._tasks:
            task.cancel()
        for handle in (self._beat, self._timer):
            if handle is not None:
                handle.cancel()
        if self.watchdog is not None:
            self.watchdog.close(disarm=True)
        log.info("stopped", msg=f"{self.config.local_node} Heartbeat shutdown complete.")
        return 0

    async def _reload_on_signal(self) -> None:
        """SIGHUP (Heartbeat's ``heartbeat -r``): a bad file is reported, nothing changes."""
        self.notifier.reloading()
        try:
            for note in reload_config(self):
                log.warning("reload_note", msg=note)
        except HacoreError as exc:
            log.error("reload_refused", msg=f"Configuration not reloaded: {exc}")
        self.notifier.ready(self._service_status())

    def request_stop(self) -> None:
        self._stop.set()

    async def _shutdown(self) -> bool:
        """Hand everything over, then stop; False when the engine aborted the shutdown
        because a group failed to stop (exiting would leave it running unwatched)."""
        log.info("shutdown", msg=f"Heartbeat shutdown in progress. ({os.getpid()})")
        self._stopping = True
        self.notifier.stopping("Stopping: handing the resource groups over")
        self._shutdown_aborted.clear()
        self.apply_failover(self.failover.request_shutdown(self.now()))
        ready = asyncio.ensure_future(self._shutdown_ready.wait())
        aborted = asyncio.ensure_future(self._shutdown_aborted.wait())
        done, pending = await asyncio.wait(
            {ready, aborted}, timeout=SHUTDOWN_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()
        if aborted in done:
            log.critical(
                "shutdown_aborted",
                msg="Shutdown aborted: a resource failed to stop and may still run here",
            )
            self._stopping = False
            self.notifier.status("Shutdown aborted: a resource failed to stop (see the log)")
            return False
        if not done:
            log.error("shutdown_timeout", msg="Resources not released in time; exiting anyway")
        if self.supervisor is not None:
            await self.supervisor.stop()
        self._call_observers("hacore_on_stop", cluster=self.cluster)
        return True

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task_failed", error=repr(task.exception()))

    def now(self) -> float:
        loop = self._loop
        return (loop if loop is not None else asyncio.get_running_loop()).time()

    # ---- time: our heartbeat and the engines' deadlines --------------------------------
    #
    # The loop wakes for three things only: a heartbeat is due (every keepalive), a
    # deadline of an engine expires before the next heartbeat (a peer's deadtime, a
    # retransmission request, a failover timer), or a packet or request arrives. Each
    # heartbeat ticks the engines, so a death is seen within deadtime + one keepalive
    # whatever happens to the timer; normally it is seen on time, since the timer is
    # armed for the earliest deadline when that comes before the next heartbeat.
    # Packets push deadlines back without touching the timer: it fires at the old one,
    # finds nothing expired and is armed again for the new one, if still needed.

    def _heartbeat(self) -> None:
        """Tick the engines, send our status, feed the watchdog; every keepalive,
        drift-free, without bursts after a stall."""
        loop = self._loop or asyncio.get_running_loop()
        now = loop.time()
        self._beat_at = max(self._beat_at + self.config.hacf.keepalive_ms / 1000, now)
        self._beat = loop.call_at(self._beat_at, self._heartbeat)
        try:
            self._tick(now)
            self._send_status()
            if self.watchdog is not None:
                self.watchdog.feed()
                self.metrics.watchdog_fed(self.watchdog.is_open)
        except Exception:  # a bug must not stop the heartbeat
            log.exception("heartbeat_failed")

    def _keep_in_step(self, now: float) -> None:
        """Two nodes: when the peer's heartbeat comes less than half a keepalive before
        ours is due, send ours with it, and wait IN_STEP_SLACK longer than a keepalive
        for the next, so that the peer's comes first again and one wake-up keeps
        serving both. Should the peer fall silent, ours come at most that slack late
        (a twentieth of a keepalive, nothing next to a warntime)."""
        ahead = self._beat_at - now
        period = self.config.hacf.keepalive_ms / 1000
        if 0 < ahead < period / 2 and self._beat is not None:
            self._beat.cancel()
            self._beat_at = now + period * IN_STEP_SLACK  # _heartbeat adds the keepalive
            self._heartbeat()

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self._tick(self.now())
        except Exception:
            log.exception("timer_failed")
            self._arm(self.now() + self.config.hacf.keepalive_ms / 1000)

    def _tick(self, now: float) -> None:
        effects = self.membership.tick(now)
        if effects:
            self._apply_membership(effects, now)
        due = self.failover.next_timer()
        if due is not None and due <= now:
            self.apply_failover(self.failover.on_tick(now))
        self._watch_tiebreaker(now)
        self._rearm(now)

    def _rearm(self, now: float) -> None:
        """Arm the timer for the engines' earliest deadline. One the tick at ``now``
        found past and left alone is not the engines' to act on yet: the next heartbeat
        looks again (a timer set during that tick, at ``now``, runs at once).

        The membership deadline is asked again only when it may have moved earlier or
        comes before the next heartbeat: packets only push it back."""
        membership = self.membership
        if membership.timers_changed or (self._due is not None and self._due <= self._beat_at):
            self._due = membership.next_deadline()
        when = self._due
        failover = self.failover.next_timer()
        if failover is not None and (when is None or failover < when):
            when = failover
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is not None:
            if when < now:
                when = now + self.config.hacf.keepalive_ms / 1000
            self._arm(max(when, now + MIN_TIMER_GAP_S))

    def _arm(self, when: float) -> None:
        """Wake at ``when``, unless the next heartbeat (which ticks) comes first."""
        timer = self._timer
        if when >= self._beat_at and self._beat is not None:
            return
        if timer is None or when < timer.when():
            if timer is not None:
                timer.cancel()
            loop = self._loop or asyncio.get_running_loop()
            self._timer = loop.call_at(when, self._on_timer)

    async def _feed_systemd(self, interval: float) -> None:
        """``WATCHDOG=1`` while the loop runs (only when systemd asks for it)."""
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval / 2)

    # ---- wire -----------------------------------------------------------------------

    def _on_packet(self, payload: bytes, link: str) -> None:
        """One datagram: a peer's next heartbeat by its template (hacore.statuspath),
        anything else by the general path."""
        now = self.now()
        effects = self._statuses.receive(payload, self.signer, link, now)
        if effects is None:
            effects = self._receive_packet(payload, link, now)
            if effects is None:
                return
        self._apply_membership(effects, now)
        if self.membership.timers_changed:
            self._rearm(now)
        if self._in_step and effects and isinstance(effects[0], me.StatusHeard):
            self._keep_in_step(now)

    def _receive_packet(self, payload: bytes, link: str, now: float) -> list[me.Effect] | None:
        """Open, decode, :meth:`Membership.receive` (None: the packet was dropped); an
        accepted status becomes its sender's template."""
        probe = self._probes.get(link)
        try:
            if probe is not None and payload == probe[2]:
                msg = probe[3].copy()  # our own probe, echoed: opened when it was sealed
            else:
                msg = self.signer.open(payload)
        except PacketRejected as exc:
            self.metrics.packet_dropped(exc.reason)
            if exc.reason in AUTH_FAILURES:
                self.metrics.auth_failure(exc.reason)
                self._drop_warnings.warn(exc, link)
            elif self.config.hacf.log_badpack:  # off: malformed packets are only counted
                self._drop_warnings.warn(exc, link)
            return None
        effects = self.membership.receive(msg, link, now)
        self._statuses.learn(payload, msg, self.signer, effects)
        return effects

    def send_message(self, msg: Message) -> None:
        """Send a sequenced, signed message to the cluster (the plugin handle's ``send``)."""
        self._send(msg)

    def _send(self, msg: Message, *, stamped: bool = False) -> None:
        if not stamped:
            msg = self.membership.stamp(msg, self.now(), time.time())
        packet = self.signer.seal(msg)
        classic: bytes | None = None
        for transport in self.transports:
            if transport.wants_classic:
                classic = classic or self.signer.seal_classic(msg)
                transport.send(classic)
            else:
                transport.send(packet)

    def _all_transports(self) -> list[Transport]:
        return self.transports + [t for _, t in self.ping_transports.values()]

    def _send_status(self) -> None:
        """Our status on every medium; the ping probes go first, so that their echoes
        are back by the time the loop looks for events again (it reads them then,
        without sleeping in between)."""
        if self._silent:
            return
        self._send_pings()
        self._send(self.membership.status_message(self.now()))
        for transport in self.transports:
            self.metrics.heartbeat_sent(transport.link_name)

    def _send_pings(self) -> None:
        """An NS_st probe per ping node: the node's kernel echoes it back to us, and the
        echo is processed as that ping node's status (Heartbeat's ping medium). A probe
        changes once a second (its ``ts``) or with the keys: it is sealed that often,
        and opened then too: an echo that is the probe byte for byte is not checked and
        parsed again."""
        if not self.ping_transports:
            return
        ts = f"{int(time.time()):x}"
        for name, (keyword, transport) in self.ping_transports.items():
            sealed = self._probes.get(name)
            if sealed is None or sealed[:2] != (ts, self.signer):
                probe = Message(("t", "NS_st"), ("st", "ping"), ("info", keyword), ("src", name))
                packet = self.signer.seal(probe.add("ts", ts))
                opened = self.signer.open(packet)
                sealed = self._probes[name] = (ts, self.signer, packet, opened)
            transport.send(sealed[2])

    # ---- effects --------------------------------------------------------------------

    def _apply_membership(self, effects: Sequence[object], now: float | None = None) -> None:
        if now is None:
            now = self.now()
        for effect in effects:
            match effect:  # a status brings the first two: they come first
                case me.StatusHeard(node=peer, link=link):
                    self.metrics.heartbeat_received(peer, link)
                case me.Deliver(msg=msg):
                    self._deliver(msg, now)
                case me.Send(msg=msg, stamped=stamped):
                    self._send(msg, stamped=stamped)
                case me.NodeChanged(change=event):
                    self._node_changed(event, now)
                case me.LinkChanged(change=event):
                    self.metrics.link_status(event.node, event.link, event.new)
                    self.events.publish(event)
                    self._call_observers("hacore_on_link_status", event=event)
                case me.CommUp():
                    self._comm_up(now)
                case me.PeerRestarted(node=peer, generation=generation):
                    self.apply_failover(self.failover.on_peer_restarted(peer, now, generation))
                case me.PartitionHealed(node=peer):
                    self.apply_failover(self.failover.on_partition_healed(peer, now))
                case me.LocalStall():
                    self.apply_failover(self.failover.on_local_stall(now))
                case me.DropCount(reason=reason):
                    self.metrics.packet_dropped(reason)

    def _node_changed(self, event: NodeStatusChanged, now: float) -> None:
        self.node_since[event.node] = time.time()
        self.metrics.node_status(event.node, event.new)
        self.events.publish(event)
        self._call_observers("hacore_on_node_status", event=event)
        if self._is_peer(event.node):
            if event.new == NodeStatus.DEAD:
                if self._may_fence(event.node) and self.fencer.peer_dead(event.node):
                    self._withheld[event.node] = event
                    return  # the engine hears of it once the peer is fenced
            else:
                self._withheld.pop(event.node, None)
                self.fencer.peer_alive(event.node)
        self.apply_failover(self.failover.on_node_status(event.node, event.old, event.new, now))

    # ---- fencing (the FenceHost protocol of hacore.fencing.fencer) --------------------

    def _is_peer(self, node: str) -> bool:
        return node != self.config.local_node and node in self.config.hacf.nodes

    def _may_fence(self, node: str) -> bool:
        """A peer that shut down cleanly (shutdone) left nothing behind to fence, and a
        node that is stopping or fencing itself takes nothing over."""
        return not (self._stopping or self._self_fencing or self.failover.peer_left)

    def fence_delay_needed(self, node: str) -> bool:
        """The side holding fewer groups gives way; on a tie, the later ``node`` line. A
        node that gave everything up as the isolated side always does: its peer most
        likely took the groups meanwhile, whatever its last report said."""
        if self.failover.isolated:
            return True
        holders = [self.failover.holder(key) for key in self.failover.groups()]
        mine = holders.count(self.config.local_node)
        theirs = holders.count(node)
        if theirs != mine:
            return theirs > mine
        nodes = self.config.hacf.nodes
        return nodes.index(self.config.local_node) > nodes.index(node)

    def tiebreaker_reachable(self) -> bool:
        """An echo from the tiebreaker within three keepalives (and half a deadtime):
        a node cut off from everything sees its peer die before its ping node does."""
        name = self.config.hacf.extensions.tiebreaker
        heard = self.membership.last_heard(name) if name else None
        if heard is None:
            return False
        hacf = self.config.hacf
        window = min(3 * hacf.keepalive_ms, hacf.deadtime_ms / 2) / 1000
        reachable = self.now() - heard <= window
        self.metrics.tiebreaker(reachable)
        return reachable

    def _watch_tiebreaker(self, now: float) -> None:
        """The isolated side gives its groups up (hacore.fencing.tiebreaker says when)."""
        name = self.isolation.tiebreaker
        if name is None:
            return
        peer = next(n for n in self.config.hacf.nodes if self._is_peer(n))
        gone = (
            self.membership.status(peer) == NodeStatus.DEAD
            and not self.fencer.reported(peer)
            and not self.failover.peer_left
        )
        edge = self.isolation.update(gone, self.tiebreaker_reachable())
        if edge == Edge.LOST:
            self.apply_failover(self.failover.on_tiebreaker_lost(name, now))
        elif edge == Edge.REGAINED:
            self.apply_failover(self.failover.on_tiebreaker_regained(name, now))
        self.metrics.isolated(self.failover.isolated)

    def report_stonith(self, node: str, result: FenceResult) -> None:
        self._send(Message(("t", "stonith"), ("node", node), ("result", result.value)))

    def deliver_death(self, node: str) -> None:
        event = self._withheld.pop(node, None)
        if event is None:
            return
        fenced = self.fencer.reported(node)
        self.apply_failover(
            self.failover.on_node_status(node, event.old, event.new, self.now(), fenced=fenced)
        )

    def fence_observed(self, node: str, target: FenceTarget, result: FenceResult | None) -> None:
        self.metrics.fence_state(node, target.state.value)
        if result is not None:
            self.metrics.fence_attempt(node, result.value)

    # ---- failfast ---------------------------------------------------------------------

    def failfast(self, command: str) -> None:
        """A failfast client died: fence this node (Heartbeat reboots the machine)."""
        if not self._self_fencing:
            self._self_fencing = True
            self._spawn(self._self_fence(command))

    async def _self_fence(self, reason: str) -> None:
        """Stop at once, without the hand-over protocol: stop every group held here,
        go silent, and let the peer take over. The configured device resets this node
        if it can (the lab's powers it off); the watchdog, armed and never disarmed,
        resets the machine; ``sysrq_trigger`` reboots it at once; without any of them
        the daemon exits with the groups stopped."""
        log.critical("self_fence", msg=f"Rebooting system.  Reason: {reason}")
        self.metrics.self_fenced()
        held = [
            k for k in self.failover.groups() if self.failover.local_state(k) != GroupState.STOPPED
        ]
        try:
            async with asyncio.timeout(SELF_FENCE_STOP_S):
                await asyncio.gather(*(self.resources.release(k) for k in held))
        except TimeoutError:
            log.error("self_fence_stop_timeout", groups=held, msg="Groups not stopped in time")
        self._silent = True
        for transport in self._all_transports():
            await transport.stop()
        if self.supervisor is not None:
            await self.supervisor.stop()
        device = self.fencer.device
        if device is not None:
            try:
                result = await asyncio.wait_for(
                    device.reset(self.config.local_node), device.request.timeout
                )
                log.warning("self_reset", result=result.value, error=device.last_error)
            except Exception as exc:
                log.error("self_reset_failed", error=repr(exc))
        if self.watchdog is not None and self.watchdog.is_open:
            log.critical(
                "self_fence_watchdog", msg="Leaving the watchdog armed: it resets the machine"
            )
        trigger = self.config.hacf.extensions.sysrq_trigger
        if trigger is not None:
            sysrq_reboot(trigger)
        os._exit(EXIT_SELF_FENCED)

    def _comm_up(self, now: float) -> None:
        self.node_since[self.config.local_node] = time.time()
        self.apply_failover(self.failover.on_comm_up(now))
        self._call_observers("hacore_on_start", cluster=self.cluster)
        if self.supervisor is None:
            self.supervisor = Supervisor(
                self.config.hacf.respawn,
                self.registry.helper_types,
                self.cluster,
                self._script_environment(),
                on_failfast=self.failfast,
            )
            self.supervisor.start()

    def _deliver(self, msg: Message, now: float) -> None:
        if msg.get("t") == "status":
            return
        msg_type = msg.get("t") or ""
        if msg_type in clients.MESSAGES:
            self.control.clients.receive(msg)
            return
        if msg_type in FAILOVER_MESSAGE_TYPES:
            self.apply_failover(self.failover.on_message(msg, now))
            return
        # Not the core's: hand it to helpers and observers, as Heartbeat hands unknown
        # types to its API clients.
        fields = tuple((f.name, f.value) for f in msg if isinstance(f.value, str))
        self._call_observers(
            "hacore_on_message",
            message=ClusterMessage(msg_type, msg.get("src") or "", fields),
        )

    def apply_failover(self, actions: Sequence[object] | None) -> None:
        """Carry out what the failover engine decided; an input may also have armed one
        of its timers."""
        when = self.failover.next_timer()
        if when is not None:
            self._arm(max(when, self.now() + MIN_TIMER_GAP_S))
        for action in actions or ():
            match action:
                case fa.SendMessage(msg=msg):
                    self._send(msg)
                case fa.Acquire(key=key):
                    self._spawn(self._run_group(key, "acquire", self.resources.acquire))
                case fa.Release(key=key):
                    self._spawn(self._run_group(key, "release", self.resources.release))
                case fa.Announce(key=key):
                    self._spawn(self.resources.announce(key))
                case fa.Recover(key=key):
                    self.monitors.recover(key)
                case fa.GroupChanged(event=event):
                    self._group_changed(event)
                case fa.OperationDone(op="shutdown", ok=False):
                    self._shutdown_aborted.set()
                case fa.OperationDone():
                    self.control.operation_done(action)
                case fa.ShutdownReady():
                    self._shutdown_ready.set()

    def _group_changed(self, event: GroupChanged) -> None:
        self.group_since[event.group] = time.time()
        previous = self._holders.get(event.group)
        if event.holder is not None and event.holder != previous:
            self.metrics.failover(event.group, previous, event.holder, event.reason)
            self.events.publish(FailoverEvent(event.group, previous, event.holder, event.reason))
        self._holders[event.group] = event.holder
        # The engine's state is the group's state on its holder; metrics, the API and
        # observers speak of this node, so a standby node must not appear to run it.
        here = GroupChanged(
            event.group, event.holder, self.failover.local_state(event.group), event.reason
        )
        self.metrics.group_state(here.group, here.holder, here.state)
        self.monitors.sync(here.group, here.state == GroupState.RUNNING)
        self.events.publish(here)
        self._call_observers("hacore_on_group_change", event=here)
        self.notifier.status(self._service_status())

    def _service_status(self) -> str:
        """``systemctl status``'s one line: what this node holds."""
        local = self.config.local_node
        held = [group for group, holder in self._holders.items() if holder == local]
        return f"Running (generation {self.generation}); holding: {', '.join(held) or 'nothing'}"

    async def _run_group(
        self, key: str, op: Literal["acquire", "release"], action: Callable[[str], Awaitable[bool]]
    ) -> None:
        ok = await action(key)
        self.apply_failover(self.failover.on_group_result(key, op, ok, self.now()))

    def _call_observers(self, hook_name: str, **kwargs: object) -> None:
        call_observers(self.registry, hook_name, **kwargs)

    def _last_heard_ages(self) -> Mapping[str, float]:
        now = self.now()
        ages = {}
        for name in self.config.hacf.nodes:
            heard = self.membership.last_heard(name)
            if heard is not None:
                ages[name] = now - heard
        return ages
