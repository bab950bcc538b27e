"""A flood of garbage and forged packets at a running node's heartbeat port.

    python -m bench.flood     # 50,000 + 50,000 packets at 5,000/s, then unpaced; docs updated
    python -m bench.flood --no-docs --rates 0 --garbage 5000 --forged 5000

Two hacore nodes at the fast timings (keepalive 100 ms, deadtime 500 ms); node1 serves
the VIP. From inside node2's namespace, on the heartbeat link, a bounded loop sends
node1's heartbeat port garbage (random bytes, some behind a start marker) and then
status packets signed with the wrong key, each claiming another sender name (every
tenth not UTF-8). Recorded: whether anything changed (VIP holders sampled every 20 ms,
"is dead" lines, both nodes' view of each other), node1's log lines during the flood, and
node1's CPU time per packet. tests/cluster_comm/test_comm_flood.py asserts the first
three; the CPU figure is only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORT = 694
TARGET = "172.16.0.50"  # node1 on the heartbeat link
WRONG_KEY = b"not-the-cluster-key"
SETTLE_S = 3.0
AFTER_S = 2.0
MAX_DATAGRAM = 1400


@dataclass
class FloodResult:
    garbage: int
    forged: int
    send_s: float
    vip_holder_sets: list[list[str]]  # every distinct set of holders seen, in order
    dead_lines: int
    node1_sees_node2: str
    node2_sees_node1: str
    links_node1_sees: dict[str, str]
    log_lines: int  # lines node1 wrote from the flood's start until AFTER_S after it
    drop_lines: int  # of which about dropped packets
    cpu_s: float  # node1's hacored CPU time over the same window
    window_s: float
    udp_received: int  # datagrams node1's kernel delivered to sockets in the window
    udp_buffer_drops: int  # datagrams node1's kernel dropped: a socket's buffer was full
    lines: list[str]  # node1's log lines from the window


# ---- the sender (runs inside node2's namespace) ----------------------------------------------


def _garbage(rng: random.Random) -> bytes:
    body = rng.randbytes(rng.randint(1, MAX_DATAGRAM))
    return rng.choice([b"", b"###\n", b">>>\n"]) + body


def _forged_packets(count: int, key: bytes = WRONG_KEY) -> list[bytes]:
    """Statuses claiming ever new senders; with the cluster's ``key`` (what anyone can
    do with crc) also, now and then, our peer's name in capitals and our own name."""
    from hacore_plugins.auth.sha1 import SHA1

    from hacore.config.model import AuthKey, AuthKeys
    from hacore.wire.message import Message
    from hacore.wire.signing import PacketSigner

    signer = PacketSigner(AuthKeys(active=1, keys={1: AuthKey(1, SHA1, key)}))
    packets = []
    for i in range(count):
        name = f"intruder-{i}" if i % 10 else (b"n\xff%d" % i).decode("utf-8", "surrogateescape")
        if key != WRONG_KEY and i % 50 in (1, 2):
            name = "NODE2" if i % 50 == 1 else "node1"
        status = Message(("t", "status"), ("st", "active"), ("dt", "1f4"), ("protocol", "1"))
        status.add("src", name).add("seq", f"{i + 1:x}").add("hg", "1").add("ts", "6b05ab68")
        packets.append(signer.seal(status))
    return packets


