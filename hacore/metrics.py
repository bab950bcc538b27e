"""Prometheus metrics of one hacore node (served by :mod:`hacore.metrics_server`).

Everything lives on a private :class:`CollectorRegistry` (never the process-global
one), so several daemons in one test process do not mix their numbers. Some methods
are called from the daemon's hot paths: each caches the labelled child it touches,
and the two counters every heartbeat moves are plain integers (``_HeartbeatCounts``).

State gauges are enum-style (``hacore_node_status{node,status}`` is 1 for the
current status word and 0 for the others), which keeps PromQL simple
(``hacore_node_status{status="dead"} == 1``) and lets Grafana show the word.

The endpoint is off unless ha.cf says ``metrics_listen ADDR:PORT``. It renders from
its own threads; everything here is safe for that (prometheus-client's metrics lock
themselves, the heartbeat counts are copied in one step), and the one value computed
from the daemon's state at scrape time, the heartbeat ages, is computed on the
daemon's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from hacore import __version__
from hacore.api import GroupState, LinkStatus, NodeStatus

log = structlog.get_logger("hacore.metrics")

AGES_TIMEOUT_S = 2.0  # a scrape waits this long for a stalled loop, then omits the ages
RESOURCE_ACTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
HeartbeatAges = Callable[[], Mapping[str, float | None]]
FENCE_STATES = ("idle", "waiting", "delaying", "fencing", "retrying", "fenced")
_HELD_STATES = frozenset(
    {GroupState.STARTING, GroupState.RUNNING, GroupState.STOPPING, GroupState.FAILED}
)


class _HeartbeatAgeCollector(Collector):
    """Ages are computed at scrape time from the daemon's clocks, not pushed. The clocks
    and tables belong to the daemon's loop, so a scrape from the HTTP thread asks the
    loop for them."""

    def __init__(self) -> None:
        self.source: HeartbeatAges | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "hacore_node_last_heartbeat_age_seconds",
            "Seconds since the last status message from each node (absent if never heard).",
            labels=["node"],
        )
        for node, age in self._ages().items():
            if age is not None:
                family.add_metric([node], age)
        yield family

    def _ages(self) -> Mapping[str, float | None]:
        source, loop = self.source, self.loop
        if source is None:
            return {}
        if loop is None or _running_loop() is loop:
            return source()
        answer: concurrent.futures.Future[Mapping[str, float | None]] = concurrent.futures.Future()

        def on_loop() -> None:
            try:
                answer.set_result(source())
            except Exception as exc:
                answer.set_exception(exc)

        try:
            loop.call_soon_threadsafe(on_loop)
            return answer.result(timeout=AGES_TIMEOUT_S)
        except (RuntimeError, TimeoutError):  # loop closed, or stalled: no ages this time
            return {}


class _HeartbeatCounts(Collector):
    """The two counters every heartbeat moves, kept as plain integers: a
    prometheus-client counter takes a lock per increment, which at 32 nodes was a tenth
    of the receive path. Only the daemon's loop writes them; a scrape copies each table
    in one step (atomic under the GIL) and reads the copy."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        self.received: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterable[Metric]:
        sent = CounterMetricFamily(
            "hacore_heartbeats_sent", "Status (heartbeat) messages sent, per link.", labels=["link"]
        )
        for link, count in self.sent.copy().items():
            sent.add_metric([link], count)
        received = CounterMetricFamily(
            "hacore_heartbeats_received",
            "Status (heartbeat) messages from each configured node that passed the "
            "generation and sequence checks, per link (each medium's copy on its own link).",
            labels=["node", "link"],
        )
        for (node, link), count in self.received.copy().items():
            received.add_metric([node, link], count)
        yield sent
        yield received


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Metrics:
    """The daemon's metrics. ``local_node`` links are not exported: Heartbeat never
    refreshes a node's own links, so they always read dead and would only alert."""

    def __init__(self, local_node: str, version: str = __version__, cluster: str = "") -> None:
        self.local_node = local_node
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        Gauge(
            "hacore_info",
            "Constant 1; labels name the local node, the version and the cluster.",
            ["node", "version", "cluster"],
            registry=r,
        ).labels(local_node, version, cluster or local_node).set(1)
        self._heartbeats = _HeartbeatCounts()
        r.register(self._heartbeats)
        self._late = Counter(
            "hacore_late_heartbeats",
            "Heartbeats that arrived later than warntime (Heartbeat's 'Late heartbeat').",
            ["node"],
            registry=r,
        )
        self._lost = Counter(
            "hacore_packets_lost",
            "Packets from each node missing in the sequence (gaps).",
            ["node"],
            registry=r,
        )
        self._auth_failures = Counter(
            "hacore_auth_failures",
            "Packets rejected by authentication (bad signature, unknown key index...).",
            ["reason"],
            registry=r,
        )
        self._dropped = Counter(
            "hacore_packets_dropped",
            "Authenticated packets dropped (replay, duplicate, unknown node, stale...).",
            ["reason"],
            registry=r,
        )
        self._node_status = Gauge(
            "hacore_node_status",
            "1 for each node's current status word, 0 for the others.",
            ["node", "status"],
            registry=r,
        )
        self._link_status = Gauge(
            "hacore_link_status",
            "1 for each peer link's current status word (up/dead), 0 for the other.",
            ["node", "link", "status"],
            registry=r,
        )
        self._group_state = Gauge(
            "hacore_group_state",
            "1 for each resource group's current state on this node, 0 for the others.",
            ["group", "state"],
            registry=r,
        )
        self._group_holder = Gauge(
            "hacore_group_holder",
            "1 with the node this node believes holds the group (no series: nobody).",
            ["group", "holder"],
            registry=r,
        )
        self._group_held = Gauge(
            "hacore_group_held_locally",
            "1 when the group is starting, running, stopping or failed on this node.",
            ["group"],
            registry=r,
        )
        self._resource_action = Histogram(
            "hacore_resource_action_duration_seconds",
            "Duration of resource agent actions (start/stop/status...), by outcome.",
            ["action", "resource", "result"],
            buckets=RESOURCE_ACTION_BUCKETS,
            registry=r,
        )
        self._failovers = Counter(
            "hacore_failovers",
            "Resource group moves seen by this node (from/to empty: nobody).",
            ["group", "from_node", "to_node", "reason"],
            registry=r,
        )
        self._monitor_checks = Counter(
            "hacore_resource_monitor_checks",
            "Monitor checks of each monitored resource (ha.cf monitor) run on this node.",
            ["group", "resource"],
            registry=r,
        )
        self._monitor_failures = Counter(
            "hacore_resource_monitor_failures",
            "Failed monitor checks, by result (not_running, error, timeout).",
            ["group", "resource", "result"],
            registry=r,
        )
        self._monitor_duration = Gauge(
            "hacore_resource_monitor_last_duration_seconds",
            "How long the last monitor check of the resource took.",
            ["group", "resource"],
            registry=r,
        )
        self._restarts = Counter(
            "hacore_resource_restarts",
            "In-place restarts of monitored resources after a failure, by outcome.",
            ["group", "resource", "result"],
            registry=r,
        )
        self._fail_count = Gauge(
            "hacore_resource_failcount",
            "Monitor failures of the resource on this node since start or hactl cleanup.",
            ["group", "resource"],
            registry=r,
        )
        self._failed_here = Gauge(
            "hacore_group_failed_here",
            "1 while monitoring has given the group up on this node (until hactl cleanup).",
            ["group"],
            registry=r,
        )
        self._generation = Gauge(
            "hacore_generation", "This node's heartbeat generation (hg).", registry=r
        )
        self._fence_attempts = Counter(
            "hacore_fence_attempts",
            "STONITH reset attempts against each node, by result (OK, bad, badhost).",
            ["node", "result"],
            registry=r,
        )
        self._fence_state = Gauge(
            "hacore_fence_state",
            "1 for each peer's current fencing state (idle, waiting, delaying, fencing, "
            "retrying, fenced), 0 for the others.",
            ["node", "state"],
            registry=r,
        )
        self._fencing_device = Gauge(
            "hacore_fencing_configured",
            "1 with the STONITH device this node fences with; 0 without a device.",
            ["device"],
            registry=r,
        )
        self._self_fences = Counter(
            "hacore_self_fences", "Times this node fenced itself (failfast).", registry=r
        )
        self._watchdog_open = Gauge(
            "hacore_watchdog_open", "1 while the watchdog device is open (armed).", registry=r
        )
        self._watchdog_feeds = Counter(
            "hacore_watchdog_feeds", "Writes to the watchdog device.", registry=r
        )
        self._tiebreaker = Gauge(
            "hacore_tiebreaker_reachable",
            "1 when the tiebreaker answered at the last check, 0 when not.",
            registry=r,
        )
        self._isolated = Gauge(
            "hacore_isolated",
            "1 while this node is the isolated side (peer and tiebreaker lost): it has "
            "given up its resource groups and acquires none.",
            registry=r,
        )
        self._realtime = Gauge(
            "hacore_realtime", "1 when the daemon runs with SCHED_RR (ha.cf realtime).", registry=r
        )
        self._ages = _HeartbeatAgeCollector()
        r.register(self._ages)
        self._children: dict[tuple[Any, ...], Any] = {}
        self._holders: dict[str, str] = {}

    def _child(self, metric: Counter | Gauge | Histogram, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # -- hot path counters ------------------------------------------------------------

    def heartbeat_sent(self, link: str) -> None:
        sent = self._heartbeats.sent
        sent[link] = sent.get(link, 0) + 1

    def heartbeat_received(self, node: str, link: str) -> None:
        received = self._heartbeats.received
        key = (node, link)
        received[key] = received.get(key, 0) + 1

    def late_heartbeat(self, node: str) -> None:
        self._child(self._late, node).inc()

    def packets_lost(self, node: str, n: int) -> None:
        if n > 0:
            self._child(self._lost, node).inc(n)

    def auth_failure(self, reason: str) -> None:
        self._child(self._auth_failures, reason).inc()

    def packet_dropped(self, reason: str) -> None:
        self._child(self._dropped, reason).inc()

    # -- state ---------------------------------------------------------------------------

    def node_status(self, node: str, status: NodeStatus) -> None:
        for word in NodeStatus:
            self._child(self._node_status, node, word.value).set(1 if word is status else 0)

    def link_status(self, node: str, link: str, status: LinkStatus) -> None:
        if node == self.local_node:
            return
        for word in LinkStatus:
            self._child(self._link_status, node, link, word.value).set(1 if word is status else 0)

    def group_state(self, group: str, holder: str | None, state: GroupState) -> None:
        for word in GroupState:
            self._child(self._group_state, group, word.value).set(1 if word is state else 0)
        self._child(self._group_held, group).set(1 if state in _HELD_STATES else 0)
        previous = self._holders.pop(group, None)
        if previous is not None and previous != holder:
            self._group_holder.remove(group, previous)
            self._children.pop((id(self._group_holder), group, previous), None)
        if holder is not None:
            self._holders[group] = holder
            self._child(self._group_holder, group, holder).set(1)

    def resource_action(self, action: str, resource: str, seconds: float, ok: bool) -> None:
        result = "success" if ok else "failure"
        self._child(self._resource_action, action, resource, result).observe(seconds)

    def monitor_defined(self, group: str, resource: str) -> None:
        """Create a monitored resource's series at 0, so that ``increase()`` sees its first
        failure and dashboards show it before anything happens."""
        self._child(self._monitor_checks, group, resource)
        for result in ("not_running", "error", "timeout"):
            self._child(self._monitor_failures, group, resource, result)
        for outcome in ("success", "failure"):
            self._child(self._restarts, group, resource, outcome)
        self.fail_count(group, resource, 0)
        self.group_failed_here(group, False)

    def monitor_check(self, group: str, resource: str, result: str, seconds: float) -> None:
        """One monitor check and its result (``ok``, ``not running``, ``error``, ``timeout``)."""
        self._child(self._monitor_checks, group, resource).inc()
        self._child(self._monitor_duration, group, resource).set(seconds)
        if result != "ok":
            label = result.replace(" ", "_")
            self._child(self._monitor_failures, group, resource, label).inc()

    def resource_restart(self, group: str, resource: str, ok: bool) -> None:
        self._child(self._restarts, group, resource, "success" if ok else "failure").inc()

    def fail_count(self, group: str, resource: str, count: int) -> None:
        self._child(self._fail_count, group, resource).set(count)

    def group_failed_here(self, group: str, failed: bool) -> None:
        self._child(self._failed_here, group).set(1 if failed else 0)

    def failover(self, group: str, from_node: str | None, to_node: str | None, reason: str) -> None:
        self._child(self._failovers, group, from_node or "", to_node or "", reason).inc()

    def fence_attempt(self, node: str, result: str) -> None:
        self._child(self._fence_attempts, node, result).inc()

    def fence_state(self, node: str, state: str) -> None:
        for word in FENCE_STATES:
            self._child(self._fence_state, node, word).set(1 if word == state else 0)

    def fencing_configured(self, device: str | None) -> None:
        self._fencing_device.labels(device or "").set(1 if device else 0)

    def self_fenced(self) -> None:
        self._self_fences.inc()

    def watchdog_open(self, is_open: bool) -> None:
        self._watchdog_open.set(1 if is_open else 0)

    def watchdog_fed(self, is_open: bool) -> None:
        if is_open:
            self._watchdog_feeds.inc()
        else:
            self._watchdog_open.set(0)

    def tiebreaker(self, reachable: bool) -> None:
        self._tiebreaker.set(1 if reachable else 0)

    def isolated(self, isolated: bool) -> None:
        self._isolated.set(1 if isolated else 0)

    def realtime(self, on: bool) -> None:
        self._realtime.set(1 if on else 0)

    def generation(self, value: int) -> None:
        self._generation.set(value)

    def set_last_heard_source(self, source: HeartbeatAges) -> None:
        """``source()`` returns node → seconds since its last status (None: never); when
        set from a running loop, scrapes from other threads call it on that loop."""
        self._ages.source = source
        self._ages.loop = _running_loop()

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition body and its content type, negotiated from ``Accept``."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
