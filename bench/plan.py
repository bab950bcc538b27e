"""How much a run measures: repetitions, windows and profiles for --quick and full mode.

Timings are the same for every daemon.  The fast profile is the demo's (keepalive 100 ms,
deadtime 500 ms, warntime 300 ms, initdead 2); keepalived gets advert_int 0.1 for it
and 1 s for the seed profile, as the anchors compared them.
"""

from __future__ import annotations

from dataclasses import dataclass

from halab.configs import FAST_TIMING, Timing

SCALING_SIZES = (2, 4, 8, 16, 32)
BENCHES = (
    "lifecycle",
    "failover_slow",
    "partition",
    "idle",
    "scaling",
    "false_failovers",
    "packet_path",
)
ALIASES = {
    "cold_start": "lifecycle",
    "failover": "lifecycle",
    "graceful": "lifecycle",
    "failback": "lifecycle",
    "slow": "failover_slow",
    "cpu": "idle",
    "packet": "packet_path",
}


@dataclass(frozen=True)
class Profile:
    name: str
    label: str  # how the report names the case
    timing: Timing
    advert_int: float  # keepalived's counterpart of the heartbeat timings

    @property
    def deadtime_s(self) -> float:
        return seconds(self.timing.deadtime or "30")

    def describe(self) -> str:
        t = self.timing
        return (
            f"keepalive {t.keepalive}, deadtime {t.deadtime}, warntime {t.warntime}, "
            f"initdead {t.initdead}; keepalived advert_int {self.advert_int:g}"
        )


FAST = Profile("fast", "keepalive 100 ms / deadtime 500 ms", FAST_TIMING, 0.1)
SEED = Profile(
    "seed",
    "keepalive 2 s / deadtime 30 s",
    Timing(keepalive="2", deadtime="30", warntime="10", initdead="120"),
    1.0,
)
IDLE_1S = Profile(
    "1s",
    "keepalive 1 s / deadtime 5 s",
    Timing(keepalive="1", deadtime="5", warntime="3", initdead="10"),
    1.0,
)


def seconds(ha_cf_time: str) -> float:
    """ha.cf time syntax: "2" = seconds, "500ms" = milliseconds."""
    text = ha_cf_time.strip()
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    if text.endswith("s"):
        return float(text[:-1])
    return float(text)


@dataclass(frozen=True)
class Plan:
    quick: bool
    reps: int  # lifecycle (start, crash, graceful, failback)
    slow_reps: int
    partition_reps: int
    idle_reps: int
    idle_window_s: float
    scaling_sizes: tuple[int, ...]
    scaling_reps: int
    scaling_reps_largest: int  # 32 Heartbeat nodes are heavy on two cores
    scaling_cpu_window_s: float
    scaling_soak_s: float  # the largest size: CPU and false deaths over this window
    false_failover_s: float
    settle_s: float = 6.0  # Heartbeat advertises a longer dead time for 5 s after start
    partition_hold_s: float = 5.0
    stable_s: float = 5.0  # "exactly one VIP holder" must hold this long

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    def reps_for_size(self, nodes: int) -> int:
        return self.scaling_reps_largest if nodes >= max(self.scaling_sizes) else self.scaling_reps


def make_plan(quick: bool, reps: int | None = None) -> Plan:
    """--quick: about a quarter of an hour for three daemons; full: about 80 minutes."""
    if quick:
        n = reps or 2
        return Plan(
            quick=True,
            reps=n,
            slow_reps=1,
            partition_reps=1,
            idle_reps=1,
            idle_window_s=10.0,
            scaling_sizes=SCALING_SIZES,
            scaling_reps=1,
            scaling_reps_largest=1,
            scaling_cpu_window_s=5.0,
            scaling_soak_s=30.0,
            false_failover_s=60.0,
        )
    n = reps or 5
    return Plan(
        quick=False,
        reps=n,
        slow_reps=min(n, 2),  # a rep waits out the seed's 30 s deadtime
        partition_reps=min(n, 3),
        idle_reps=min(n, 2),
        idle_window_s=30.0,
        scaling_sizes=SCALING_SIZES,
        scaling_reps=min(n, 2),
        scaling_reps_largest=1,  # a 5-minute soak per daemon
        scaling_cpu_window_s=10.0,
        scaling_soak_s=300.0,
        false_failover_s=300.0,
    )


def resolve_only(names: str | None) -> list[str]:
    """--only: benchmark names (or aliases) -> the benchmarks to run, in the standard order."""
    if not names:
        return list(BENCHES)
    wanted = set()
    for raw in names.split(","):
        name = raw.strip()
        if not name:
            continue
        canonical = ALIASES.get(name, name)
        if canonical not in BENCHES:
            known = ", ".join([*BENCHES, *ALIASES])
            raise ValueError(f"--only: unknown benchmark {name!r} (known: {known})")
        wanted.add(canonical)
    return [b for b in BENCHES if b in wanted]