def send(
    target: str, port: int, garbage: int, forged: int, rate: int, signed: int, key: bytes
) -> float:
    """Build the packets, say ``ready`` and wait for a line on stdin, then send them,
    ``rate`` per second (0: as fast as the socket takes them); returns the seconds
    sending took."""
    rng = random.Random(20261206)
    junk = [_garbage(rng) for _ in range(garbage)]
    fakes = _forged_packets(forged) + _forged_packets(signed, key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    packets = junk + fakes
    step = max(rate // 100, 1) if rate else len(packets)  # one burst per 10 ms
    try:
        for first in range(0, len(packets), step):
            for packet in packets[first : first + step]:
                sock.sendto(packet, (target, port))
            if rate:
                time.sleep(max(0.0, started + (first + step) / rate - time.monotonic()))
    finally:
        sock.close()
    return time.monotonic() - started


# ---- the scenario (runs in the lab's process) --------------------------------------------------


def _cpu_s(pid: int) -> float:
    from bench.procstat import CLK_TCK, sample

    snap = sample(pid)
    return snap.stat.cpu_ticks / CLK_TCK if snap is not None else 0.0


def _udp_counters(lab: object, node: str) -> tuple[int, int]:
    """(InDatagrams, RcvbufErrors) of ``node``'s namespace, from /proc/net/snmp."""
    from halab.lab import Lab

    assert isinstance(lab, Lab)
    text = lab.net.exec(node, "cat", "/proc/net/snmp").stdout
    names, values = [line.split()[1:] for line in text.splitlines() if line.startswith("Udp:")]
    udp = dict(zip(names, map(int, values), strict=True))
    return udp["InDatagrams"], udp["RcvbufErrors"]


def _view(lab: object, observer: str, peer: str) -> dict[str, object]:
    from halab.lab import Lab

    assert isinstance(lab, Lab)
    out = lab.node(observer).exec("hactl", "status", "--json", timeout=30)
    if out.returncode != 0:
        return {"status": f"hactl failed: {out.stderr.strip()}", "links": []}
    entry: dict[str, object] = next(n for n in json.loads(out.stdout)["nodes"] if n["name"] == peer)
    return entry


def flood(
    lab: object, garbage: int, forged: int, rate: int = 0, signed: int = 0, key: bytes = b""
) -> FloodResult:
    """Flood node1 of a started lab whose node1 serves the VIP; see the module doc.
    ``signed`` more statuses come signed with ``key`` (the cluster's: as anyone can
    sign with crc), from invented names, our peer's in capitals and node1's own."""
    from bench.logwatch import ANY_DEAD, count
    from halab.lab import Lab
    from halab.membership import LogCursor

    assert isinstance(lab, Lab)
    node1 = lab.node("node1")
    assert node1.daemon is not None and node1.daemon.pid is not None
    log = LogCursor(node1.path("/var/log/ha-log"))
    logs = [log, LogCursor(lab.node("node2").path("/var/log/ha-log"))]
    sampler = lab.sample_vip(0.02)
    sender = lab.net.popen(
        "node2",
        sys.executable, "-m", "bench.flood", "--send", "--garbage", str(garbage),
        "--forged", str(forged), "--rate", str(rate), "--signed", str(signed),
        "--key", key.decode(),
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert sender.stdout is not None
    if sender.stdout.readline().strip() != b"ready":
        sender.kill()
        raise RuntimeError(f"flood sender failed: {sender.communicate()[1].decode()[-500:]}")
    udp_before = _udp_counters(lab, "node1")
    cpu_before, started = _cpu_s(node1.daemon.pid), time.monotonic()
    out, err = sender.communicate(b"go\n", timeout=300)
    if sender.returncode != 0:
        raise RuntimeError(f"flood sender failed ({sender.returncode}): {err.decode()[-500:]}")
    time.sleep(AFTER_S)
    window = time.monotonic() - started
    cpu = _cpu_s(node1.daemon.pid) - cpu_before
    udp_after = _udp_counters(lab, "node1")
    sampler.stop()
    lab.check_daemons()
    node1_lines = log.read_lines()
    all_lines = node1_lines + logs[1].read_lines()
    seen_by_1, seen_by_2 = _view(lab, "node1", "node2"), _view(lab, "node2", "node1")
    links = seen_by_1.get("links")
    return FloodResult(
        garbage=garbage,
        forged=forged + signed,
        send_s=float(out.decode().strip() or 0),
        vip_holder_sets=[sorted(holders) for _, holders in sampler.changes],
        dead_lines=count(all_lines, ANY_DEAD["hacore"]),
        node1_sees_node2=str(seen_by_1.get("status")),
        node2_sees_node1=str(seen_by_2.get("status")),
        links_node1_sees={
            str(link["name"]): str(link["status"])
            for link in (links if isinstance(links, list) else [])
            if isinstance(link, dict)
        },
        log_lines=len(node1_lines),
        drop_lines=sum("packet_dropped" in line for line in node1_lines),
        cpu_s=cpu,
        window_s=window,
        udp_received=udp_after[0] - udp_before[0],
        udp_buffer_drops=udp_after[1] - udp_before[1],
        lines=node1_lines,
    )


def section(results: list[tuple[int, FloodResult]], load_before: str, load_after: str) -> list[str]:
    """One column per rate (0: unpaced)."""
    first = results[0][1]

    def row(label: str, cell: Callable[[FloodResult], str]) -> str:
        return f"| {label} | " + " | ".join(cell(r) for _, r in results) + " |"

    def holders(r: FloodResult) -> str:
        return " then ".join(",".join(h) or "nobody" for h in r.vip_holder_sets)

    return [
        "## Packet flood",
        "",
        f"> Written by `python -m bench.flood` ({time.strftime('%Y-%m-%d', time.gmtime())}). "
        "Two hacore nodes at keepalive 100 ms / deadtime 500 ms, node1 serving the VIP. "
        f"From node2's namespace, on the heartbeat link, {first.garbage:,} garbage packets "
        f"then {first.forged:,} status packets signed with the wrong key, each claiming "
        "another sender (every tenth not UTF-8); once paced, once as fast as one Python loop "
        "sends them (a new lab each time). Load average (1/5/15 min) before: "
        f"{load_before}; after: {load_after}, on {os.cpu_count()} cores shared with other work.",
        "",
        "| measurement | " + " | ".join(f"{r:,}/s" if r else "unpaced" for r, _ in results) + " |",
        "|---|" + "---|" * len(results),
        row("packets sent", lambda r: f"{r.garbage + r.forged:,} in {r.send_s:.2f} s "
            f"({(r.garbage + r.forged) / max(r.send_s, 1e-9):,.0f}/s)"),
        row("VIP holders seen (sampled every 20 ms)", holders),
        row("'is dead' lines (both nodes)", lambda r: str(r.dead_lines)),
        row("node1 sees node2 / node2 sees node1 after",
            lambda r: f"{r.node1_sees_node2} / {r.node2_sees_node1}"),
        row(f"node1's log lines during the flood (+{AFTER_S:g} s)",
            lambda r: f"{r.log_lines} ({r.drop_lines} about dropped packets)"),
        row("datagrams node1's kernel delivered / dropped (buffer full)",
            lambda r: f"{r.udp_received:,} / {r.udp_buffer_drops:,}"),
        row("node1's CPU time during the flood",
            lambda r: f"{r.cpu_s:.2f} s over {r.window_s:.1f} s "
            f"({r.cpu_s * 1e6 / max(r.udp_received, 1):.1f} µs per datagram delivered)"),
        "",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--garbage", type=int, default=50_000)
    parser.add_argument("--forged", type=int, default=50_000)
    parser.add_argument(
        "--rates", default="5000,0", help="packets per second, one lab each (0: no limit)"
    )
    parser.add_argument("--rate", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--signed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--key", default="", help=argparse.SUPPRESS)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--send", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.send:
        took = send(
            TARGET, PORT, args.garbage, args.forged, args.rate, args.signed, args.key.encode()
        )
        print(f"{took:.3f}")
        return 0
    from halab.configs import FAST_TIMING
    from halab.lab import Lab

    def load() -> str:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])

    load_before = load()
    results = []
    for rate in (int(r) for r in args.rates.split(",")):
        with Lab(timing=FAST_TIMING, kind="bench") as lab:
            lab.start()
            lab.wait_serving("node1", 60)
            time.sleep(SETTLE_S)
            result = flood(lab, args.garbage, args.forged, rate)
        print(json.dumps({"rate": rate, **asdict(result)}), flush=True)
        results.append((rate, result))
    lines = section(results, load_before, load())
    print("\n".join(lines))
    if not args.no_docs:
        from bench.docsection import update

        print(f"wrote {update('bench.flood', lines)}")
    changed = [r for _, r in results if len(r.vip_holder_sets) != 1 or r.dead_lines]
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
