"""Every ha.cf directive of Heartbeat 3.0.6, and what hacore does with it.

The tables at the bottom are the whole story: ``OPTIONS`` (applied once per value),
``WHOLE_LINE`` (given the rest of the line), ``NO_EFFECT`` (accepted, with a warning that
says why nothing happens) and ``RECORDED`` (the directives Heartbeat keeps in its
parameter table, which ``cl_status hbparameter`` reads). Media lines, ``ping`` and
``ping_group`` are handled by :meth:`hacore.config.reader.DirectiveReader.medium`.
"""

from __future__ import annotations

import os
import pwd
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hacore.api import ConfigError
from hacore.config import values
from hacore.config.apiauth import parse_apiauth
from hacore.config.model import Respawn, StonithLine
from hacore.config.monitor import read_monitor_line

if TYPE_CHECKING:
    from hacore.config.reader import DirectiveReader

BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800)
# cluster-glue's cl_syslogfac_str2int table. glibc's own table also lists "mark", syslogd's
# internal timestamp facility: nothing can be logged to it, so it is refused here.
SYSLOG_FACILITIES = frozenset(
    ["auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news"]
    + ["security", "syslog", "user", "uucp", "none"]
    + [f"local{n}" for n in range(8)]
)


# ---- option directives (one call per value) ------------------------------------------


def _node(r: DirectiveReader, value: str) -> None:
    name = values.node_name(value)
    if name in r.cf.nodes:
        r.warn(f"Node [{name}] is listed twice: the duplicate is ignored")
    else:
        r.add_node(name)


def _keepalive(r: DirectiveReader, value: str) -> None:
    r.cf.keepalive_ms = values.msec(value, "keepalive", minimum=1)


def _deadtime(r: DirectiveReader, value: str) -> None:
    r.cf.deadtime_ms = values.msec(value, "deadtime")


def _deadping(r: DirectiveReader, value: str) -> None:
    r.cf.deadping_ms = values.msec(value, "deadping")


def _initdead(r: DirectiveReader, value: str) -> None:
    r.cf.initdead_ms = values.msec(value, "initdead")


def _warntime(r: DirectiveReader, value: str) -> None:
    try:
        r.cf.warntime_ms = values.msec(value, "warntime", minimum=1)
    except ConfigError as exc:
        raise ConfigError(f"Warn time [{value}] is invalid. ({exc.message})") from None


def _hopfudge(r: DirectiveReader, value: str) -> None:
    r.cf.hopfudge = values.integer(value, "hopfudge", 0, 255)


def _debug(r: DirectiveReader, value: str) -> None:
    r.cf.debug = values.integer(value, "debug", 0, 255)


def _baud(r: DirectiveReader, value: str) -> None:
    if "baud" in r.cf.parameters:
        raise ConfigError("Baudrate multiply specified.")
    if not (value.isascii() and value.isdigit()) or int(value) not in BAUD_RATES:
        rates = ", ".join(map(str, BAUD_RATES))
        raise ConfigError(f"invalid baudrate [{value}] specified. (allowed: {rates})")
    if r.media_seen:
        r.warn("baudrate setting must precede media statements: earlier lines keep the old one")
    r.baud = r.cf.baud = int(value)


def _udpport(r: DirectiveReader, value: str) -> None:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= 65535:
        raise ConfigError(f"invalid port [{value}] specified.")
    port = int(value)
    try:
        service = socket.getservbyport(port, "udp")
    except OSError:
        service = "ha-cluster"
    if service != "ha-cluster":
        r.warn(f'udp port {value} reserved for service "{service}".')
    if r.media_seen:
        r.warn("udpport setting must precede media statements: earlier lines keep the old one")
    r.udpport = r.cf.udpport = port


def _logfacility(r: DirectiveReader, value: str) -> None:
    if value == "mark":
        raise ConfigError(
            "Log facility(mark) not valid: 'mark' is syslogd's internal timestamp "
            "facility, messages cannot be logged to it (use daemon or local0..local7)"
        )
    if value not in SYSLOG_FACILITIES:
        raise ConfigError(f"Log facility({value}) not valid")
    r.cf.logfacility = value


def _logfile(r: DirectiveReader, value: str) -> None:
    r.cf.logfile = Path(value)


