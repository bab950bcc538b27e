"""ha.cf: syntax, every directive, Heartbeat's defaults, constraints and messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hacore.api import SourceLocation
from hacore.config.directives import NO_EFFECT, OPTIONS, WHOLE_LINE
from hacore.config.hacf import EXTENSION_DIRECTIVES, PARSE_FAILED, parse_hacf
from hacore.config.model import NOT_STARTED, ConfigErrors, HaCf
from hacore.plugins import PluginRegistry, load_plugins

BASE = "node node1 node2\nucast eth1 10.0.0.2\nauto_failback on\n"


def parse(tmp_path: Path, registry: PluginRegistry, text: str) -> HaCf:
    path = tmp_path / "ha.cf"
    path.write_text(text)
    return parse_hacf(path, registry)


def errors(tmp_path: Path, registry: PluginRegistry, text: str) -> ConfigErrors:
    with pytest.raises(ConfigErrors) as caught:
        parse(tmp_path, registry, text)
    return caught.value


def messages(tmp_path: Path, registry: PluginRegistry, text: str) -> list[str]:
    return [p.message for p in errors(tmp_path, registry, text).problems]


def warnings(cf: HaCf) -> list[str]:
    return [w.message for w in cf.warnings]


# ---- the tutorial's file --------------------------------------------------------------


def test_seed_ha_cf(seed_dir: Path, registry: PluginRegistry) -> None:
    cf = parse_hacf(seed_dir / "ha.cf", registry)
    assert cf.nodes == ["node1", "node2"]
    assert [(m.keyword, m.args, m.udpport) for m in cf.media] == [
        ("ucast", ("eth1", "172.16.0.51"), 694)
    ]
    assert cf.media[0].location == SourceLocation(seed_dir / "ha.cf", 10)
    assert [(p.name, p.addresses, p.group) for p in cf.ping_nodes] == [
        ("10.0.0.2", ("10.0.0.2",), False)
    ]
    assert (cf.keepalive_ms, cf.deadtime_ms, cf.warntime_ms) == (2000, 60000, 4000)
    assert (cf.initdead_ms, cf.deadping_ms) == (120000, 60000)
    assert cf.auto_failback == "on"
    assert cf.logfile == Path("/var/log/ha-log")
    assert cf.debugfile == Path("/var/log/ha-debug")
    assert cf.logfacility == "local0"
    # /usr/lib/heartbeat/ipfail does not exist on Debian; ipfail is a helper type.
    assert not os.path.exists("/usr/lib/heartbeat/ipfail")
    assert [(r.user, r.command, r.failfast) for r in cf.respawn] == [
        ("hacluster", "/usr/lib/heartbeat/ipfail", False)
    ]
    assert (cf.apiauth["ipfail"].uids, cf.apiauth["ipfail"].gids) == (("hacluster",), ("haclient",))
    assert cf.warnings == []
    # What `cl_status hbparameter` would print.
    assert cf.parameters["keepalive"] == "2"
    assert cf.parameters["deadping"] == "60000ms"
    assert cf.parameters["auto_failback"] == "on"
    assert cf.parameters["udpport"] == "694"
    assert cf.raw["ucast"] == "eth1 172.16.0.51"
    assert cf.raw["respawn"] == "hacluster /usr/lib/heartbeat/ipfail"


# ---- line syntax ----------------------------------------------------------------------


def test_comments_blanks_cr_commas_and_case(tmp_path: Path, registry: PluginRegistry) -> None:
    text = (
        "# a comment\r\n"
        "\r\n"
        "   node NODE1,Node2   node3 # trailing comment\r\n"
        "keepalive 1#no space before the comment\r\n"
        "\tucast eth1 10.0.0.2\r\n"
    )
    cf = parse(tmp_path, registry, text)
    assert cf.nodes == ["node1", "node2", "node3"]
    assert cf.keepalive_ms == 1000
    assert cf.media[0].args == ("eth1", "10.0.0.2")
    assert cf.media[0].location == SourceLocation(tmp_path / "ha.cf", 5)


def test_unknown_directive_names_file_and_line(tmp_path: Path, registry: PluginRegistry) -> None:
    failure = errors(tmp_path, registry, BASE + "keepalive 1\nKeepalive 2\nfrobnicate yes\n")
    path = tmp_path / "ha.cf"
    assert [(p.message, p.location) for p in failure.problems] == [
        (f"Illegal directive [Keepalive] in {path}", SourceLocation(path, 5)),
        (f"Illegal directive [frobnicate] in {path}", SourceLocation(path, 6)),
    ]
    assert failure.lines() == [
        f"ERROR: {path}:5: Illegal directive [Keepalive] in {path}",
        f"ERROR: {path}:6: Illegal directive [frobnicate] in {path}",
        f"ERROR: {PARSE_FAILED}",
        f"ERROR: {NOT_STARTED}",
    ]


def test_missing_file(tmp_path: Path, registry: PluginRegistry) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_hacf(tmp_path / "ha.cf", registry, shown_as="/etc/ha.d//ha.cf")
    assert caught.value.lines()[0] == "ERROR: Cannot open config file [/etc/ha.d//ha.cf]"
    assert caught.value.lines()[-2:] == [f"ERROR: {PARSE_FAILED}", f"ERROR: {NOT_STARTED}"]


def test_duplicate_node_is_ignored_with_a_warning(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "node NODE2\n")
    assert cf.nodes == ["node1", "node2"]
    assert warnings(cf) == ["Node [node2] is listed twice: the duplicate is ignored"]


def test_value_less_and_multi_valued_directives(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "keepalive\ndeadtime 10 20\n")
    assert cf.keepalive_ms == 1000 and cf.deadtime_ms == 20000
    assert warnings(cf)[:2] == [
        "Directive [keepalive] has no value: ignored",
        "Directive [deadtime] has several values; the last one counts",
    ]


# ---- media ----------------------------------------------------------------------------


def test_udp_is_an_alias_for_bcast(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, "node a\nudp eth0 eth1\n")
    assert [(m.keyword, m.args) for m in cf.media] == [("bcast", ("eth0", "eth1"))]
    assert "directive 'udp' replaced by 'bcast'" in warnings(cf)


def test_udpport_and_baud_apply_to_later_media_only(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    text = (
        "node a\nbcast eth0\nserial /dev/ttyS0\nudpport 1001\nbaud 38400\n"
        "bcast eth1\nserial /dev/ttyS1\nmcast eth2 239.0.0.1 694 1 0\n"
    )
    cf = parse(tmp_path, registry, text)
    assert [(m.keyword, m.udpport, m.baud) for m in cf.media] == [
        ("bcast", 694, 19200),
        ("serial", 694, 19200),
        ("bcast", 1001, 38400),
        ("serial", 1001, 38400),
        ("mcast", 1001, 38400),
    ]
    assert (cf.udpport, cf.baud) == (1001, 38400)
    assert any(w.startswith("udpport setting must precede media statements") for w in warnings(cf))
    assert any(w.startswith("baudrate setting must precede media statements") for w in warnings(cf))


def test_media_are_checked_by_their_transport(tmp_path: Path, registry: PluginRegistry) -> None:
    failure = errors(tmp_path, registry, "node a\nucast eth1 not-an-ip\nmcast eth0 239.0.0.1\n")
    path = tmp_path / "ha.cf"
    assert [(p.message, p.location) for p in failure.problems] == [
        ("ucast: [not-an-ip] is not an IPv4 address", SourceLocation(path, 2)),
        ("mcast needs: mcast <dev> <group> <port> <ttl> <loop>", SourceLocation(path, 3)),
    ]


def test_a_heartbeat_medium_no_plugin_provides_is_refused(tmp_path: Path) -> None:
    """The core knows no transport: without the plugin, ``ucast`` is a medium hacore
    cannot run, named as such (not an unknown directive, not silently kept)."""
    bare = load_plugins(autoload=False)
    got = messages(tmp_path, bare, "node a\nucast eth1 whatever\nauto_failback on\n")
    assert got == [
        "Medium [ucast] is not supported by hacore: no installed transport plugin provides "
        "it (hacored --list-plugins)"
    ]


@pytest.mark.parametrize("keyword", ["ucast6", "mcast6", "ping6", "hbaping", "tipc", "rds"])
def test_unsupported_media(tmp_path: Path, registry: PluginRegistry, keyword: str) -> None:
    got = messages(tmp_path, registry, f"node a\nbcast eth0\n{keyword} eth0 fe80::1\n")
    assert got == [
        f"Medium [{keyword}] is not supported by hacore: no installed transport plugin "
        "provides it (hacored --list-plugins)"
    ]


def test_media_need_arguments(tmp_path: Path, registry: PluginRegistry) -> None:
    assert messages(tmp_path, registry, "node a\nbcast\n") == [
        "Medium [bcast] needs arguments (e.g. an interface)"
    ]


def test_ping_and_ping_group(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(
        tmp_path, registry, BASE + "ping 10.0.0.1 gw.Example.com\nping_group Up 1.1.1.1 8.8.8.8\n"
    )
    assert [(p.name, p.addresses, p.group) for p in cf.ping_nodes] == [
        ("10.0.0.1", ("10.0.0.1",), False),
        ("gw.example.com", ("gw.Example.com",), False),
        ("up", ("1.1.1.1", "8.8.8.8"), True),
    ]


def test_ping_errors(tmp_path: Path, registry: PluginRegistry) -> None:
    got = messages(
        tmp_path, registry, BASE + "ping fe80::1\nping_group lonely\nping bad_name!\nping node1\n"
    )
    assert got == [
        "[fe80::1] is IPv6: ping6 is not supported by hacore",
        "ping_group needs a group name and at least one address",
        "[bad_name!] is not an IPv4 address or a host name",
    ]
    assert messages(tmp_path, registry, BASE + "ping node1\n") == [
        "Ping node [node1] has the name of a cluster node"
    ]


def test_ping_only_counts_as_media_like_heartbeat(tmp_path: Path, registry: PluginRegistry) -> None:
    assert parse(tmp_path, registry, "node a\nping 10.0.0.1\n").media == []


# ---- required directives and timings --------------------------------------------------


def test_no_media_and_no_nodes(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "ha.cf"
    failure = errors(tmp_path, registry, "keepalive 1\n")
    assert [p.message for p in failure.problems] == [
        f"No heartbeat media defined in {path}",
        f"no nodes defined in {path}",
    ]
    assert failure.closing == ()  # these come after parsing: no "Heartbeat not started" line


def test_heartbeat_default_timings(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE)
    assert (cf.keepalive_ms, cf.deadtime_ms, cf.warntime_ms) == (1000, 30000, 15000)
    assert (cf.initdead_ms, cf.deadping_ms) == (30000, 30000)
    assert cf.parameters["warntime"] == "15000ms"
    assert cf.parameters["initdead"] == "30000ms"


@pytest.mark.parametrize(
    ("deadtime", "initdead"), [("5", 12000), ("8", 16000), ("10", 20000), ("10.001", 10001)]
)
def test_initdead_default_rules(
    tmp_path: Path, registry: PluginRegistry, deadtime: str, initdead: int
) -> None:
    cf = parse(tmp_path, registry, BASE + f"deadtime {deadtime}\n")
    assert cf.initdead_ms == initdead


def test_keepalive_2s_is_an_error(tmp_path: Path, registry: PluginRegistry) -> None:
    (message,) = messages(tmp_path, registry, BASE + "keepalive 2s\n")
    assert message.startswith("keepalive [2s] has an unknown unit")


def test_keepalive_must_be_positive(tmp_path: Path, registry: PluginRegistry) -> None:
    assert messages(tmp_path, registry, BASE + "keepalive 0\n") == [
        "keepalive [0] must be at least 1 ms"
    ]


def test_deadtime_too_small(tmp_path: Path, registry: PluginRegistry) -> None:
    failure = errors(tmp_path, registry, BASE + "keepalive 2\ndeadtime 4\n")
    (problem,) = failure.problems
    assert problem.message.startswith("Dead time [4000] is too small compared to keeplive [2000]")
    assert problem.location == SourceLocation(tmp_path / "ha.cf", 5)


def test_initdead_smaller_than_deadtime(tmp_path: Path, registry: PluginRegistry) -> None:
    (problem,) = errors(tmp_path, registry, BASE + "deadtime 8\ninitdead 5\n").problems
    assert problem.message == "Initial dead time [5000] is smaller than deadtime [8000]"
    assert problem.location == SourceLocation(tmp_path / "ha.cf", 5)


def test_small_initdead_warns(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "deadtime 3\ninitdead 5\n")
    assert warnings(cf) == ["Initial dead time [5000 ms] may be too small!"]


def test_warntime(tmp_path: Path, registry: PluginRegistry) -> None:
    assert parse(tmp_path, registry, BASE + "warntime 500ms\n").warntime_ms == 500
    (message,) = messages(tmp_path, registry, BASE + "warntime 0\n")
    assert message.startswith("Warn time [0] is invalid.")
    cf = parse(tmp_path, registry, BASE + "warntime 40\n")
    assert warnings(cf)[0].startswith("warntime [40000 ms] is not below deadtime [30000 ms]")


def test_deadping(tmp_path: Path, registry: PluginRegistry) -> None:
    assert parse(tmp_path, registry, BASE + "deadping 5\n").deadping_ms == 5000
    assert messages(tmp_path, registry, BASE + "keepalive 2\ndeadping 4\n") == [
        "Ping dead time [4000] is too small compared to keeplive [2000]"
    ]


# ---- failback -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("on", "on"),
        ("yes", "on"),
        ("TRUE", "on"),
        ("off", "off"),
        ("n", "off"),
        ("Legacy", "legacy"),
    ],
)
def test_auto_failback(tmp_path: Path, registry: PluginRegistry, value: str, expected: str) -> None:
    assert parse(tmp_path, registry, BASE + f"auto_failback {value}\n").auto_failback == expected


def test_legacy_is_the_default_and_warns_three_times(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    cf = parse(tmp_path, registry, "node a\nbcast eth0\n")
    assert cf.auto_failback == "legacy"
    assert warnings(cf) == [
        "Deprecated 'legacy' auto_failback option selected.",
        "Please convert to 'auto_failback on'.",
        "See documentation for conversion details.",
    ]


def test_invalid_auto_failback(tmp_path: Path, registry: PluginRegistry) -> None:
    assert messages(tmp_path, registry, BASE + "auto_failback sometimes\n") == [
        "auto_failback [sometimes] must be on, off or legacy"
    ]


def test_nice_failback_is_mapped(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "nice_failback on\n")
    assert cf.auto_failback == "off"
    assert "'nice_failback on' has been changed to 'auto_failback off'" in warnings(cf)
    cf = parse(tmp_path, registry, BASE + "nice_failback off\n")
    assert cf.auto_failback == "legacy"
    assert "nice_failback off has been strictly interpreted as 'auto_failback legacy'" in warnings(
        cf
    )


# ---- pacemaker and no-effect directives -----------------------------------------------


@pytest.mark.parametrize("line", ["crm off", "pacemaker no", "crm false"])
def test_pacemaker_off_is_accepted_quietly(
    tmp_path: Path, registry: PluginRegistry, line: str
) -> None:
    cf = parse(tmp_path, registry, BASE + f"{line}\n")
    assert cf.warnings == []
    assert cf.parameters["pacemaker"] == line.split()[1]


@pytest.mark.parametrize("line", ["crm on", "pacemaker respawn", "crm yes", "pacemaker minimal"])
def test_pacemaker_on_is_refused(tmp_path: Path, registry: PluginRegistry, line: str) -> None:
    (message,) = messages(tmp_path, registry, BASE + f"{line}\n")
    assert message.startswith(f"Pacemaker support [{line.split()[1]}] is not available in hacore")


def test_pacemaker_twice_and_ordering(tmp_path: Path, registry: PluginRegistry) -> None:
    assert messages(tmp_path, registry, BASE + "crm off\npacemaker off\n") == [
        "pacemaker/crm directive used multiple times!"
    ]
    assert messages(tmp_path, registry, BASE + "crm off\ncrm_daemon_dir /x\n") == [
        "If you specify crm_daemon_dir, it must come before the pacemaker directive"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "coredumps true",
        "coreroot /var/lib/heartbeat/cores",
        "memreserve 6500",
        "conn_logd_time 60",
        "compression bz2",
        "compression_threshold 20",
        "traditional_compression on",
        "use_apphbd no",
        "syslogmsgfmt false",
        "record_config_changes on",
        "record_pengine_inputs on",
        "enable_config_writes off",
        "crmd_spawns_pengine off",
        "crm_daemon_dir /usr/libexec/pacemaker",
        "quorum_server quorum.example.com",
    ],
)
def test_directives_without_effect_warn(
    tmp_path: Path, registry: PluginRegistry, line: str
) -> None:
    directive = line.split()[0]
    cf = parse(tmp_path, registry, BASE + line + "\n")
    assert warnings(cf) == [
        f"Directive [{directive}] has no effect in hacore: {NO_EFFECT[directive]}"
    ]
    assert cf.warnings[0].location == SourceLocation(tmp_path / "ha.cf", 4)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("watchdog /dev/a\nwatchdog /dev/b", "Watchdog device multiply specified."),
        ("rtprio 500", "Illegal realtime priority [500] (1..99)"),
        ("compression lzma", "compression [lzma] must be zlib or bz2"),
        ("compression_threshold 0", "compress_threshhold(0) invalid"),
        ("memreserve -1", "memreserve [-1] is out of range (>= 1)"),
        ("coredumps maybe", "coredumps [maybe] is not a boolean: use on/off, yes/no or true/false"),
        ("stonith", "No Stonith type given"),
        ("stonith_host *", "No Stonith type given"),
        ("baud 12345", "invalid baudrate [12345] specified."),
        ("baud 9600\nbaud 9600", "Baudrate multiply specified."),
        ("udpport 0", "invalid port [0] specified."),
        ("udpport http", "invalid port [http] specified."),
        ("hopfudge 256", "hopfudge [256] is out of range (0..255)"),
        ("debug 1x", "debug [1x] is not an integer"),
        ("msgfmt xml", "msgfmt [xml] must be classic or netstring"),
        ("hbgenmethod Time", "Illegal hb generation method [Time]"),
        ("uuidfrom host", "Invalid uuidfrom directive [host]"),
        ("autojoin some", "Invalid autojoin directive [some]"),
        ("logfacility local9", "Log facility(local9) not valid"),
        ("max_rexmit_delay 0", "Invalid max_rexmit_delay time(0)"),
        ("env NOVALUE", "env: invalid nvpair(NOVALUE): expected NAME=VALUE"),
        (
            "use_logd perhaps",
            "use_logd [perhaps] is not a boolean: use on/off, yes/no or true/false",
        ),
    ],
)
def test_bad_values(tmp_path: Path, registry: PluginRegistry, line: str, message: str) -> None:
    got = messages(tmp_path, registry, BASE + line + "\n")
    assert got[0].startswith(message), got


def test_values_that_are_applied(tmp_path: Path, registry: PluginRegistry) -> None:
    text = BASE + (
        "hopfudge 3\ndebug 2\nmsgfmt netstring\nhbgenmethod time\nuuidfrom nodename\n"
        "max_rexmit_delay 400\nlog_badpack off\nenv logpriority=debug,FOO=a=b\n"
        "cluster mycluster\n"
    )
    cf = parse(tmp_path, registry, text)
    assert (cf.hopfudge, cf.debug, cf.msgfmt, cf.hbgenmethod) == (3, 2, "netstring", "time")
    assert (cf.uuidfrom, cf.max_rexmit_delay_ms, cf.log_badpack) == ("nodename", 400, False)
    assert cf.env == {"logpriority": "debug", "FOO": "a=b"}
    assert cf.parameters["cluster"] == "mycluster"
    assert "env" not in cf.parameters  # Heartbeat does not record env


def test_every_heartbeat_directive_is_known() -> None:
    heartbeat_3_0_6 = {
        "cluster", "quorum_server", "node", "hopfudge", "keepalive", "deadtime", "deadping",
        "initdead", "warntime", "watchdog", "baud", "udpport", "logfacility", "logfile",
        "debugfile", "nice_failback", "auto_failback", "rtprio", "hbgenmethod", "realtime",
        "debug", "msgfmt", "use_logd", "conn_logd_time", "use_apphbd", "log_badpack",
        "syslogmsgfmt", "coredumps", "coreroot", "crm_daemon_dir", "crmd_spawns_pengine",
        "crm", "pacemaker", "autojoin", "uuidfrom", "compression", "compression_threshold",
        "traditional_compression", "env", "max_rexmit_delay", "record_config_changes",
        "record_pengine_inputs", "enable_config_writes", "memreserve",
        "stonith", "stonith_host", "apiauth", "respawn", "failfast",
    }  # fmt: skip
    assert set(OPTIONS) | set(WHOLE_LINE) == heartbeat_3_0_6


# ---- logging --------------------------------------------------------------------------


def test_logging(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "logfacility none\n")
    assert cf.logfacility == "none"
    assert cf.parameters["use_logd"] == "yes"  # what Heartbeat records when nothing logs
    cf = parse(tmp_path, registry, BASE + "logfacility daemon\n")
    assert cf.parameters["logfile"] == cf.parameters["debugfile"] == "/dev/null"
    assert messages(tmp_path, registry, BASE + "use_logd off\n") == [
        "No log entry found in ha.cf and use_logd is set to off"
    ]
    cf = parse(tmp_path, registry, BASE + "use_logd yes\n")
    assert warnings(cf) == ["hacore has no logging daemon: use_logd on has no effect"]


# ---- respawn / failfast / apiauth -----------------------------------------------------


def test_respawn_checks(tmp_path: Path, registry: PluginRegistry) -> None:
    plain = tmp_path / "not-executable"
    plain.write_text("#!/bin/sh\n")
    got = messages(
        tmp_path,
        registry,
        BASE
        + "respawn nosuchuser-xyz /bin/true\n"
        + "respawn hacluster bin/true\n"
        + f"failfast root {plain} --flag\n"
        + "respawn\n",
    )
    assert got == [
        "Invalid uid [nosuchuser-xyz] specified for client child",
        "Client child command [bin/true] is not full pathname",
        f"Client child command [{plain}] is not executable",
        "Invalid uid [] specified for client child",
    ]


def test_respawn_accepted(tmp_path: Path, registry: PluginRegistry) -> None:
    text = BASE + "respawn root /bin/true -v  x\nfailfast hacluster /nowhere/ipfail\n"
    cf = parse(tmp_path, registry, text)
    assert [(r.user, r.command, r.failfast) for r in cf.respawn] == [
        ("root", "/bin/true -v  x", False),
        ("hacluster", "/nowhere/ipfail", True),
    ]


def test_apiauth(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "apiauth ipfail uid=root,0\napiauth mon gid=haclient\n")
    assert cf.apiauth["ipfail"].uids == ("root", "0")
    assert cf.apiauth["mon"].gids == ("haclient",)
    # Built-in entries fill the gaps, as in Heartbeat.
    assert cf.apiauth["ccm"].uids == ("hacluster",)
    assert (cf.apiauth["anon"].uids, cf.apiauth["anon"].gids) == (("root",), ("haclient",))
    assert cf.apiauth["ping"].gids == ("haclient",)
    assert cf.apiauth["lha-snmpagent"].uids == ("root",)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("apiauth x uid=root uid=root", "Duplicate uid list in apiauth"),
        ("apiauth x gid=haclient gid=root", "Duplicate gid list in apiauth"),
        ("apiauth x root", "Missing uid or gid in apiauth"),
        ("apiauth x", "Invalid apiauth directive [x]"),
        ("apiauth x uid=nosuchuser-xyz", "Invalid user id name [nosuchuser-xyz]"),
        ("apiauth x gid=nosuchgroup-xyz", "Invalid group id name [nosuchgroup-xyz]"),
        ("apiauth x uid=root\napiauth x uid=root", "Duplicate apiauth directive for API client x"),
    ],
)
def test_apiauth_errors(tmp_path: Path, registry: PluginRegistry, line: str, message: str) -> None:
    (got,) = messages(tmp_path, registry, BASE + line + "\n")
    assert got.startswith(message)


# ---- hacore extensions ----------------------------------------------------------------


def test_extensions(tmp_path: Path, registry: PluginRegistry) -> None:
    for name in ("cert.pem", "key.pem", "ca.pem"):
        (tmp_path / name).write_text("x")
    text = BASE + (
        "api_socket /run/hacore/api.sock\napi_listen [::1]:7000\n"
        f"api_tls_cert {tmp_path}/cert.pem\napi_tls_key {tmp_path}/key.pem\n"
        f"api_tls_ca {tmp_path}/ca.pem\nmetrics_listen localhost:9100\nlog_format json\n"
        "fifo /run/lab/fifo\n"
    )
    cf = parse(tmp_path, registry, text)
    ext = cf.extensions
    assert ext.api_socket == Path("/run/hacore/api.sock")
    assert ext.fifo == Path("/run/lab/fifo")
    assert parse(tmp_path, registry, BASE).extensions.fifo == Path("/var/lib/heartbeat/fifo")
    assert (ext.api_listen, ext.metrics_listen, ext.log_format) == (
        "[::1]:7000",
        "localhost:9100",
        "json",
    )
    assert ext.api_tls_ca == tmp_path / "ca.pem"
    assert cf.warnings == []
    assert set(EXTENSION_DIRECTIVES) == {
        "api_socket", "api_listen", "api_tls_cert", "api_tls_key", "api_tls_ca",
        "metrics_listen", "metrics_tls_cert", "metrics_tls_key", "metrics_tls_ca", "log_format",
        "fence_delay", "tiebreaker", "fifo", "monitor", "sysrq_trigger",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api_listen 127.0.0.1:7000", "api_listen needs api_tls_cert, api_tls_key, api_tls_ca"),
        ("metrics_listen 9100", "metrics_listen [9100] must be ADDRESS:PORT"),
        ("metrics_listen ::1:9100", "metrics_listen [::1:9100] must be ADDRESS:PORT"),
        ("metrics_listen host:99999", "metrics_listen [host:99999] must be ADDRESS:PORT"),
        ("api_socket relative.sock", "api_socket [relative.sock] must be an absolute path"),
        ("fifo var/fifo", "fifo [var/fifo] must be an absolute path"),
        ("sysrq_trigger sysrq", "sysrq_trigger [sysrq] must be an absolute path"),
        ("log_format xml", "log_format [xml] must be text or json"),
        ("log_format json text", "log_format takes exactly one value"),
        (
            "api_listen 0.0.0.0:7000\napi_tls_cert /no/c\napi_tls_key /no/k\napi_tls_ca /no/a",
            "api_tls_cert [/no/c]: no such file",
        ),
    ],
)
def test_extension_errors(
    tmp_path: Path, registry: PluginRegistry, text: str, message: str
) -> None:
    got = messages(tmp_path, registry, BASE + text + "\n")
    assert got[0].startswith(message), got


def test_node_table_keeps_node_and_ping_lines_in_order(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    """Heartbeat's node table (cl_status listnodes prints it reversed)."""
    text = "ping 10.0.0.9\nnode NODE1\nping_group grp 10.0.0.7\nnode node2 node1\n"
    cf = parse(tmp_path, registry, text + "ucast eth1 10.0.0.2\nauto_failback on\n")
    assert cf.node_table == ["10.0.0.9", "node1", "grp", "node2"]


