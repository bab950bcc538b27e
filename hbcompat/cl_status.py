"""``cl_status``: Heartbeat 3.0.6's status tool, answered by hacored.

Every subcommand, option, message and exit code is Heartbeat's (docs/protocol.md
§11.4, checked side by side with the real cl_status in tests/interop): 0 OK, 1 a
"normal" failure (node dead, link down, heartbeat stopped...), 11 a parameter error,
12 no answer within 5 s, 13 any other error. Errors are cl_log lines on stderr
(``Dec 06 05:11:10 node1 cl_status: [529]: ERROR: ...``) or Heartbeat's bare texts.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from hbcompat.getopt import BAD, GetOpt
from hbcompat.session import (
    NoTimelyResponse,
    Session,
    SignonFailed,
    endpoint,
    signon,
    status_word,
)

OK, NORMAL_FAIL, PARAMETER_ERROR, TIMEOUT, UNKNOWN_ERROR = 0, 1, 11, 12, 13
DEADLINE_S = 5.0  # cl_status's alarm(5)
DEFAULT_CLIENT_TIMEOUT_MS = 500
NODE_WEIGHT = 100  # hacore has no hb_addnode/setweight: every node has Heartbeat's default
USAGE = """\
Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add "listnodes -v" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add "listhblinks -v" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
"""
_FALSE = ("false", "off", "no", "n", "0")


def cl_log(text: str) -> None:
    """glue's cl_log to stderr: ``<Mon DD HH:MM:SS> <host> cl_status: [<pid>]: ERROR: ``."""
    stamp = time.strftime("%b %d %H:%M:%S")
    sys.stderr.write(f"{stamp} {os.uname().nodename} cl_status: [{os.getpid()}]: ERROR: {text}\n")
    sys.stderr.flush()


def out(text: str) -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


@dataclass
class Call:
    """One subcommand run: its argv (``argv[0]`` is the subcommand), the session, and
    the ``-m`` (human readable) switch that every subcommand shares."""

    argv: Sequence[str]
    session: Session | None
    failure: str = ""  # why the signon failed (hbstatus -v prints it)
    refused: bool = False  # the daemon runs but does not let us in
    human: bool = False

    @property
    def hb(self) -> Session:
        assert self.session is not None  # only hbstatus runs without a signon
        return self.session

    def simple_options(self) -> list[str] | None:
        """Heartbeat's general_simple_opt_deal: ``-m`` only; the operands, or None
        after a bad option (already reported)."""
        parsed = GetOpt(self.argv, "m")
        for option, _ in parsed:
            if option == BAD:
                cl_log("Error: getopt returnedcharacter ?.")
                return None
            self.human = True
        return parsed.operands


def hbstatus(call: Call) -> int:
    verbose = False
    for option, _ in GetOpt(call.argv, "mv"):
        call.human = call.human or option == "m"
        verbose = verbose or option == "v"
    if call.session is None:
        if call.refused:
            out("Heartbeat is apparently running on this machine, but refuses my connection")
        else:
            out("Heartbeat is stopped on this machine.")
        if verbose and call.failure:
            out(f"({call.failure})")
        return OK if call.refused else NORMAL_FAIL
    if not verbose:
        out("Heartbeat is running on this machine.")
        return OK
    version = call.hb.parameter("hbversion")
    pacemaker = call.hb.parameter("pacemaker")
    if call.human:
        out(f"Heartbeat version {version}" if version else "Heartbeat is running on this machine.")
        out(
            "Resources controlled by Pacemaker."
            if _pacemaker(pacemaker)
            else 'Resources controlled by "haresources"'
        )
    else:
        out(f"version:\t{version or 'unknown'}")
        out(
            f"managed by:\tpacemaker\t({pacemaker})"
            if _pacemaker(pacemaker)
            else 'managed by:\t"haresources"'
        )
    _listnodes(call, normal_only=False, ping_only=False, verbose=True)
    return OK


def _pacemaker(value: str | None) -> bool:
    """is_pacemaker_enabled: only a false boolean word (cl_str_to_boolean) means haresources."""
    return value is None or value.lower() not in _FALSE