def _debugfile(r: DirectiveReader, value: str) -> None:
    r.cf.debugfile = Path(value)


def _use_logd(r: DirectiveReader, value: str) -> None:
    r.cf.use_logd = values.boolean(value, "use_logd")
    if r.cf.use_logd:
        r.warn("hacore has no logging daemon: use_logd on has no effect")


def _auto_failback(r: DirectiveReader, value: str) -> None:
    if value.lower() == "legacy":
        r.cf.auto_failback = "legacy"
        return
    try:
        r.cf.auto_failback = "on" if values.boolean(value, "auto_failback") else "off"
    except ConfigError:
        raise ConfigError(f"auto_failback [{value}] must be on, off or legacy") from None


def _nice_failback(r: DirectiveReader, value: str) -> None:
    nice = values.boolean(value, "nice_failback")
    r.warn("nice_failback flag is obsolete.. Use auto_failback {on, off, legacy} instead.")
    if nice:
        r.warn(f"'nice_failback {value}' has been changed to 'auto_failback off'")
        r.cf.auto_failback = "off"
    else:
        r.warn(f"nice_failback {value} has been strictly interpreted as 'auto_failback legacy'")
        r.warn("Consider converting to 'auto_failback on'.")
        r.cf.auto_failback = "legacy"
    r.cf.parameters["auto_failback"] = r.cf.auto_failback


def _msgfmt(r: DirectiveReader, value: str) -> None:
    if value == "classic":
        r.cf.msgfmt = "classic"
    elif value == "netstring":
        r.cf.msgfmt = "netstring"
    else:
        raise ConfigError(f"msgfmt [{value}] must be classic or netstring")


def _hbgenmethod(r: DirectiveReader, value: str) -> None:
    if value == "file":
        r.cf.hbgenmethod = "file"
    elif value == "time":
        r.cf.hbgenmethod = "time"
    else:
        raise ConfigError(f"Illegal hb generation method [{value}]")


def _uuidfrom(r: DirectiveReader, value: str) -> None:
    if value == "file":
        r.cf.uuidfrom = "file"
    elif value == "nodename":
        r.cf.uuidfrom = "nodename"
    else:
        raise ConfigError(f"Invalid uuidfrom directive [{value}]")


def _autojoin(r: DirectiveReader, value: str) -> None:
    word = value.lower()
    if word == "none":
        r.cf.autojoin = "none"
    elif word == "other":
        r.cf.autojoin = "other"
    elif word == "any":
        r.cf.autojoin = "any"
    else:
        raise ConfigError(f"Invalid autojoin directive [{value}]")


def _pacemaker(r: DirectiveReader, value: str) -> None:
    if "pacemaker" in r.cf.parameters:
        raise ConfigError("pacemaker/crm directive used multiple times!")
    word = value.lower()
    if word in ("minimal", "manual", "respawn", "ccm-only", "valgrind"):
        enabled = True
    else:
        try:
            enabled = values.boolean(value, "pacemaker")
        except ConfigError:
            raise ConfigError(f"Invalid pacemaker directive [{value}]") from None
    if enabled:
        raise ConfigError(
            f"Pacemaker support [{value}] is not available in hacore: resources are "
            "managed from haresources only (use 'pacemaker off' or remove the line)"
        )


def _before_pacemaker(name: str) -> Callable[[DirectiveReader, str], None]:
    def check(r: DirectiveReader, value: str) -> None:
        if "pacemaker" in r.cf.parameters:
            raise ConfigError(f"If you specify {name}, it must come before the pacemaker directive")
        if name == "crmd_spawns_pengine":
            values.boolean(value, name)

    return check


def _env(r: DirectiveReader, value: str) -> None:
    name, sep, setting = value.partition("=")
    if not name or not sep:
        raise ConfigError(f"env: invalid nvpair({value}): expected NAME=VALUE")
    r.cf.env[name] = setting


def _max_rexmit_delay(r: DirectiveReader, value: str) -> None:
    try:
        r.cf.max_rexmit_delay_ms = values.integer(value, "max_rexmit_delay", 1)
    except ConfigError:
        raise ConfigError(f"Invalid max_rexmit_delay time({value})") from None


