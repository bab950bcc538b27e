"""``hb_standby`` and ``hb_takeover``: Heartbeat's two scripts, asking hacored through its API.

Arguments, messages and exit codes are the scripts' (/usr/share/heartbeat/hb_standby
and hb_takeover of Heartbeat 3.0.6): ``[all|foreign|local|failback]``, default all;
a bad word prints ``<path>: wrong resources(x).`` and the usage, exit 1. hb_standby logs
``Going standby [<set>].`` the way the scripts' ``ha_log`` does.

Heartbeat's scripts write the request into the FIFO and return at once; these send the
same request over the API and return when the move has finished, so a refusal (the
peer is dead, a move is already running) is reported on stderr with exit code 1
instead of vanishing. Words as the scripts and the peer's rc.d/hb_takeover use them:
hb_standby failback = foreign; hb_takeover failback = all (the peer runs hb_standby
without an argument).
"""

from __future__ import annotations

import asyncio
import os
import sys
import syslog
import time
from collections.abc import Sequence
from pathlib import Path

import grpc

from hacore.v1 import hacore_pb2 as pb
from hactl.client import HactlError, rpc_failure, stub
from hbcompat.session import endpoint

WORDS = ("all", "foreign", "local", "failback")
STANDBY_SCOPES = {
    "all": pb.SCOPE_ALL,
    "local": pb.SCOPE_LOCAL,
    "foreign": pb.SCOPE_FOREIGN,
    "failback": pb.SCOPE_FOREIGN,
}
TAKEOVER_SCOPES = {**STANDBY_SCOPES, "failback": pb.SCOPE_ALL}
MOVE_TIMEOUT_S = 600.0
DEFAULT_DATEFMT = "%b %d %T "  # ocf-directories' HA_DATEFMT
_FACILITIES = {name: value for name, value in vars(syslog).items() if name.startswith("LOG_")}


def _usage(prog: str) -> int:
    print("usage:")
    print(f"{prog} [all|foreign|local|failback]", file=sys.stderr)
    return 1


def _word(prog: str, args: Sequence[str]) -> str | None:
    """The scripts' argument checks; None after printing their complaint."""
    if len(args) >= 2:
        print(f"{prog}: too many arguments")
        _usage(prog)
        return None
    word = args[0] if args else "all"
    if word == "--help":
        _usage(prog)
        return None
    if word not in WORDS:
        print(f"{prog}: wrong resources({word}).")
        _usage(prog)
        return None
    return word


def _shell_echo(unquoted: str, quoted: str) -> str:
    """``echo `cmd`"text"``: the command's output is split into words, the quoted text
    joins the last word unless the output ended in blanks."""
    words = unquoted.split()
    if words and unquoted[-1:].strip():
        words[-1] += quoted
    else:
        words.append(quoted)
    return " ".join(words)


def ha_log(prog: str, text: str) -> None:
    """ocf-shellfuncs' ha_log: stderr on a terminal, else syslog / HA_LOGFILE / stderr."""
    tag = os.environ.get("HA_LOGTAG", "")
    if os.isatty(0):
        print(f"{tag}: {text}" if tag else text, file=sys.stderr)
        return
    tag = tag or f"{Path(prog).name}[{os.getpid()}]"
    date = time.strftime(os.environ.get("HA_DATEFMT") or DEFAULT_DATEFMT)
    facility = os.environ.get("HA_LOGFACILITY", "")
    facility = "" if facility == "none" else facility
    logfile = os.environ.get("HA_LOGFILE", "")
    if facility:
        syslog.openlog(tag, 0, _FACILITIES.get(f"LOG_{facility.upper()}", syslog.LOG_DAEMON))
        syslog.syslog(syslog.LOG_NOTICE, text)
        syslog.closelog()
    if logfile:
        with open(logfile, "a") as out:
            out.write(_shell_echo(date, f" {tag}:    {text}") + "\n")
    if not facility and not logfile:
        print(_shell_echo(date, text), file=sys.stderr)
    debuglog = os.environ.get("HA_DEBUGLOG", "")
    if debuglog and debuglog != logfile:
        with open(debuglog, "a") as out:
            out.write(f"{tag}:\t" + _shell_echo(date, text) + "\n")


async def _move(verb: str, scope: int) -> None:
    where = endpoint()
    async with where.channel() as channel:
        cluster = stub(channel)
        try:
            if verb == "standby":
                await cluster.Standby(pb.StandbyRequest(scope=scope), timeout=MOVE_TIMEOUT_S)  # type: ignore[arg-type]
            else:
                await cluster.Takeover(pb.TakeoverRequest(scope=scope), timeout=MOVE_TIMEOUT_S)  # type: ignore[arg-type]
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, where, verb) from None


def _run(prog: str, verb: str, scope: int) -> int:
    try:
        asyncio.run(_move(verb, scope))
    except HactlError as exc:
        print(f"{prog}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def hb_standby(argv: Sequence[str] | None = None) -> int:
    prog = sys.argv[0]
    word = _word(prog, list(sys.argv[1:] if argv is None else argv))
    if word is None:
        return 1
    named = "foreign" if word == "failback" else word
    ha_log(prog, f"Going standby [{named}].")
    return _run(prog, "standby", STANDBY_SCOPES[word])


def hb_takeover(argv: Sequence[str] | None = None) -> int:
    prog = sys.argv[0]
    word = _word(prog, list(sys.argv[1:] if argv is None else argv))
    if word is None:
        return 1
    return _run(prog, "takeover", TAKEOVER_SCOPES[word])
