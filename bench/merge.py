"""A partial run completed by an earlier one (``run_all --keep-from``).

A full run takes about 80 minutes. When a change can only move some sections (the idle
and scaling figures, say), those are rerun for every daemon and the rest is taken from
the last full run: each section still compares the three daemons measured in one run,
and the docs name the run every kept section comes from.
"""

from __future__ import annotations

from typing import Any


def merged(fresh: dict[str, Any], earlier: dict[str, Any], earlier_dir: str) -> dict[str, Any]:
    """``fresh`` results plus the sections of ``earlier`` that ``fresh`` did not measure
    (their records and failures, in ``earlier``'s section order); neither is changed."""
    measured = list(fresh["meta"].get("benches", []))
    kept = [b for b in earlier["meta"].get("benches", []) if b not in measured]
    if not kept:
        return fresh
    meta = dict(fresh["meta"])
    before = earlier["meta"]
    meta["kept_from"] = {
        "results": earlier_dir,
        "started_utc": before.get("started_utc"),
        "command": before.get("command"),
        "mode": before.get("mode"),
        "benches": kept,
    }
    meta["benches"] = measured + kept
    return {
        **fresh,
        "meta": meta,
        "records": fresh["records"] + [r for r in earlier["records"] if r["bench"] in kept],
        "failures": fresh["failures"] + [f for f in earlier["failures"] if f["bench"] in kept],
    }
