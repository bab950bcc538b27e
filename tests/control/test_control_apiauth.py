"""apiauth: the pure decision, then the same rules enforced on real uids via hactl."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hacore.config.model import ApiAuth
from hacore.control.apiauth import PeerCredentials, authorize, effective_entries
from hacore.control.server import ControlServer
from hactl.client import Exit
from tests.control.control_fake import FakeTarget
from tests.control.control_support import HACLIENT, NOBODY, NOGROUP, Identity, run_hactl


def peer(uid: int, gid: int, *groups: int) -> PeerCredentials:
    return PeerCredentials(pid=1234, uid=uid, gid=gid, groups=groups)


# -- decision (pure) ------------------------------------------------------------------


def test_root_is_always_allowed_even_if_apiauth_lists_nobody_else() -> None:
    entries = {"hactl": ApiAuth("hactl", uids=("nobody",))}
    assert authorize(peer(0, 0), entries).allowed


def test_builtin_anon_allows_gid_listed_and_refuses_others() -> None:
    assert "anon" in effective_entries({})
    assert authorize(peer(NOBODY, 1234), {"x": ApiAuth("x", gids=("1234",))}).allowed is False
    allowed = authorize(peer(NOBODY, NOGROUP), {"anon": ApiAuth("anon", gids=(str(NOGROUP),))})
    assert allowed.allowed and allowed.client == "anon"


def test_refusal_message_names_caller_and_entry() -> None:
    decision = authorize(peer(NOBODY, NOGROUP), {})
    assert not decision.allowed
    assert decision.reason == (
        "uid 65534 (nobody) gid 65534 (nogroup) is not allowed to use the hacore API: "
        "apiauth anon uid=root gid=haclient does not list it"
    )


def test_hactl_entry_replaces_anon() -> None:
    entries = {"hactl": ApiAuth("hactl", uids=("nobody", "4242"))}
    assert authorize(peer(NOBODY, NOGROUP), entries).client == "hactl"
    assert authorize(peer(4242, 1), entries).allowed
    if HACLIENT is not None:  # anon would have let haclient in; hactl's entry decides now
        assert not authorize(peer(1, HACLIENT), entries).allowed


def test_uid_or_gid_and_supplementary_groups() -> None:
    entries = {"hactl": ApiAuth("hactl", uids=("1001",), gids=("2002",))}
    assert authorize(peer(1001, 5), entries).allowed
    assert authorize(peer(7, 2002), entries).allowed
    assert authorize(peer(7, 5, 9, 2002), entries).allowed
    assert not authorize(peer(7, 5, 9), entries).allowed


def test_unknown_names_match_nobody() -> None:
    entries = {"hactl": ApiAuth("hactl", uids=("no-such-user",), gids=("no-such-group",))}
    assert not authorize(peer(NOBODY, NOGROUP), entries).allowed


def test_default_entry_is_not_consulted() -> None:
    # Heartbeat's `default` is for named clients; API callers are casual (anon).
    entries = {"default": ApiAuth("default", uids=("nobody",))}
    assert not authorize(peer(NOBODY, NOGROUP), entries).allowed


# -- enforced on real uids ------------------------------------------------------------


@pytest.fixture
async def open_control(target: FakeTarget, sock_dir: Path) -> AsyncIterator[ControlServer]:
    """Socket mode 0666 so that apiauth, not file permissions, makes the decision."""
    server = ControlServer(target, sock_dir / "api.sock", socket_mode=0o666)
    await server.start()
    yield server
    await server.stop(grace=0.2)


async def test_other_uid_refused_by_default_apiauth(open_control: ControlServer) -> None:
    result = await run_hactl(open_control.socket_path, "status", identity=Identity(NOBODY, NOGROUP))
    assert result.rc == Exit.PERMISSION
    assert result.err == (
        "hactl: permission denied: uid 65534 (nobody) gid 65534 (nogroup) is not allowed "
        "to use the hacore API: apiauth anon uid=root gid=haclient does not list it\n"
    )


async def test_mutating_commands_refused_too_and_nothing_moves(
    open_control: ControlServer, target: FakeTarget
) -> None:
    for command in (("standby",), ("takeover", "foreign"), ("reload",)):
        result = await run_hactl(
            open_control.socket_path, *command, identity=Identity(NOBODY, NOGROUP)
        )
        assert result.rc == Exit.PERMISSION, (command, result.err)
    assert target.moves_completed == 0


@pytest.mark.requires("group:haclient")
async def test_haclient_member_allowed_by_builtin_anon(
    open_control: ControlServer, target: FakeTarget
) -> None:
    assert HACLIENT is not None
    primary = await run_hactl(
        open_control.socket_path, "status", "--json", identity=Identity(NOBODY, HACLIENT)
    )
    assert primary.rc == 0, primary.err
    supplementary = await run_hactl(
        open_control.socket_path, "standby", identity=Identity(NOBODY, NOGROUP, (HACLIENT,))
    )
    assert supplementary.rc == 0, supplementary.err
    assert target.moves_completed == 1


async def test_apiauth_hactl_entry_follows_live_config(
    open_control: ControlServer, target: FakeTarget
) -> None:
    target.apiauth_entries = {"hactl": ApiAuth("hactl", uids=("nobody",))}
    allowed = await run_hactl(open_control.socket_path, "nodes", identity=Identity(NOBODY, NOGROUP))
    assert allowed.rc == 0, allowed.err
    other = await run_hactl(open_control.socket_path, "nodes", identity=Identity(1, 1))
    assert other.rc == Exit.PERMISSION
    assert "apiauth hactl uid=nobody does not list it" in other.err
    root = await run_hactl(open_control.socket_path, "nodes")
    assert root.rc == 0


async def test_socket_permissions_keep_outsiders_out(control: ControlServer) -> None:
    """Default socket: 0660 group haclient. A uid outside the group cannot connect."""
    result = await run_hactl(control.socket_path, "status", identity=Identity(NOBODY, NOGROUP))
    assert result.rc == Exit.PERMISSION
    assert result.err == (
        f"hactl: permission denied: cannot use {control.socket_path} "
        "(run as root or as a member of group haclient)\n"
    )


async def test_unreachable_socket_directory_is_permission_denied(control: ControlServer) -> None:
    directory = control.socket_path.parent
    directory.chmod(0o700)
    try:
        result = await run_hactl(control.socket_path, "nodes", identity=Identity(NOBODY, NOGROUP))
    finally:
        directory.chmod(0o755)
    assert result.rc == Exit.PERMISSION
    assert result.err.startswith(f"hactl: permission denied: cannot use {control.socket_path}")
