"""Monitoring polls hactl every few seconds: that must not flood ha-log (real hacored)."""

from __future__ import annotations

import pytest

from tests.cluster_control.cluster_control_support import ControlLab, hactl

pytestmark = [pytest.mark.netns, pytest.mark.timeout(180)]

POLLS = 50


def test_polling_status_adds_no_info_lines_but_a_move_is_logged(control_lab: ControlLab) -> None:
    node = control_lab.lab.node("node1")
    ha_log = node.path("/var/log/ha-log")
    before = len(ha_log.read_text().splitlines())
    # 50 separate hactl processes (each its own connection), 4 at a time
    polls = node.exec(
        "sh",
        "-c",
        f"seq {POLLS} | xargs -P 4 -I{{}} sh -c 'hactl status >/dev/null && echo ok'",
        timeout=150,
    )
    assert polls.returncode == 0, polls.stderr
    assert polls.stdout.split() == ["ok"] * POLLS
    added = ha_log.read_text().splitlines()[before:]
    assert [line for line in added if ": info: " in line] == []
    assert not any("api_call" in line for line in added)
    # still traceable: ha.cf's debugfile has every call
    assert control_lab.lab.log("node1", "ha-debug").count("api_call method=GetStatus") >= POLLS

    # what an operator does is still in the log, at info level
    moved = hactl(node, "standby")
    assert moved.returncode == 0, moved.stderr
    calls = [line for line in ha_log.read_text().splitlines() if "[api_call " in line]
    assert len(calls) == 1 and ": info: [api_call method=Standby " in calls[0]
