"""sysrq_trigger: a self-fence's reboot request, written to a stand-in file (never the
machine's /proc/sysrq-trigger)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacore.fencing.sysrq import sysrq_reboot


def test_the_reboot_request_is_a_b_written_to_the_trigger(tmp_path: Path) -> None:
    trigger = tmp_path / "sysrq-trigger"
    trigger.write_text("")
    assert sysrq_reboot(trigger) is True
    assert trigger.read_text() == "b"


def test_a_trigger_that_refuses_is_logged_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sysrq_reboot(tmp_path / "missing-dir" / "sysrq-trigger") is False
    assert "self_fence_sysrq_failed" in capsys.readouterr().out