def _log_badpack(r: DirectiveReader, value: str) -> None:
    r.cf.log_badpack = values.boolean(value, "log_badpack")


def _watchdog(r: DirectiveReader, value: str) -> None:
    if "watchdog" in r.cf.parameters:
        raise ConfigError("Watchdog device multiply specified.")
    if not value.startswith("/"):
        raise ConfigError(f"Watchdog device [{value}] must be an absolute path")
    r.cf.watchdog = Path(value)


def _realtime(r: DirectiveReader, value: str) -> None:
    r.cf.realtime = values.boolean(value, "realtime")


def _rtprio(r: DirectiveReader, value: str) -> None:
    low = os.sched_get_priority_min(os.SCHED_FIFO)
    high = os.sched_get_priority_max(os.SCHED_FIFO)
    try:
        r.cf.rtprio = values.integer(value, "rtprio", low, high)
    except ConfigError:
        raise ConfigError(f"Illegal realtime priority [{value}] ({low}..{high})") from None


def _compression(r: DirectiveReader, value: str) -> None:
    if value not in ("zlib", "bz2"):
        raise ConfigError(f"compression [{value}] must be zlib or bz2")


def _compression_threshold(r: DirectiveReader, value: str) -> None:
    try:
        values.integer(value, "compression_threshold", 1)
    except ConfigError:
        raise ConfigError(f"compress_threshhold({value}) invalid") from None


def _boolean(name: str) -> Callable[[DirectiveReader, str], None]:
    def check(r: DirectiveReader, value: str) -> None:
        values.boolean(value, name)

    return check


def _positive(name: str) -> Callable[[DirectiveReader, str], None]:
    def check(r: DirectiveReader, value: str) -> None:
        values.integer(value, name, 1)

    return check


def _conn_logd_time(r: DirectiveReader, value: str) -> None:
    values.msec(value, "conn_logd_time", minimum=1)


def _anything(r: DirectiveReader, value: str) -> None:
    """A name or path that hacore does not use; kept for hbparameter only."""


# ---- whole-line directives -----------------------------------------------------------


def _respawn(r: DirectiveReader, rest: str, failfast: bool = False) -> None:
    words = rest.split(None, 1)
    user = words[0] if words else ""
    command = words[1].strip() if len(words) > 1 else ""
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise ConfigError(f"Invalid uid [{user}] specified for client child") from None
    if not command.startswith("/"):
        raise ConfigError(f"Client child command [{command}] is not full pathname")
    program = command.split()[0]
    if os.path.basename(program) not in r.registry.helper_types and not os.access(program, os.X_OK):
        raise ConfigError(f"Client child command [{program}] is not executable")
    r.cf.respawn.append(Respawn(user, command, failfast, r.where))


def _failfast(r: DirectiveReader, rest: str) -> None:
    _respawn(r, rest, failfast=True)


def _apiauth(r: DirectiveReader, rest: str) -> None:
    auth = parse_apiauth(rest, r.where)
    if auth.client in r.cf.apiauth:
        raise ConfigError(f"Duplicate apiauth directive for API client {auth.client}: [{rest}]")
    r.cf.apiauth[auth.client] = auth


def _monitor(r: DirectiveReader, rest: str) -> None:
    """hacore extension (see hacore.config.monitor); resolved once haresources is read."""
    r.cf.monitors.append(read_monitor_line(rest, r.where))


def _stonith(r: DirectiveReader, rest: str) -> None:
    """``stonith TYPE FILE``: the device's parameters are in FILE (``stonith -F``)."""
    words = rest.split(None, 1)
    if not words:
        raise ConfigError("No Stonith type given")
    if len(words) < 2:
        raise ConfigError(f"Invalid Stonith config file [] for {words[0]}")
    path = Path(words[1].strip())
    if not path.is_absolute():
        path = r.cf.path.parent / path
    if not path.is_file():
        raise ConfigError(f"Invalid Stonith config file [{words[1].strip()}]")
    r.cf.stonith.append(StonithLine(words[0], file=path, location=r.where))