def listnodes(call: Call) -> int:
    flags = set()
    for option, _ in GetOpt(call.argv, "mpnv"):
        if option == BAD:
            cl_log("Error: getopt returnedcharacter code ?.")
            return PARAMETER_ERROR
        flags.add(option)
    call.human = call.human or "m" in flags
    return _listnodes(call, "n" in flags, "p" in flags, "v" in flags)


def _listnodes(call: Call, normal_only: bool, ping_only: bool, verbose: bool) -> int:
    if normal_only and ping_only:
        normal_only = ping_only = False
    if call.human:
        out("The nodes are as follow:")
    for node in call.hb.walk():
        kind = _type(node.type)
        if (normal_only and kind != "normal") or (ping_only and kind != "ping"):
            continue
        if verbose:
            out(f"\n{node.name}\t{status_word(node.status)}\t(nodetype: {kind})")
            _listhblinks(call, node.name, verbose=True)
        else:
            out(node.name)
    return OK


def _type(value: int) -> str:
    return {1: "normal", 2: "ping"}.get(value, "unknown")


def nodestatus(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if not operands:
        err("Not enough parameters.")
        return PARAMETER_ERROR
    node = call.hb.node(operands[0])
    if node is None:
        err("Error. May be due to incorrect node name")
        return PARAMETER_ERROR
    status = status_word(node.status)
    out(f"The cluster node {operands[0]} is {status}" if call.human else status)
    return OK if status in ("active", "up", "ping") else NORMAL_FAIL


def nodeweight(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if not operands:
        err("Not enough parameters.")
        return PARAMETER_ERROR
    if call.hb.node(operands[0]) is None:
        err("Error. Maybe due to incorrect node name.")
        return PARAMETER_ERROR
    name = operands[0]
    out(f"The weight of the cluster node {name} is {NODE_WEIGHT}" if call.human else "100")
    return OK


def nodesite(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if not operands:
        err("Not enough parameters.")
        return PARAMETER_ERROR
    if call.hb.node(operands[0]) is None:
        err("Error. May be due to incorrect node name")
        return PARAMETER_ERROR
    out(f"The site of the cluster node {operands[0]} is " if call.human else "")
    return OK


def nodetype(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if not operands:
        err("No enough parameter.")
        return PARAMETER_ERROR
    node = call.hb.node(operands[0])
    if node is None:
        err("Error. May be due to incorrect node name")
        return PARAMETER_ERROR
    kind = _type(node.type)
    out(f"The node {operands[0]}'s type: {kind}" if call.human else kind)
    return OK


def listhblinks(call: Call) -> int:
    verbose = False
    parsed = GetOpt(call.argv, "mv")
    for option, _ in parsed:
        if option == BAD:
            cl_log("Error: getopt returnedcharacter code ?.")
            return PARAMETER_ERROR
        call.human = call.human or option == "m"
        verbose = verbose or option == "v"
    if not parsed.operands:
        err("No enough parameter.")
        return PARAMETER_ERROR
    return _listhblinks(call, parsed.operands[0], verbose)


def _listhblinks(call: Call, name: str, verbose: bool) -> int:
    node = call.hb.node(name)
    if node is None:
        cl_log("Cannot start heartbeat link interface walk.")
        cl_log("REASON: EINVAL")
        return UNKNOWN_ERROR
    if call.human:
        out("\tthis node has the following heartbeat links:")
    for link, status in call.hb.links(node):
        out(f"\t{link}\t{status}" if verbose else f"\t{link}")
    return OK


def hblinkstatus(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if len(operands) < 2:
        err("No enough parameter.")
        return PARAMETER_ERROR
    node = call.hb.node(operands[0])
    links = dict(call.hb.links(node)) if node is not None else {}
    status = links.get(operands[1])
    if status is None:
        cl_log("Cannot get heartbeat link status")
        cl_log("REASON: ")
        return UNKNOWN_ERROR
    if call.human:
        out(f"The node {operands[0]}'s heartbeat link {operands[1]} is {status}")
    else:
        out(status)
    return OK if status == "up" else NORMAL_FAIL


async def clientstatus(call: Call) -> int:
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if len(operands) < 2:
        err("No enough parameter.")
        return PARAMETER_ERROR
    name, client = operands[0], operands[1]
    timeout_ms = _atoi(operands[2]) if len(operands) > 2 else DEFAULT_CLIENT_TIMEOUT_MS
    try:
        status = await call.hb.client_status(name, client, timeout_ms)
    except NoTimelyResponse:
        cl_log(f"Cannot get heartbeat client {client}'s status")
        cl_log("REASON: No timely response.")
        return UNKNOWN_ERROR
    out(status)
    return {"online": OK, "offline": NORMAL_FAIL, "join": 2, "leave": 3}.get(status, UNKNOWN_ERROR)


def _atoi(text: str) -> int:
    """C's atoi: optional blanks and sign, then digits; anything else ends it (0)."""
    text = text.lstrip(" \t\n\v\f\r")
    sign = -1 if text[:1] == "-" else 1
    text = text[1:] if text[:1] in "+-" and text else text
    digits = ""
    for char in text:
        if not char.isdigit() or not char.isascii():
            break
        digits += char
    return sign * int(digits) if digits else 0


def rscstatus(call: Call) -> int:
    if call.simple_options() is None:
        return PARAMETER_ERROR
    if _pacemaker(call.hb.parameter("pacemaker")):
        cl_log("Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
        return NORMAL_FAIL
    held = call.hb.status.rsc_status
    out(f"This node is holding {held} resources." if call.human else held)
    return OK


def hbparameter(call: Call) -> int:
    name = None
    for option, argument in GetOpt(call.argv, "mp:"):
        if option == BAD:
            cl_log("Error: getopt returnedcharacter code ?.")
            return PARAMETER_ERROR
        call.human = call.human or option == "m"
        name = argument if option == "p" else name
    if name is None:
        cl_log("parameter name required")
        return PARAMETER_ERROR
    value = call.hb.parameter(name)
    if value is None:
        cl_log(f"Cannot get parameter {name}'s value")
        cl_log("REASON: ")
        return NORMAL_FAIL
    out(f"Heartbeat parameter {name}'s value: {value}" if call.human else value)
    return OK


def test(call: Call) -> int:
    """The undocumented ``test`` subcommand (typo included)."""
    status = call.hb.status
    out(f"Dead time: {status.deadtime_ms}")
    out(f" keeplive time: {status.keepalive_ms}")
    out(f" mynodeid: {status.local_node}")
    out(f" rsc: {status.rsc_status}")
    return OK


Command = Callable[[Call], int | Awaitable[int]]
# name -> (function, needs a signon)
COMMANDS: dict[str, tuple[Command, bool]] = {
    "hbstatus": (hbstatus, False),
    "listnodes": (listnodes, True),
    "nodestatus": (nodestatus, True),
    "nodeweight": (nodeweight, True),
    "nodesite": (nodesite, True),
    "nodetype": (nodetype, True),
    "listhblinks": (listhblinks, True),
    "hblinkstatus": (hblinkstatus, True),
    "clientstatus": (clientstatus, True),
    "rscstatus": (rscstatus, True),
    "hbparameter": (hbparameter, True),
    "test": (test, True),
}


async def run(args: Sequence[str]) -> int:
    function, needs_signon = COMMANDS[args[0]]
    try:
        call = Call(args, await signon(endpoint()))
    except SignonFailed as failed:
        if needs_signon:
            cl_log("Cannot signon with heartbeat")
            cl_log(f"REASON: {failed}")
            return NORMAL_FAIL
        call = Call(args, None, failure=str(failed), refused=failed.refused)
    result = function(call)
    return await result if inspect.isawaitable(result) else result


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args == ["-h"]:
        sys.stdout.write(USAGE)
        return OK
    if args[0] not in COMMANDS:
        cl_log(f"{args[0]}: invalid sub-command.")
        return PARAMETER_ERROR
    try:
        code = asyncio.run(asyncio.wait_for(run(args), DEADLINE_S))
    except TimeoutError:
        code = TIMEOUT
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
