"""Benchmark: one status packet through hacore's receive path, in microseconds.

    python -m bench.packet_path              # prints µs per packet and where they go
    python -m bench.packet_path --json       # one JSON object (what run_all records)

The receiver is a real :class:`hacore.node.Node` (local node ``node2``) built from an
ha.cf, authkeys and haresources in a temporary directory, with the daemon's logging
set-up; its transports are built but never started, and each packet is handed to the
sink a transport calls per datagram (``Node._on_packet``): verify the trailer, decode,
membership, then the effects (metrics, the occasional ack, which is stamped, sealed and
offered to the unstarted transport). No socket, no sleeping: the loop is running but
never waits. A steady peer's statuses take the template short cut (hacore/statuspath.py);
the breakdown is of the general path each part would take without it (a status that
changed, the first of a peer), timed stage by stage on the same kind of packets.

The packets are Heartbeat 3.0.6's own: the captured sha1 status of node1
(tests/data/vectors/hb_sha1_status_active_mcast.bin), re-signed with the capture's key
for each new ``seq``. Re-sealing the captured seq must give back the captured bytes, or
the benchmark refuses to run: the stream is byte for byte what Heartbeat sends.

Time is CPU time of this process (``time.process_time``), not wall time: the machine is
shared, and time spent waiting for a core is not the path's cost. Each repetition feeds
one batch of fresh packets; the figure is the median over repetitions. There is no
Heartbeat or keepalived counterpart to a microbenchmark of hacore's own code, so run_all
records it for hacore only (n/a for the others) and prints no ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import NotApplicable, Trial

REPO = Path(__file__).resolve().parents[1]
VECTOR = REPO / "tests" / "data" / "vectors" / "hb_sha1_status_active_mcast.bin"
AUTHKEYS = "auth 3\n3 sha1 sha1-vector-key-3\n"  # the capture session's (vectors/README.md)
LINK = "eth0"
HA_CF = f"""\
keepalive 100ms
deadtime 500ms
warntime 300ms
initdead 2
udpport 694
mcast {LINK} 239.0.0.43 694 1 0
auto_failback on
node node1
node node2
crm off
"""
HARESOURCES = "node1 IPaddr::10.0.0.60/24/eth0\n"
WARMUP = 200  # brings node1 up: its first statuses change state, later ones do not


@dataclass(frozen=True)
class PathResult:
    """Microseconds of CPU per status packet (medians over repetitions)."""

    path_us: float  # the whole sink: verify + decode + membership + effects
    path_min_us: float
    open_us: float  # general path: verify the trailer, decode (PacketSigner.open)
    membership_us: float  # general path: Membership.receive
    effects_us: float  # general path: the effects (metrics; an ack every tenth packet)
    send_us: float  # for comparison: one status of ours, stamped and sealed
    packets: int
    repetitions: int


def heartbeat_statuses(first_seq: int, count: int) -> list[bytes]:
    """``count`` statuses of node1 as Heartbeat sends them, from ``first_seq`` on."""
    from hacore_plugins.auth.sha1 import SHA1

    from hacore.config.model import AuthKey, AuthKeys
    from hacore.wire.codec import decode
    from hacore.wire.signing import PacketSigner

    captured = VECTOR.read_bytes()
    msg = decode(captured)
    msg.remove("auth")
    signer = PacketSigner(AuthKeys(active=3, keys={3: AuthKey(3, SHA1, b"sha1-vector-key-3")}))
    if signer.seal(msg) != captured:
        raise SystemExit(f"bench: re-sealing {VECTOR.name} does not give the captured bytes")
    ts = int(msg.get("ts") or "0", 16)
    packets = []
    for seq in range(first_seq, first_seq + count):
        msg.set("seq", f"{seq:x}")
        msg.set("ts", f"{ts + seq // 10:x}")  # a keepalive of 100 ms: ten per second
        packets.append(signer.seal(msg))
    return packets


def _write_config(directory: Path) -> None:
    directory.mkdir()
    (directory / "ha.cf").write_text(HA_CF)
    (directory / "authkeys").write_text(AUTHKEYS)
    (directory / "authkeys").chmod(0o600)
    (directory / "haresources").write_text(HARESOURCES)


def _per_packet(
    batches: Sequence[Sequence[bytes]], run: Callable[[Sequence[bytes]], None]
) -> list[float]:
    """CPU µs per packet of ``run`` over each batch."""
    out = []
    for batch in batches:
        started = time.process_time()
        run(batch)
        out.append((time.process_time() - started) / len(batch) * 1e6)
    return out


async def _measure(root: Path, batch: int, reps: int) -> PathResult:
    from hacore import logsetup
    from hacore.config.loader import load_config
    from hacore.node import Node
    from hacore.plugins import load_plugins

    _write_config(root / "ha.d")
    registry = load_plugins()
    config = load_config(root / "ha.d", registry, node_name="node2")
    logsetup.configure(config.local_node, logfile=root / "ha-log", stderr=False)
    node = Node(config, registry, state_dir=root / "state", run_dir=root / "run")
    node._build()  # what Node.run() does before it opens anything
    node._loop = asyncio.get_running_loop()
    stream = heartbeat_statuses(1, WARMUP + 2 * reps * batch)
    for packet in stream[:WARMUP]:
        node._on_packet(packet, LINK)
    if str(node.membership.status("node1")) != "active":
        raise SystemExit("bench: node1 did not come up from its statuses")
    rest = stream[WARMUP:]
    whole = [rest[i * batch : (i + 1) * batch] for i in range(reps)]
    staged = [rest[(reps + i) * batch : (reps + i + 1) * batch] for i in range(reps)]

    def sink(packets: Sequence[bytes]) -> None:
        for packet in packets:
            node._on_packet(packet, LINK)

    path = _per_packet(whole, sink)
    opened, received, applied = [], [], []
    for packets in staged:
        started = time.process_time()
        msgs = [node.signer.open(p) for p in packets]
        middle = time.process_time()
        now = node.now()
        effects = [node.membership.receive(m, LINK, now) for m in msgs]
        last = time.process_time()
        for found in effects:
            node._apply_membership(found)
        done = time.process_time()
        scale = 1e6 / len(packets)
        opened.append((middle - started) * scale)
        received.append((last - middle) * scale)
        applied.append((done - last) * scale)
    send = []
    for _ in range(reps):
        started = time.process_time()
        for _ in range(batch // 10):
            node._send_status()
        send.append((time.process_time() - started) / (batch // 10) * 1e6)
    med = statistics.median
    return PathResult(
        path_us=round(med(path), 2),
        path_min_us=round(min(path), 2),
        open_us=round(med(opened), 2),
        membership_us=round(med(received), 2),
        effects_us=round(med(applied), 2),
        send_us=round(med(send), 2),
        packets=len(whole) * batch,
        repetitions=reps,
    )


def measure(batch: int = 2000, reps: int = 15) -> PathResult:
    """Run the benchmark in this process (a fresh interpreter gives the daemon's state)."""
    with tempfile.TemporaryDirectory(prefix="hacore-packet-path-") as tmp:
        return asyncio.run(_measure(Path(tmp), batch, reps))


def measure_in_subprocess(batch: int, reps: int) -> PathResult:
    """The benchmark in a fresh interpreter: nothing of the caller's state (logging
    set-up, imported modules, heap) weighs on the figures."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.packet_path", "--json", f"--batch={batch}", f"--reps={reps}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.packet_path failed: {done.stderr.strip()[-500:]}")
    return PathResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def packet_path(trial: Trial, quick: bool) -> None:
    """run_all's entry: hacore's figures; n/a for the other daemons."""
    if trial.daemon != "hacore":
        raise NotApplicable(
            "a microbenchmark of hacore's own receive path: Heartbeat and keepalived have "
            "no counterpart to run"
        )
    result = measure_in_subprocess(batch=1000 if quick else 2000, reps=9 if quick else 21)
    fields = asdict(result)
    trial.metrics.update(
        {k: fields[k] for k in ("path_us", "open_us", "membership_us", "effects_us", "send_us")}
    )
    trial.detail.update(
        path_min_us=result.path_min_us, packets=result.packets, repetitions=result.repetitions
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.packet_path", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--batch", type=int, default=2000, help="packets per repetition")
    parser.add_argument("--reps", type=int, default=15, help="repetitions")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.batch < 10 or args.reps < 1:
        parser.error("--batch must be at least 10 and --reps at least 1")
    result = measure(args.batch, args.reps)
    if args.json:
        print(json.dumps(asdict(result)))
        return 0
    print(
        f"hacore: {result.path_us:.1f} µs of CPU per status packet "
        f"(receive -> verify -> decode -> membership -> effects; min {result.path_min_us:.1f}, "
        f"median of {result.repetitions} x {result.packets // result.repetitions} packets)"
    )
    print("  the general path, which a status takes when it differs from its sender's last:")
    print(f"    verify + decode   {result.open_us:6.1f} µs")
    print(f"    membership        {result.membership_us:6.1f} µs")
    print(f"    effects           {result.effects_us:6.1f} µs (metrics, an ack every tenth)")
    print(f"  (sending one status of ours: {result.send_us:.1f} µs)")
    print("Heartbeat 3.0.6 has no counterpart to this microbenchmark: no ratio.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
