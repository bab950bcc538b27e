"""ha.cf, read line by line the way Heartbeat 3.0.6's ``parse_config`` reads it.

A line is ``directive [values]``; ``#`` starts a comment anywhere. Most directives are
"option" directives: every whitespace- or comma-separated value is applied in turn
(``node a,b c`` adds three nodes, ``keepalive 1 2`` ends up 2). Media lines, ``respawn``,
``failfast``, ``apiauth``, ``stonith`` and ``stonith_host`` take the whole line. Every
directive Heartbeat knows is accepted (with a :class:`ConfigWarning` when hacore ignores
it) or refused with a reason; anything else is ``Illegal directive``.

All problems in the file are collected, as Heartbeat does, and raised together as one
:class:`ConfigErrors`. Cross-directive checks (timings, "no nodes", "no media") run only
once the lines themselves are valid, again like Heartbeat.
"""

from __future__ import annotations

from pathlib import Path

from hacore.api import ConfigError, SourceLocation
from hacore.config.files import binary_problem, long_line_problem, read_bounded
from hacore.config.model import ConfigErrors, HaCf, cap_warnings
from hacore.config.reader import DirectiveReader
from hacore.config.validate import finish
from hacore.plugins import PluginRegistry

PARSE_FAILED = "Heartbeat not started: configuration error."

EXTENSION_DIRECTIVES: dict[str, str] = {
    "api_socket": "Unix socket path of the hacore API (absolute; default: the run directory)",
    "api_listen": "Also serve the API over TCP at ADDRESS:PORT; TLS only, needs the three "
    "api_tls_* directives",
    "api_tls_cert": "PEM certificate the TCP API presents (required with api_listen)",
    "api_tls_key": "PEM private key of api_tls_cert (required with api_listen)",
    "api_tls_ca": "PEM CA bundle that client certificates must chain to (required with "
    "api_listen: clients are always authenticated)",
    "metrics_listen": "Serve Prometheus metrics over HTTP at ADDRESS:PORT",
    "metrics_tls_cert": "PEM certificate: serve metrics over HTTPS (with metrics_tls_key)",
    "metrics_tls_key": "PEM private key of metrics_tls_cert",
    "metrics_tls_ca": "PEM CA bundle: scrapers must present a client certificate it signed",
    "log_format": "text (default, Heartbeat-like lines) or json (one object per line)",
    "fence_delay": "How long a node holding fewer groups than its dead peer waits before "
    "fencing it, so that in a fence race the holder wins (default 15 s with STONITH; 0: off); "
    "with a tiebreaker but no STONITH, how long a node waits before taking over",
    "tiebreaker": "A ping or ping_group node: when the peer dies, only a node that still "
    "reaches it fences and takes over, one that does not releases its groups (two-node "
    "clusters; off by default)",
    "sysrq_trigger": "When this node fences itself (a failfast client died) and neither its "
    "STONITH device nor the watchdog has reset it: sync and write 'b' here, an immediate "
    "reboot as Heartbeat's failfast does (normally /proc/sysrq-trigger; off by default)",
    "fifo": "The FIFO hb_standby/hb_takeover and ha_clustermsg write to (absolute; default "
    "/var/lib/heartbeat/fifo, Heartbeat's)",
    "monitor": "RESOURCE [interval=T] [timeout=T] [restarts=N] [window=T]: check a resource "
    "of haresources, restart it, then fail its group over (repeatable)",
}

_WHITESPACE = " \t\n\r\f"


def parse_hacf(path: Path, registry: PluginRegistry, *, shown_as: str | None = None) -> HaCf:
    """Read and validate ha.cf; raise :class:`ConfigErrors` naming every problem.

    ``registry`` supplies the medium keywords (media lines are checked by their
    transport's ``build``) and the helper names ``respawn`` may use. ``shown_as`` is the
    path as messages print it (the loader passes Heartbeat's ``<dir>//ha.cf``).
    """
    shown = shown_as or str(path)
    try:
        data, _ = read_bounded(path, shown)
    except ConfigError as exc:
        raise ConfigErrors([exc], closing=[PARSE_FAILED]) from None
    except OSError:
        raise ConfigErrors(
            [ConfigError(f"Cannot open config file [{shown}]")],
            info=[
                f"An annotated sample {shown} file is provided in the documentation.",
                f"Please copy it to {shown}, read it, customize it, and try again.",
            ],
            closing=[PARSE_FAILED],
        ) from None
    binary = binary_problem(data, path)
    if binary is not None:
        raise ConfigErrors([binary], closing=[PARSE_FAILED])
    text = data.decode("utf-8", errors="replace")
    reader = DirectiveReader(HaCf(path=path), registry, shown, EXTENSION_DIRECTIVES)
    for lineno, line in enumerate(text.split("\n"), start=1):
        where = SourceLocation(path, lineno)
        too_long = long_line_problem(line, where)
        if too_long is not None:
            reader.problems.append(too_long)
            continue
        _read_line(reader, line, where)
    if reader.problems:
        raise ConfigErrors(reader.problems, closing=[PARSE_FAILED])
    problems = finish(reader)
    if problems:
        raise ConfigErrors(problems)
    cap_warnings(reader.cf.warnings)
    return reader.cf


def _read_line(reader: DirectiveReader, line: str, where: SourceLocation) -> None:
    body = line.lstrip(_WHITESPACE).split("#", 1)[0].split("\r", 1)[0]
    words = body.split(None, 1)
    if not words:
        return
    directive = words[0]
    rest = body[len(directive) :].lstrip(", \t\n\r\f").rstrip()
    reader.cf.raw[directive] = rest
    try:
        reader.read(directive, rest, where)
    except ConfigError as exc:
        reader.problems.append(ConfigError(exc.message, exc.location or where))
