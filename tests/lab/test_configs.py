"""Per-node configuration: the seed's, and a user's with only per-node values rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacore.api import ConfigError
from hacore.config.loader import load_config
from hacore.config.model import ClusterConfig
from hacore.failover import FailoverConfig
from hacore.plugins import load_plugins
from halab.configs import (
    FAST_TIMING,
    Timing,
    has_resources,
    keepalived_conf,
    log_file,
    node_names,
    read_template,
    render_hacf,
    seed_template,
    write_ha_d,
)
from halab.topology import lan_ip, node_addrs

TWO = node_addrs(["node1", "node2"])
THREE = node_addrs(["node1", "node2", "node3"])


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_seed_config_gives_each_node_its_peer_as_ucast_target() -> None:
    hacf = seed_template(["node1", "node2"])["ha.cf"]
    assert "ucast eth1 172.16.0.51" in directives(render_hacf(hacf, TWO[0], TWO))
    assert "ucast eth1 172.16.0.50" in directives(render_hacf(hacf, TWO[1], TWO))
    assert "ucast eth1 172.16.0.51" not in render_hacf(hacf, TWO[1], TWO)


def test_seed_config_is_the_tutorials_cluster() -> None:
    files = seed_template(["node1", "node2"])
    lines = directives(files["ha.cf"])
    for expected in ("auto_failback on", "node node1", "node node2", "ping 10.0.0.2"):
        assert expected in lines
    assert files["haresources"] == "node1 IPaddr::10.0.0.60/24/eth0 httpd\n"
    assert files["authkeys"].splitlines() == ["auth 1", "1 sha1 somekey"]


def test_timing_overrides_replace_the_templates_values_in_place() -> None:
    hacf = seed_template(["node1", "node2"])["ha.cf"]
    lines = directives(render_hacf(hacf, TWO[0], TWO, FAST_TIMING))
    assert lines[2:6] == ["keepalive 100ms", "deadtime 500ms", "warntime 300ms", "initdead 2"]
    assert sum(line.startswith("deadtime") for line in lines) == 1


def test_missing_timing_directives_are_added() -> None:
    lines = directives(render_hacf("node node1 node2\n", TWO[0], TWO, Timing(deadtime="1")))
    assert "deadtime 1" in lines


def test_three_nodes_get_one_ucast_line_per_peer() -> None:
    hacf = seed_template(["node1", "node2", "node3"])["ha.cf"]
    ucast = [line for line in directives(render_hacf(hacf, THREE[1], THREE)) if "ucast" in line]
    assert ucast == ["ucast eth1 172.16.0.50", "ucast eth1 172.16.0.52"]


def test_medium_replaces_every_media_line() -> None:
    hacf = "bcast eth1\nucast eth1 172.16.0.51\nnode node1 node2\n"
    lines = directives(render_hacf(hacf, TWO[0], TWO, medium="mcast"))
    assert [line for line in lines if line.split()[0] in ("ucast", "bcast", "mcast")] == [
        "mcast eth1 225.0.0.1 694 1 0"
    ]


def test_user_config_logs_stay_in_the_node_and_out_of_syslog() -> None:
    hacf = "debugfile /opt/ha/ha-debug\nlogfile /var/log/ha-log\nlogfacility local0\nnode a b\n"
    lines = directives(render_hacf(hacf, TWO[0], TWO))
    assert lines[:3] == [
        "debugfile /var/log/ha-debug",
        "logfile /var/log/ha-log",
        "logfacility none",
    ]


def test_comments_and_unknown_directives_are_kept() -> None:
    hacf = "# my cluster\nrespawn hacluster /usr/lib/heartbeat/ipfail\nnode node1 node2\n"
    out = render_hacf(hacf, TWO[0], TWO)
    assert out.startswith("# my cluster\nrespawn hacluster /usr/lib/heartbeat/ipfail\n")


def test_ucast_on_a_device_the_lab_lacks_is_an_error() -> None:
    with pytest.raises(ValueError, match="eth7"):
        render_hacf("ucast eth7 10.1.1.1\n", TWO[0], TWO)


def test_user_config_dir_needs_the_three_files(tmp_path: Path) -> None:
    (tmp_path / "ha.cf").write_text("node node1 node2\n")
    with pytest.raises(ValueError, match="haresources, authkeys"):
        read_template(tmp_path)


def test_written_authkeys_is_mode_600(tmp_path: Path) -> None:
    write_ha_d(tmp_path, seed_template(["node1", "node2"]), TWO[0], TWO)
    assert (tmp_path / "authkeys").stat().st_mode & 0o777 == 0o600
    assert "ucast eth1 172.16.0.51" in (tmp_path / "ha.cf").read_text()


def test_node_names_come_from_node_lines() -> None:
    assert node_names("node alpha\nnode beta gamma # three\n") == ["alpha", "beta", "gamma"]


def test_keepalived_uses_vrrp3_for_sub_second_adverts() -> None:
    master = keepalived_conf(TWO[0], advert_int=0.1)
    assert "vrrp_version 3" in master and "state MASTER" in master and "auth_type" not in master
    backup = keepalived_conf(TWO[1], advert_int=1)
    assert "vrrp_version 2" in backup and "priority 100" in backup and "auth_pass" in backup


def test_node_addresses_skip_the_vip() -> None:
    assert [lan_ip(i) for i in (1, 10, 11, 32)] == [
        "10.0.0.50",
        "10.0.0.59",
        "10.0.0.61",
        "10.0.0.82",
    ]


@pytest.mark.parametrize("names", [["node1"], ["a", "a"], ["client", "node2"], ["bad/name", "x"]])
def test_unusable_node_sets_are_refused(names: list[str]) -> None:
    with pytest.raises(ValueError):
        node_addrs(names)


def _load(tmp_path: Path, files: dict[str, str], me: str) -> ClusterConfig:
    addrs = node_addrs(node_names(files["ha.cf"]))
    target = tmp_path / me
    target.mkdir()
    write_ha_d(target, files, next(a for a in addrs if a.name == me), addrs, medium="mcast")
    return load_config(target, load_plugins(), me)


def test_more_than_two_nodes_make_a_membership_only_cluster_hacore_accepts(
    tmp_path: Path,
) -> None:
    files = seed_template(["node1", "node2", "node3"])
    assert not has_resources(files) and files["haresources"].startswith("# membership only")
    config = _load(tmp_path, files, "node3")
    assert config.groups == [] and FailoverConfig.from_cluster(config).groups == ()


def test_the_seed_group_among_three_nodes_is_what_hacore_refuses(tmp_path: Path) -> None:
    files = seed_template(["node1", "node2", "node3"], resources=True)
    assert has_resources(files)
    with pytest.raises(ConfigError, match="haresources failover supports two nodes"):
        FailoverConfig.from_cluster(_load(tmp_path, files, "node1"))


def test_two_nodes_keep_the_seed_group_unless_told_otherwise() -> None:
    assert has_resources(seed_template(["node1", "node2"]))
    assert not has_resources(seed_template(["node1", "node2"], resources=False))


def test_the_log_file_is_where_render_hacf_moves_it() -> None:
    assert log_file(seed_template(["node1", "node2"])) == "/var/log/ha-log"
    assert log_file({"ha.cf": "logfile /opt/ha/cluster.log # mine\n"}) == "/var/log/cluster.log"
    assert log_file({"ha.cf": "node a b\n"}) == "/var/log/ha-log"
