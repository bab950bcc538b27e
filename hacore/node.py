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
    GroupChanged,
    GroupState,
    HacoreError,
    MediumConfig,
    NodeStatusChanged,
    Transport,
)
from hacore.cluster import ClusterHandle
from hacore.config.model import ClusterConfig
from hacore.control.adapter import ControlAdapter
from hacore.control.events import EventHub
from hacore.control.model import FailoverEvent
from hacore.control.server import ControlServer
from hacore.failover import FAILOVER_MESSAGE_TYPES, Failover, FailoverConfig
from hacore.generation import load_or_create_uuid, next_generation
from hacore.membership import Membership, MembershipConfig
from hacore.metrics import Metrics, MetricsServer
from hacore.monitor import monitors_for
from hacore.plugins import PluginRegistry, trace_call
from hacore.ratelimit import AUTH_FAILURES, DropWarnings
from hacore.reload import reload_config
from hacore.resources import ResourceManager
from hacore.respawn import Supervisor
from hacore.wire.message import Message
from hacore.wire.signing import PacketRejected, PacketSigner

log = structlog.get_logger("hacore.node")

TICK_MAX_S = 0.1
SHUTDOWN_TIMEOUT_S = 120.0


class Node:
    """The daemon's runtime for one node; ``run()`` returns the process exit code."""

    def __init__(
        self, config: ClusterConfig, registry: PluginRegistry, *, state_dir: Path, run_dir: Path
    ) -> None:
        self.config = config
        self.registry = registry
        self.state_dir = state_dir
        self.run_dir = run_dir
        self.events = EventHub()
        self.metrics = Metrics(config.local_node)
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
                tick_ms=round(self._tick_period() * 1000),
            )
        )
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
        loop = asyncio.get_running_loop()
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
        await self.resources.release_all_stale()
        for transport in self._all_transports():
            await transport.start(self._on_packet)
        control = ControlServer.for_daemon(self.control, self.config.hacf.extensions, self.run_dir)
        await control.start()
        metrics_server: MetricsServer | None = None
        if self.config.hacf.extensions.metrics_listen:
            metrics_server = MetricsServer(self.metrics, self.config.hacf.extensions.metrics_listen)
            await metrics_server.start()
        self.node_since[self.config.local_node] = time.time()
        self._spawn(self._status_loop())
        self._spawn(self._tick_loop())
        while True:
            await self._stop.wait()
            if await self._shutdown():
                break
            self._stop.clear()  # a group could not be stopped: staying up is safer
        self.monitors.close()
        await control.stop()
        await self.events.close()
        if metrics_server is not None:
            await metrics_server.stop()
        for transport in self._all_transports():
            await transport.stop()
        for task in self._tasks:
            task.cancel()
        log.info("stopped", msg=f"{self.config.local_node} Heartbeat shutdown complete.")
        return 0

    async def _reload_on_signal(self) -> None:
        """SIGHUP (Heartbeat's ``heartbeat -r``): a bad file is reported, nothing changes."""
        try:
            for note in reload_config(self):
                log.warning("reload_note", msg=note)
        except HacoreError as exc:
            log.error("reload_refused", msg=f"Configuration not reloaded: {exc}")

    def request_stop(self) -> None:
        self._stop.set()

    async def _shutdown(self) -> bool:
        """Hand everything over, then stop; False when the engine aborted the shutdown
        because a group failed to stop (exiting would leave it running unwatched)."""
        log.info("shutdown", msg=f"Heartbeat shutdown in progress. ({os.getpid()})")
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
        return asyncio.get_running_loop().time()

    async def _status_loop(self) -> None:
        """Send our status every keepalive, drift-free."""
        period = self.config.hacf.keepalive_ms / 1000
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            self._send_status()
            deadline += period
            delay = deadline - loop.time()
            if delay < 0:  # we were stalled: do not burst to catch up
                deadline = loop.time()
                delay = 0
            await asyncio.sleep(delay)

    def _tick_period(self) -> float:
        """Dead detection runs every tick, so a death is seen at most one tick late; one
        keepalive (at most 100 ms) keeps the promise "deadtime + one keepalive" without
        waking the loop more often than heartbeats do."""
        return min(TICK_MAX_S, self.config.hacf.keepalive_ms / 1000)

    async def _tick_loop(self) -> None:
        period = self._tick_period()
        while True:
            await asyncio.sleep(period)
            now = self.now()
            self._apply_membership(self.membership.tick(now))
            self.apply_failover(self.failover.on_tick(now))

    # ---- wire -----------------------------------------------------------------------

    def _on_packet(self, payload: bytes, link: str) -> None:
        try:
            msg = self.signer.open(payload)
        except PacketRejected as exc:
            self.metrics.packet_dropped(exc.reason)
            if exc.reason in AUTH_FAILURES:
                self.metrics.auth_failure(exc.reason)
            self._drop_warnings.warn(exc, link)
            return
        src = msg.get("src")
        if src == self.config.local_node:
            return  # our own broadcast/multicast coming back
        if msg.get("t") == "status" and src:
            self.metrics.heartbeat_received(src, link)
        self._apply_membership(self.membership.receive(msg, link, self.now()))

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
        self._send(self.membership.status_message(self.now()))
        for transport in self.transports:
            self.metrics.heartbeat_sent(transport.link_name)
        self._send_pings()

    def _send_pings(self) -> None:
        """An NS_st probe per ping node: the node's kernel echoes it back to us, and the
        echo is processed as that ping node's status (Heartbeat's ping medium)."""
        if not self.ping_transports:
            return
        ts = f"{int(time.time()):x}"
        for name, (keyword, transport) in self.ping_transports.items():
            probe = Message(("t", "NS_st"), ("st", "ping"), ("info", keyword), ("src", name))
            probe.add("ts", ts)
            transport.send(self.signer.seal(probe))

    # ---- effects --------------------------------------------------------------------

    def _apply_membership(self, effects: Sequence[object]) -> None:
        now = self.now()
        for effect in effects:
            match effect:
                case me.Send(msg=msg, stamped=stamped):
                    self._send(msg, stamped=stamped)
                case me.Deliver(msg=msg):
                    self._deliver(msg, now)
                case me.NodeChanged(change=event):
                    self._node_changed(event, now)
                case me.LinkChanged(change=event):
                    self.metrics.link_status(event.node, event.link, event.new)
                    self.events.publish(event)
                    self._call_observers("hacore_on_link_status", event=event)
                case me.CommUp():
                    self._comm_up(now)
                case me.PeerRestarted(node=peer):
                    self.apply_failover(self.failover.on_peer_restarted(peer, now))
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
        self.apply_failover(self.failover.on_node_status(event.node, event.old, event.new, now))

    def _comm_up(self, now: float) -> None:
        self.node_since[self.config.local_node] = time.time()
        self.apply_failover(self.failover.on_comm_up(now))
        self._call_observers("hacore_on_start", cluster=self.cluster)
        if self.supervisor is None:
            self.supervisor = Supervisor(
                self.config.hacf.respawn, self.registry.helper_types, self.cluster
            )
            self.supervisor.start()

    def _deliver(self, msg: Message, now: float) -> None:
        if msg.get("t") == "status":
            return
        msg_type = msg.get("t") or ""
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

    async def _run_group(
        self, key: str, op: Literal["acquire", "release"], action: Callable[[str], Awaitable[bool]]
    ) -> None:
        ok = await action(key)
        self.apply_failover(self.failover.on_group_result(key, op, ok, self.now()))

    def _call_observers(self, hook_name: str, **kwargs: object) -> None:
        """Observers must never take the daemon down: log their failures, carry on."""
        hook = getattr(self.registry.hook, hook_name)
        for impl in hook.get_hookimpls():
            try:
                result = impl.function(**{k: kwargs[k] for k in impl.argnames})
                trace_call(hook_name, impl.plugin_name, kwargs, result)
            except Exception as exc:
                log.error(
                    "observer_failed", hook=hook_name, plugin=impl.plugin_name, error=repr(exc)
                )

    def _last_heard_ages(self) -> Mapping[str, float]:
        now = self.now()
        ages = {}
        for name in self.config.hacf.nodes:
            heard = self.membership.last_heard(name)
            if heard is not None:
                ages[name] = now - heard
        return ages
