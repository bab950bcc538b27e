"""Where a hacore hand-over's time goes, read from the two nodes' logs.

A hand-over (graceful stop, standby, takeover, auto_failback) is one node releasing its
groups and the other acquiring them, with a message between the two: ``shutdone``, or
the standby protocol's ``ask_resources info=done``. Its breakdown, in milliseconds:

* ``stop_scripts``: the releasing node's stop actions of resources run by scripts;
* ``address_release``: its stop actions of IPaddr/IPaddr2 (netlink, in-process);
* ``messages``: from the releasing node's "done" line (the message is sent with it) to
  the taking node's line for its arrival: both daemons' packet handling and the wire;
* ``address_add``: the taking node's status and start of IPaddr/IPaddr2, the first
  gratuitous ARP included;
* ``start_scripts``: its status and start actions of resources run by scripts;
* ``total``: from the release's first line to the end of the last start;
* ``kernel``: what the IP agents report as the kernel's part (``kernel_ms``: the
  netlink requests that add or delete the address, and the first ARP's send);
* ``hacore``: total minus the scripts and the kernel: hacore's own share;
* ``negotiation``: from the request to the release's first line (standby: ``me`` and
  ``other``; outside the client's gap, not in ``total``).

The lines are the daemon's INFO lines (``resource_done`` with each action's duration,
``ip_added``/``ip_removed`` with ``kernel_ms``), timestamped to the microsecond on the
host's clock, which both lab nodes share.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PHASES = ("stop_scripts", "address_release", "messages", "address_add", "start_scripts")
SHOWN = {
    "stop_scripts": "stop scripts",
    "address_release": "address release",
    "messages": "messages",
    "address_add": "address add + ARP",
    "start_scripts": "start scripts",
    "glue": "other hacore",
    "total": "total",
    "kernel": "kernel",
    "hacore": "hacore's share",
    "negotiation": "before the release",
}
IP_AGENTS = ("IPaddr::", "IPaddr2::")
REQUESTS = frozenset({"api_call", "takeover_asked", "standby_start", "shutdown"})
RELINQUISHED = "All HA resources relinquished."

_LINE = re.compile(r"^(\S+) \S+ hacored\[\d+\]: \S+: (.*)$")
_DETAIL = re.compile(r"\[([a-z_]+)((?: [A-Za-z_]+=\S*)*)\]$")


@dataclass(frozen=True)
class LogEvent:
    wall: float  # seconds since the epoch
    event: str
    text: str  # Heartbeat's wording, "" when the line has none
    fields: dict[str, str]

    def ms(self, key: str = "ms") -> float:
        return float(self.fields.get(key, 0.0))


def read_events(log_text: str, since_wall: float) -> list[LogEvent]:
    """hacored's lines of ``log_text`` stamped at or after ``since_wall``, in order."""
    events = []
    for line in log_text.splitlines():
        matched = _LINE.match(line)
        if matched is None:
            continue
        stamp, body = matched.groups()
        try:
            wall = dt.datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            continue
        detail = _DETAIL.search(body)
        if wall < since_wall or detail is None:
            continue
        fields = dict(token.split("=", 1) for token in detail.group(2).split())
        text = body[: detail.start()].strip()
        events.append(LogEvent(wall, detail.group(1), text, fields))
    return events


def _is_ip(event: LogEvent) -> bool:
    return event.fields.get("resource", "").startswith(IP_AGENTS)


def _first(events: list[LogEvent], after: float, *names: str, text: str = "") -> LogEvent | None:
    return next(
        (e for e in events if e.wall >= after and e.event in names and text in e.text), None
    )


def breakdown(releasing: list[LogEvent], taking: list[LogEvent]) -> dict[str, float] | None:
    """The hand-over from ``releasing``'s log to ``taking``'s (both read from the moment
    of the request), in milliseconds; None when a step's line is missing."""
    start = _first(releasing, 0.0, "group_release")
    if start is None:
        return None
    sent = _first(releasing, start.wall, "standby_released") or _first(
        releasing, start.wall, "shutdown", text=RELINQUISHED
    )
    if sent is None:
        return None
    received = _first(taking, sent.wall, "standby_acquire", "peer_shutdone")
    if received is None:
        return None
    finished = _first(taking, received.wall, "standby_acquired", "takeover_done")
    if finished is None:
        return None
    stops = [
        e
        for e in releasing
        if start.wall <= e.wall <= sent.wall
        and e.event == "resource_done"
        and e.fields.get("action") == "stop"
    ]
    starts = [
        e
        for e in taking
        if received.wall <= e.wall <= finished.wall
        and e.event == "resource_done"
        and e.fields.get("action") in ("status", "start")
    ]
    if not starts:
        return None
    kernel = [
        e.ms("kernel_ms")
        for e in [*releasing, *taking]
        if e.event in ("ip_removed", "ip_added")
        and (start.wall <= e.wall <= sent.wall or received.wall <= e.wall <= finished.wall)
    ]
    out = {
        "stop_scripts": sum(e.ms() for e in stops if not _is_ip(e)),
        "address_release": sum(e.ms() for e in stops if _is_ip(e)),
        "messages": (received.wall - sent.wall) * 1000,
        "address_add": sum(e.ms() for e in starts if _is_ip(e)),
        "start_scripts": sum(e.ms() for e in starts if not _is_ip(e)),
        "total": (starts[-1].wall - start.wall) * 1000,
        "kernel": sum(kernel),
    }
    out["glue"] = out["total"] - sum(out[p] for p in PHASES)
    out["hacore"] = out["total"] - out["stop_scripts"] - out["start_scripts"] - out["kernel"]
    request = min(
        (e.wall for e in [*releasing, *taking] if e.event in REQUESTS and e.wall <= start.wall),
        default=start.wall,
    )
    out["negotiation"] = (start.wall - request) * 1000
    return {key: round(value, 2) for key, value in out.items()}


def describe(step: str, releasing: str, taking: str, parts: dict[str, float]) -> str:
    """One line for the run's output."""
    phases = " + ".join(f"{SHOWN[p]} {parts[p]:.1f}" for p in (*PHASES, "glue"))
    return (
        f"{step} {releasing}->{taking}: total {parts['total']:.1f} ms = {phases}; "
        f"kernel {parts['kernel']:.1f}; hacore's share {parts['hacore']:.1f} ms "
        f"({SHOWN['negotiation']} {parts['negotiation']:.1f} ms)"
    )