def _stonith_host(r: DirectiveReader, rest: str) -> None:
    """``stonith_host FROM TYPE PARAMS…``: FROM (a node or ``*``) may use the device."""
    words = rest.split(None, 2)
    if not words:
        raise ConfigError("No Stonith hostname argument given")
    if len(words) < 2:
        raise ConfigError("No Stonith type given")
    params = words[2].strip() if len(words) > 2 else ""
    line = StonithLine(words[1], params=params, source=words[0].lower(), location=r.where)
    r.cf.stonith.append(line)


# ---- the tables ----------------------------------------------------------------------

OptionHandler = Callable[["DirectiveReader", str], None]

OPTIONS: dict[str, OptionHandler] = {
    "cluster": _anything,
    "node": _node,
    "hopfudge": _hopfudge,
    "keepalive": _keepalive,
    "deadtime": _deadtime,
    "deadping": _deadping,
    "initdead": _initdead,
    "warntime": _warntime,
    "watchdog": _watchdog,
    "baud": _baud,
    "udpport": _udpport,
    "logfacility": _logfacility,
    "logfile": _logfile,
    "debugfile": _debugfile,
    "nice_failback": _nice_failback,
    "auto_failback": _auto_failback,
    "rtprio": _rtprio,
    "hbgenmethod": _hbgenmethod,
    "realtime": _realtime,
    "debug": _debug,
    "msgfmt": _msgfmt,
    "use_logd": _use_logd,
    "conn_logd_time": _conn_logd_time,
    "use_apphbd": _boolean("use_apphbd"),
    "log_badpack": _log_badpack,
    "syslogmsgfmt": _boolean("syslogmsgfmt"),
    "coredumps": _boolean("coredumps"),
    "coreroot": _anything,
    "crm_daemon_dir": _before_pacemaker("crm_daemon_dir"),
    "crmd_spawns_pengine": _before_pacemaker("crmd_spawns_pengine"),
    "crm": _pacemaker,
    "pacemaker": _pacemaker,
    "autojoin": _autojoin,
    "uuidfrom": _uuidfrom,
    "compression": _compression,
    "compression_threshold": _compression_threshold,
    "traditional_compression": _boolean("traditional_compression"),
    "env": _env,
    "max_rexmit_delay": _max_rexmit_delay,
    "record_config_changes": _boolean("record_config_changes"),
    "record_pengine_inputs": _boolean("record_pengine_inputs"),
    "enable_config_writes": _boolean("enable_config_writes"),
    "memreserve": _positive("memreserve"),
    "quorum_server": _anything,
}

WHOLE_LINE: dict[str, Callable[[DirectiveReader, str], None]] = {
    "stonith": _stonith,
    "stonith_host": _stonith_host,
    "apiauth": _apiauth,
    "respawn": _respawn,
    "failfast": _failfast,
}

# hacore extensions that take the whole line (listed in hacf.EXTENSION_DIRECTIVES too).
EXTENSION_LINES: dict[str, Callable[[DirectiveReader, str], None]] = {
    "monitor": _monitor,
}

# Heartbeat's parameter table (record_value TRUE), and crm's alias.
RECORDED: dict[str, str] = {
    name: name for name in OPTIONS if name not in ("node", "nice_failback", "use_apphbd", "env")
} | {"crm": "pacemaker"}

_PACEMAKER_ONLY = "it only matters to Pacemaker, which hacore does not run"
NO_EFFECT: dict[str, str] = {
    "conn_logd_time": "hacore has no logging daemon",
    "use_apphbd": "hacore does not register with apphbd",
    "syslogmsgfmt": "hacore formats its own log files (see log_format)",
    "coredumps": "hacore does not manage core dumps",
    "coreroot": "hacore does not manage core dumps",
    "memreserve": "hacore does not preallocate memory",
    "compression": "hacore does not compress the messages it sends",
    "compression_threshold": "hacore does not compress the messages it sends",
    "traditional_compression": "hacore does not compress the messages it sends",
    "quorum_server": "quorum servers are not supported",
    "crm_daemon_dir": _PACEMAKER_ONLY,
    "crmd_spawns_pengine": _PACEMAKER_ONLY,
    "record_config_changes": _PACEMAKER_ONLY,
    "record_pengine_inputs": _PACEMAKER_ONLY,
    "enable_config_writes": _PACEMAKER_ONLY,
}
