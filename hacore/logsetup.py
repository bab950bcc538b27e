"""Logging as ha.cf asks for it: ``logfile``, ``debugfile``, ``logfacility``, ``debug``.

structlog renders through the standard library so syslog, files and stderr share one
pipeline. Lines put Heartbeat's own wording first (operators and their scripts grep
for it), then the stable event name and context: ``... WARN: Late heartbeat: Node
node2: interval 4560 ms [late_heartbeat node=node2 interval_ms=4560]``. The handlers
(:mod:`hacore.loghandlers`) follow logrotate and survive odd text and failing disks.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog

from hacore.loghandlers import LogFile, SafeFormatter, Stderr, Syslog

if TYPE_CHECKING:
    from hacore.config.model import ClusterConfig

# Heartbeat's level words, so existing log watchers keep matching.
_LEVEL_WORDS = {
    "debug": "debug",
    "info": "info",
    "warning": "WARN",
    "error": "ERROR",
    "critical": "CRIT",
}

_FACILITIES = logging.handlers.SysLogHandler.facility_names


def _render_text(_: Any, __: str, event: MutableMapping[str, Any]) -> str:
    level = _LEVEL_WORDS.get(str(event.pop("level", "info")), "info")
    stamp = event.pop("timestamp", "")
    node = event.pop("local_node", "-")
    name = event.pop("event", "")
    text = event.pop("msg", None)
    event.pop("logger", None)
    context = " ".join(f"{k}={v}" for k, v in event.items())
    detail = f"[{name}{' ' + context if context else ''}]"
    body = f"{text} {detail}" if text else detail
    return f"{stamp} {node} hacored[{os.getpid()}]: {level}: {body}"


def configure(
    node: str,
    *,
    logfile: Path | None = None,
    debugfile: Path | None = None,
    logfacility: str | None = None,
    debug: int = 0,
    log_format: Literal["text", "json"] = "text",
    stderr: bool = True,
) -> None:
    """Route every hacore log event to the destinations ha.cf names.

    Idempotent: a reload calls it again with the new settings (and so reopens the
    files). Never raises for a file that cannot be opened: that file is reported once on
    stderr when its first line is dropped (the start-up checks refuse such a file first).
    """
    renderer: Any = structlog.processors.JSONRenderer() if log_format == "json" else _render_text
    formatter = SafeFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger("hacore")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.propagate = False
    info_level = logging.DEBUG if debug > 0 else logging.INFO

    def attach(handler: logging.Handler, level: int) -> None:
        handler.setFormatter(formatter)
        handler.setLevel(level)
        root.addHandler(handler)

    if stderr:
        attach(Stderr(), info_level)
    if logfile is not None:
        attach(LogFile(logfile, node), info_level)
    if debugfile is not None:
        attach(LogFile(debugfile, node), logging.DEBUG)
    if logfacility and logfacility != "none" and logfacility in _FACILITIES:
        address = "/dev/log" if Path("/dev/log").exists() else ("localhost", 514)
        attach(Syslog(address, _FACILITIES[logfacility]), info_level)
    # Nothing below the lowest handler's level is built at all (filter_by_level): a debug
    # line nobody writes cost 40 us of time stamping and wrapping, dozens per hand-over.
    root.setLevel(min((h.level for h in root.handlers), default=logging.INFO))

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="%Y-%m-%dT%H:%M:%S.%f", utc=False),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(local_node=node)


def configure_from(config: ClusterConfig) -> None:
    """``configure`` with a loaded configuration's logging directives."""
    hacf = config.hacf
    configure(
        config.local_node,
        logfile=hacf.logfile,
        debugfile=hacf.debugfile,
        logfacility=hacf.logfacility,
        debug=hacf.debug,
        log_format=hacf.extensions.log_format,
    )


def log_config_warning(text: str) -> None:
    structlog.get_logger("hacore.config").warning("config_warning", msg=text)
