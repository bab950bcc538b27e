"""Drop warnings for rejected packets: one line per reason and link per interval, whatever
names the packets claim, and every claimed name escaped."""

from __future__ import annotations

import gc
import tracemalloc

from structlog.testing import capture_logs

from hacore.ratelimit import DropWarnings
from hacore.wire.signing import PacketRejected

NOT_UTF8 = b"n\xffde\n2".decode("utf-8", "surrogateescape")


def test_fifty_thousand_claimed_names_give_one_line_per_reason_and_link() -> None:
    warnings = DropWarnings(interval_s=3600.0)
    warnings.warn(PacketRejected("bad_signature", "x", "warm-up"), "eth1")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with capture_logs() as logs:
            for i in range(50_000):
                warnings.warn(PacketRejected("bad_signature", "differs", f"n{i}"), "eth1")
                warnings.warn(PacketRejected("malformed", "no marker", f"n{i}"), "eth2")
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert [(e["reason"], e["link"]) for e in logs] == [("malformed", "eth2")]
    assert grown < 16 * 1024


def test_a_claimed_name_that_is_not_utf8_is_logged_escaped() -> None:
    with capture_logs() as logs:
        DropWarnings().warn(PacketRejected("bad_signature", "differs", NOT_UTF8), "eth1")

    assert logs[0]["msg"] == "string2msg_ll: node [n\\xffde\\n2] failed authentication"
    assert logs[0]["src"] == "n\\xffde\\n2"
