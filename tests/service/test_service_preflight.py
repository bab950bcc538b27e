"""`hacored --check` also checks what a start needs on this machine, and says what it
could not check."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from hacore.api import MediumConfig, PacketSink, Transport, TransportType
from hacore.check import run_check
from hacore.config.loader import load_config
from hacore.hookspecs import hookimpl
from hacore.plugins import load_plugins
from hacore.preflight import Machine, start_checks
from tests.service.service_support import LoopbackNode


def test_check_on_the_node_lists_every_start_up_check(loop_node: LoopbackNode) -> None:
    result = loop_node.hacored("--check")
    assert (result.returncode, result.stderr) == (0, "")
    checks = result.stdout.split("Start-up checks on this machine:\n")[1].splitlines()
    log = loop_node.root / "log"
    assert checks == [
        "  ok: media: lo present",
        f"  ok: logfile {log}/ha-log: writable",
        f"  ok: debugfile {log}/ha-debug: writable",
        f"  ok: state directory {loop_node.state}: writable",
        f"  ok: run directory {loop_node.run}: writable",
    ]
    assert not loop_node.state.exists() and not loop_node.run.exists(), "--check creates nothing"


def test_check_for_another_node_says_what_it_could_not_check(loop_node: LoopbackNode) -> None:
    (loop_node.conf / "haresources").write_text("n2 NotInstalledHere\n")
    result = loop_node.hacored("--check", "--node-name", "n2")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith(
        "Start-up checks on this machine:\n"
        "  not checked: resource scripts, media interfaces, log, state and run directories "
        "(this machine is n1, not n2)\n"
    )


def test_without_root_writability_is_not_checked(loop_node: LoopbackNode) -> None:
    registry = load_plugins()
    config = load_config(loop_node.conf, registry)
    findings = start_checks(
        config,
        registry,
        state_dir=loop_node.state,
        run_dir=loop_node.run,
        machine=Machine(here=True, root=False),
    )
    assert [(f.kind, f.text) for f in findings] == [
        ("ok", "media: lo present"),
        ("unchecked", "log, state and run directories are writable (not root)"),
    ]


class _Opaque(Transport):
    link_name = "opaque0"

    async def start(self, sink: PacketSink) -> None:
        raise AssertionError("the checks never open a medium")

    def send(self, payload: bytes) -> None:
        raise AssertionError("never sent")

    async def stop(self) -> None:
        return None


class OpaquePlugin:
    """A third-party medium whose transport has no start-up check of its own."""

    @hookimpl
    def hacore_transport_types(self) -> Sequence[TransportType]:
        def build(medium: MediumConfig) -> Sequence[Transport]:
            return [_Opaque()]

        return [TransportType("opaque", build)]


def test_a_medium_whose_plugin_cannot_tell_is_reported_as_not_checked(
    loop_node: LoopbackNode,
) -> None:
    hacf = (loop_node.conf / "ha.cf").read_text()
    (loop_node.conf / "ha.cf").write_text(hacf + "opaque anything\n")
    out, err = io.StringIO(), io.StringIO()
    registry = load_plugins(extra=[OpaquePlugin()])
    code = run_check(
        loop_node.conf,
        registry=registry,
        out=out,
        err=err,
        state_dir=loop_node.state,
        run_dir=loop_node.run,
    )
    assert (code, err.getvalue()) == (0, "")
    assert "  not checked: medium 'opaque anything' (its plugin has no start-up check)\n" in (
        out.getvalue()
    )


def test_missing_pieces_fail_the_check_with_the_start_exit_code(
    loop_node: LoopbackNode, tmp_path: Path
) -> None:
    (loop_node.conf / "haresources").write_text("n1 IPaddr::10.9.9.9 httpd-not-here\n")
    result = loop_node.hacored("--check")
    assert result.returncode == 6
    assert result.stderr.splitlines()[0].endswith(
        "Cannot locate resource script httpd-not-here (resource 'httpd-not-here' of "
        f"haresources; looked in {loop_node.conf}/resource.d and /etc/init.d)"
    )
    assert "  ERROR: 1 problem(s), listed on stderr\n" in result.stdout
    script = loop_node.conf / "resource.d" / "httpd-not-here"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho running\n")
    script.chmod(0o755)
    fixed = loop_node.hacored("--check")
    assert fixed.returncode == 0 and "  ok: resource scripts: all 2 found\n" in fixed.stdout