def test_cluster_label_names_the_cluster(tmp_path: Path, registry: PluginRegistry) -> None:
    """The metrics' cluster label: the `cluster` directive, else the node names, so
    unnamed clusters scraped by one Prometheus do not all read "linux-ha"."""
    unnamed = parse(tmp_path, registry, "node node2\n" + BASE)
    assert unnamed.cluster == "node1,node2"
    assert unnamed.parameters["cluster"] == "linux-ha"  # cl_status hbparameter is unchanged
    assert parse(tmp_path, registry, BASE + "cluster web\n").cluster == "web"


def test_metrics_tls_directives(tmp_path: Path, registry: PluginRegistry) -> None:
    cert, key = tmp_path / "m.crt", tmp_path / "m.key"
    cert.write_text("pem")
    key.write_text("pem")
    listen = "metrics_listen 127.0.0.1:9100\n"
    tls = f"metrics_tls_cert {cert}\nmetrics_tls_key {key}\n"
    ext = parse(tmp_path, registry, BASE + listen + tls + f"metrics_tls_ca {cert}\n").extensions
    assert (ext.metrics_tls_cert, ext.metrics_tls_key, ext.metrics_tls_ca) == (cert, key, cert)
    assert messages(tmp_path, registry, BASE + listen + f"metrics_tls_ca {cert}\n") == [
        "metrics_tls_ca needs metrics_tls_cert and metrics_tls_key: "
        "HTTPS needs a certificate and its key"
    ]
    assert messages(tmp_path, registry, BASE + listen + tls.replace(str(key), "/nope")) == [
        "metrics_tls_key [/nope]: no such file"
    ]
    unused = parse(tmp_path, registry, BASE + tls)
    assert "metrics_tls_cert has no effect without metrics_listen" in warnings(unused)
