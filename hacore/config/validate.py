"""The checks Heartbeat's ``init_config`` runs once ha.cf is read, and its defaults.

Order and wording follow Heartbeat: "No heartbeat media defined", "no nodes defined",
"Dead time [..] is too small compared to keeplive [..]" (sic), the initdead rules, the
ping dead time, the three 'legacy' warnings, the logging check. Defaults that depend on
other values (warntime = deadtime/2, initdead, deadping) are computed here, and the
parameter table gets Heartbeat's ``heartbeat -D`` defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from hacore.api import ConfigError, SourceLocation
from hacore.config import values
from hacore.config.apiauth import DEFAULT_APIAUTH
from hacore.config.model import ConfigWarning, Extensions
from hacore.config.reader import DirectiveReader

# `heartbeat -D` of 3.0.6 (also checked against the real binary by the tests).
HEARTBEAT_DEFAULTS: dict[str, str] = {
    "cluster": "linux-ha",
    "hopfudge": "1",
    "keepalive": "1000ms",
    "deadtime": "30000ms",
    "baud": "19200",
    "auto_failback": "legacy",
    "hbgenmethod": "file",
    "realtime": "true",
    "msgfmt": "classic",
    "conn_logd_time": "60",
    "log_badpack": "true",
    "syslogmsgfmt": "true",
    "coredumps": "true",
    "pacemaker": "false",
    "autojoin": "none",
    "uuidfrom": "file",
    "compression": "zlib",
    "compression_threshold": "2",
    "traditional_compression": "no",
    "max_rexmit_delay": "250",
    "record_config_changes": "on",
    "record_pengine_inputs": "on",
    "enable_config_writes": "on",
    "memreserve": "6500",
}
LEGACY_WARNINGS = (
    "Deprecated 'legacy' auto_failback option selected.",
    "Please convert to 'auto_failback on'.",
    "See documentation for conversion details.",
)
_TLS = ("api_tls_cert", "api_tls_key", "api_tls_ca")
_METRICS_TLS = ("metrics_tls_cert", "metrics_tls_key", "metrics_tls_ca")


def finish(r: DirectiveReader) -> list[ConfigError]:
    """Apply computed defaults and cross-checks; return the problems found."""
    cf = r.cf
    problems: list[ConfigError] = []
    if not cf.media and not cf.ping_nodes:  # Heartbeat counts ping media too
        problems.append(ConfigError(f"No heartbeat media defined in {r.shown}"))
    if "warntime" not in r.set_at:
        cf.warntime_ms = cf.deadtime_ms // 2
        cf.parameters["warntime"] = f"{cf.warntime_ms}ms"
    if not cf.nodes and cf.autojoin != "any":
        problems.append(ConfigError(f"no nodes defined in {r.shown}"))
    for ping in cf.ping_nodes:
        if ping.name in cf.nodes:
            message = f"Ping node [{ping.name}] has the name of a cluster node"
            problems.append(ConfigError(message, ping.location))
    problems += _timings(r)
    if cf.warntime_ms >= cf.deadtime_ms:
        _warn(
            r,
            f"warntime [{cf.warntime_ms} ms] is not below deadtime [{cf.deadtime_ms} ms]: "
            "late heartbeats will not be reported before the node is declared dead",
            "warntime",
        )
    cf.parameters.setdefault("udpport", str(cf.udpport))
    if cf.auto_failback == "legacy":
        decided_at = _last(r, "auto_failback", "nice_failback")
        for text in LEGACY_WARNINGS:
            cf.warnings.append(ConfigWarning(text, decided_at))
    problems += _logging(r)
    problems += _extensions(r)
    for client, auth in DEFAULT_APIAUTH.items():
        cf.apiauth.setdefault(client, auth)
    cf.parameters.setdefault("debug", str(cf.debug))
    # Before Heartbeat's default "linux-ha" is filled in: clusters left unnamed must not
    # all share one name in a Prometheus that scrapes several of them.
    cf.cluster = cf.parameters.get("cluster") or ",".join(sorted(cf.nodes))
    for name, default in HEARTBEAT_DEFAULTS.items():
        cf.parameters.setdefault(name, default)
    return problems


def _timings(r: DirectiveReader) -> list[ConfigError]:
    cf = r.cf
    problems = []
    if cf.deadtime_ms <= 2 * cf.keepalive_ms:
        problems.append(
            ConfigError(
                f"Dead time [{cf.deadtime_ms}] is too small compared to keeplive "
                f"[{cf.keepalive_ms}] (deadtime must be more than twice keepalive)",
                _at(r, "deadtime", "keepalive"),
            )
        )
    if "initdead" not in r.set_at:
        deadtime = cf.deadtime_ms
        if deadtime > 10000:
            cf.initdead_ms = deadtime
        else:
            cf.initdead_ms = 12000 if deadtime < 6000 else 2 * deadtime
        cf.parameters["initdead"] = f"{cf.initdead_ms}ms"
    if cf.initdead_ms < cf.deadtime_ms:
        problems.append(
            ConfigError(
                f"Initial dead time [{cf.initdead_ms}] is smaller than deadtime [{cf.deadtime_ms}]",
                _at(r, "initdead", "deadtime"),
            )
        )
    elif cf.initdead_ms < 10000:
        _warn(r, f"Initial dead time [{cf.initdead_ms} ms] may be too small!", "initdead")
    if "deadping" not in r.set_at:
        cf.deadping_ms = cf.deadtime_ms
        cf.parameters["deadping"] = f"{cf.deadping_ms}ms"
    elif cf.deadping_ms <= 2 * cf.keepalive_ms:
        problems.append(
            ConfigError(
                f"Ping dead time [{cf.deadping_ms}] is too small compared to keeplive "
                f"[{cf.keepalive_ms}]",
                _at(r, "deadping"),
            )
        )
    return problems


def _logging(r: DirectiveReader) -> list[ConfigError]:
    cf = r.cf
    to_syslog = cf.logfacility not in (None, "none", "kern")
    if cf.logfile is None and cf.debugfile is None and not to_syslog:
        if cf.use_logd is None:
            cf.parameters["use_logd"] = "yes"
        elif not cf.use_logd:
            return [
                ConfigError(
                    "No log entry found in ha.cf and use_logd is set to off",
                    _at(r, "use_logd"),
                )
            ]
    if to_syslog:
        cf.parameters.setdefault("logfile", "/dev/null")
        cf.parameters.setdefault("debugfile", "/dev/null")
    return []


def _extensions(r: DirectiveReader) -> list[ConfigError]:
    ext = r.extensions
    problems = []
    if "api_listen" in ext:
        missing = [name for name in _TLS if name not in ext]
        if missing:
            problems.append(
                ConfigError(
                    f"api_listen needs {', '.join(missing)}: the TCP API is TLS-only",
                    _at(r, "api_listen"),
                )
            )
        for name in _TLS:
            if name in ext and not Path(ext[name]).is_file():
                problems.append(ConfigError(f"{name} [{ext[name]}]: no such file", _at(r, name)))
    else:
        for name in _TLS:
            if name in ext:
                _warn(r, f"{name} has no effect without api_listen", name)
    problems += _metrics_tls(r)
    log_format: Literal["text", "json"] = "json" if ext.get("log_format") == "json" else "text"
    r.cf.extensions = Extensions(
        api_socket=_path(ext.get("api_socket")),
        api_listen=ext.get("api_listen"),
        api_tls_cert=_path(ext.get("api_tls_cert")),
        api_tls_key=_path(ext.get("api_tls_key")),
        api_tls_ca=_path(ext.get("api_tls_ca")),
        metrics_listen=ext.get("metrics_listen"),
        metrics_tls_cert=_path(ext.get("metrics_tls_cert")),
        metrics_tls_key=_path(ext.get("metrics_tls_key")),
        metrics_tls_ca=_path(ext.get("metrics_tls_ca")),
        log_format=log_format,
        fence_delay_ms=values.msec(ext["fence_delay"], "fence_delay")
        if "fence_delay" in ext
        else None,
        tiebreaker=ext["tiebreaker"].lower() if "tiebreaker" in ext else None,
        fifo=_path(ext.get("fifo")) or Extensions.fifo,
        sysrq_trigger=_path(ext.get("sysrq_trigger")),
    )
    tiebreaker = r.cf.extensions.tiebreaker
    if tiebreaker is not None and tiebreaker not in {p.name for p in r.cf.ping_nodes}:
        problems.append(
            ConfigError(
                f"tiebreaker [{tiebreaker}] must name a ping or ping_group node of ha.cf",
                _at(r, "tiebreaker"),
            )
        )
    if tiebreaker is not None and len(r.cf.nodes) != 2:
        _warn(r, "tiebreaker only applies to two-node clusters: ignored", "tiebreaker")
    return problems


def _metrics_tls(r: DirectiveReader) -> list[ConfigError]:
    """HTTPS needs the certificate and its key; a CA alone would authenticate nothing."""
    ext = r.extensions
    written = [name for name in _METRICS_TLS if name in ext]
    if not written:
        return []
    if "metrics_listen" not in ext:
        for name in written:
            _warn(r, f"{name} has no effect without metrics_listen", name)
        return []
    problems = []
    missing = [name for name in ("metrics_tls_cert", "metrics_tls_key") if name not in ext]
    if missing:
        problems.append(
            ConfigError(
                f"{', '.join(written)} needs {' and '.join(missing)}: "
                "HTTPS needs a certificate and its key",
                _at(r, *written),
            )
        )
    for name in written:
        if not Path(ext[name]).is_file():
            problems.append(ConfigError(f"{name} [{ext[name]}]: no such file", _at(r, name)))
    return problems


def _path(value: str | None) -> Path | None:
    return Path(value) if value is not None else None


def _at(r: DirectiveReader, *directives: str) -> SourceLocation | None:
    """Where the first of ``directives`` that was written was (None: all defaulted)."""
    for name in directives:
        if name in r.set_at:
            return r.set_at[name]
    return None


def _last(r: DirectiveReader, *directives: str) -> SourceLocation | None:
    """The last line that set any of ``directives``: the one whose value counts."""
    written = [r.set_at[name] for name in directives if name in r.set_at]
    return max(written, key=lambda where: where.line, default=None)


def _warn(r: DirectiveReader, message: str, *directives: str) -> None:
    r.cf.warnings.append(ConfigWarning(message, _at(r, *directives)))
