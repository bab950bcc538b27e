"""Loading a whole configuration directory: order, cross-checks, local node, paths."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hacore.api import AuthMethod, ConfigError
from hacore.config.loader import load_config, shown_path
from hacore.config.model import NOT_STARTED, ConfigErrors
from hacore.config.nodename import local_node_name
from hacore.hookspecs import hookimpl
from hacore.plugins import PluginRegistry


def lines(directory: Path, registry: PluginRegistry, node: str | None = "node1") -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_config(directory, registry, node)
    return caught.value.lines()


def test_seed_directory_for_both_nodes(seed_dir: Path, registry: PluginRegistry) -> None:
    for node in ("node1", "NODE2"):
        config = load_config(seed_dir, registry, node_name=node)
        assert config.local_node == node.lower()
        assert config.directory == seed_dir
        assert config.hacf.nodes == ["node1", "node2"]
        assert [(g.node, g.key) for g in config.groups] == [("node1", "IPaddr::10.0.0.60")]
        assert config.authkeys.signer.method.name == "crc"
        assert config.warnings == []


def test_local_node_must_be_configured(seed_dir: Path, registry: PluginRegistry) -> None:
    assert lines(seed_dir, registry, "node3") == [
        "ERROR: Current node [node3] not in configuration!",
        "info: By default, cluster nodes are named by `uname -n` and must be declared with a "
        "'node' directive in the ha.cf file.",
        "info: See also: http://linux-ha.org/wiki/Ha.cf#node_directive",
        f"ERROR: {NOT_STARTED}",
    ]


def test_autojoin_conflicts_with_haresources(seed_dir: Path, registry: PluginRegistry) -> None:
    with (seed_dir / "ha.cf").open("a") as hacf:
        hacf.write("autojoin other\n")
    assert lines(seed_dir, registry)[0] == (
        "ERROR: R1 style resource management conflicts with  autojoin set"
    )


def test_messages_use_heartbeats_double_slash(seed_dir: Path, registry: PluginRegistry) -> None:
    (seed_dir / "authkeys").chmod(0o644)
    assert lines(seed_dir, registry)[0] == (
        f"ERROR: Bad permissions on keyfile [{seed_dir}//authkeys], 600 recommended."
    )
    (seed_dir / "authkeys").chmod(0o600)
    (seed_dir / "haresources").write_text("nodeZ 10.0.0.61\n")
    assert lines(seed_dir, registry)[0] == (
        f"ERROR: {seed_dir / 'haresources'}:1: Bad nodename in {seed_dir}//haresources [nodeZ]"
    )
    os.remove(seed_dir / "ha.cf")
    assert lines(seed_dir, registry)[0] == f"ERROR: Cannot open config file [{seed_dir}//ha.cf]"
    assert shown_path("/etc/ha.d/", "ha.cf") == "/etc/ha.d//ha.cf"


def test_files_are_checked_in_heartbeats_order(seed_dir: Path, registry: PluginRegistry) -> None:
    """A broken ha.cf hides authkeys problems; a broken authkeys hides haresources ones."""
    (seed_dir / "authkeys").write_text("auth 1\n")
    (seed_dir / "haresources").write_text("nodeZ x\n")
    with (seed_dir / "ha.cf").open("a") as hacf:
        hacf.write("bogus\n")
    assert "Illegal directive [bogus]" in lines(seed_dir, registry)[0]
    shutil.copy(Path(__file__).parent / "data" / "seed" / "ha.cf", seed_dir / "ha.cf")
    assert "Auth Key [1] not found" in lines(seed_dir, registry)[0]


def test_auth_method_warnings(seed_dir: Path, registry_with: Callable[..., PluginRegistry]) -> None:
    class Hmac256:
        @hookimpl
        def hacore_auth_methods(self) -> Sequence[AuthMethod]:
            return [
                AuthMethod(
                    "hmac-sha256",
                    key_required=True,
                    digest=lambda key, data: "",
                    heartbeat_compatible=False,
                    startup_warning="hmac-sha256 is a hacore extension",
                )
            ]

    registry = registry_with(Hmac256())
    (seed_dir / "authkeys").write_text("auth 4\n4 hmac-sha256 secret\n")
    config = load_config(seed_dir, registry, "node1")
    assert [w.message for w in config.warnings] == [
        "hmac-sha256 is a hacore extension",
        "Auth method [hmac-sha256] is not understood by Heartbeat 3.0.6 nodes: "
        "every node of this cluster must run hacore",
    ]


def test_local_node_name(tmp_path: Path) -> None:
    assert local_node_name(tmp_path) == os.uname().nodename.lower()
    assert local_node_name(tmp_path, "Node7") == "node7"
    (tmp_path / "nodeinfo").write_text("Node1 \nignored\n")
    assert local_node_name(tmp_path) == "node1"
    assert local_node_name(tmp_path, "node2") == "node2"
    (tmp_path / "nodeinfo").write_text("\nnode1\n")
    with pytest.raises(ConfigError, match="first line must be this node's name"):
        local_node_name(tmp_path)


def test_nodeinfo_picks_the_node(seed_dir: Path, registry: PluginRegistry) -> None:
    (seed_dir / "nodeinfo").write_text("node2\n")
    assert load_config(seed_dir, registry).local_node == "node2"
