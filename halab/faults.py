"""Fault injection on lab nodes: crashes, freezes, links, packet loss/delay, services.

Every action works by pid or inside the node's own namespaces; nothing touches the host.
``tc netem`` is used for loss and delay when the kernel has it; without it (some VMs'
kernels lack sch_netem) loss falls back to an iptables ``statistic`` rule in the node,
and delay is reported as unavailable.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from functools import cache

from halab.labnode import LabNode

RULE_COMMENT = "halab-loss"


class FaultUnavailable(RuntimeError):
    """This machine cannot inject the requested fault."""


def crash(node: LabNode) -> None:
    """As the anchors' crash: eth1 and eth0 down, then SIGKILL of every process in the node."""
    node.crash()


def freeze(node: LabNode) -> list[int]:
    """SIGSTOP every process of the node (as a hung machine); the holder keeps reaping."""
    return node.signal_all(signal.SIGSTOP)


def thaw(node: LabNode) -> list[int]:
    """SIGCONT everything, twice: an ``nsenter`` wrapper that saw its child stop stops
    itself again when the child's SIGCONT races ahead of its own."""
    woken = node.signal_all(signal.SIGCONT)
    time.sleep(0.05)
    node.signal_all(signal.SIGCONT)
    return woken


def link_down(node: LabNode, ifname: str = "eth1") -> None:
    node.net.ip(node.name, "link", "set", ifname, "down")


def link_up(node: LabNode, ifname: str = "eth1") -> None:
    node.net.ip(node.name, "link", "set", ifname, "up")


def stop_service(node: LabNode, service: str = "httpd") -> subprocess.CompletedProcess[str]:
    """``/etc/init.d/<service> stop`` in the node, behind the cluster daemon's back."""
    return node.exec(f"/etc/init.d/{service}", "stop", check=True)


def kill_service(node: LabNode, pidfile: str) -> int:
    """SIGKILL a daemonized service and everything of its process group, found by the pid
    in its pid file (a crash, not a stop: the pid file stays); returns that pid."""
    pid = int(node.exec("cat", pidfile, check=True).stdout.split()[0])
    node.exec("kill", "-KILL", "--", f"-{pid}", check=True)
    return pid


@cache
def netem_available() -> bool:
    """Whether this kernel has sch_netem (probed once, in a throwaway namespace)."""
    probe = f"hlnetem{os.getpid():x}{secrets.token_hex(2)}"
    subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=True)
    try:
        subprocess.run(
            ["ip", "-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"],
            capture_output=True,
            check=True,
        )
        result = subprocess.run(
            ["ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "probe0", "root", "netem"],
            capture_output=True,
        )
        return result.returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)


def _loss_rule(ifname: str, loss_pct: float) -> list[str]:
    return [
        *("OUTPUT", "-o", ifname, "-m", "statistic", "--mode", "random"),
        *("--probability", f"{loss_pct / 100:.4f}"),
        *("-m", "comment", "--comment", RULE_COMMENT, "-j", "DROP"),
    ]


def impair(
    node: LabNode,
    ifname: str = "eth1",
    loss_pct: float = 0.0,
    delay_ms: float = 0.0,
    jitter_ms: float = 0.0,
) -> None:
    """Lose and/or delay packets leaving ``ifname`` of ``node`` (replaces earlier settings)."""
    if not 0 <= loss_pct <= 100:
        raise ValueError(f"loss must be 0..100 %, got {loss_pct}")
    clear_impairment(node, ifname)
    if netem_available():
        args = ["loss", f"{loss_pct}%", "delay", f"{delay_ms}ms", f"{jitter_ms}ms"]
        node.net.exec(node.name, "tc", "qdisc", "replace", "dev", ifname, "root", "netem", *args)
        return
    if delay_ms or jitter_ms:
        raise FaultUnavailable("packet delay needs tc netem, which this kernel does not have")
    if loss_pct:
        node.net.exec(node.name, "iptables", "-w", "-A", *_loss_rule(ifname, loss_pct))


def clear_impairment(node: LabNode, ifname: str = "eth1") -> None:
    node.net.exec(node.name, "tc", "qdisc", "del", "dev", ifname, "root", check=False)
    rules = node.net.exec(node.name, "iptables", "-w", "-S", "OUTPUT", check=False).stdout
    for line in rules.splitlines():
        if RULE_COMMENT in line and f"-o {ifname} " in line:
            spec = line.split()[1:]  # drop "-A"
            node.net.exec(node.name, "iptables", "-w", "-D", *spec, check=False)
