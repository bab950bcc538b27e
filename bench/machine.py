"""The machine and software a run measured on, so figures are never read out of context."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import hacore


def _first_line(cmd: list[str]) -> str | None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else None


def _package_version(name: str) -> str | None:
    return _first_line(["dpkg-query", "-W", "-f", "${Version}", name])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def describe() -> dict[str, Any]:
    uname = os.uname()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_total_gib": round(mem_total_gib(), 1),
        "kernel": f"{uname.release} {uname.version}",
        "arch": uname.machine,
        "hostname": uname.nodename,
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "loadavg_start": loadavg(),
    }


def hacore_commit() -> str | None:
    """The work tree's commit, marked "+changes" when it has uncommitted edits."""
    repo = Path(hacore.__file__).resolve().parent.parent
    head = _first_line(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    if head is None:
        return None
    dirty = _first_line(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"])
    return f"{head}+changes" if dirty else head


def versions() -> dict[str, str | None]:
    return {
        "hacore": hacore.__version__,
        "hacore_commit": hacore_commit(),
        "heartbeat": _package_version("heartbeat"),
        "keepalived": _package_version("keepalived"),
        "keepalived_banner": _first_line(["keepalived", "--version"]),
        "python": platform.python_version(),
    }
