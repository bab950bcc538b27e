"""cl_status's node and link subcommands: hbstatus, listnodes, nodestatus, nodeweight,
nodesite, nodetype, listhblinks, hblinkstatus (Heartbeat 3.0.6's texts and codes)."""

from __future__ import annotations

from hacore.v1 import hacore_pb2 as pb
from hbcompat.call import NORMAL_FAIL, OK, PARAMETER_ERROR, UNKNOWN_ERROR, Call, cl_log, err, out
from hbcompat.getopt import BAD, GetOpt
from hbcompat.session import status_word

NODE_WEIGHT = 100  # hacore has no hb_addnode/setweight: every node has Heartbeat's default
_FALSE = ("false", "off", "no", "n", "0")


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
            if pacemaker_enabled(pacemaker)
            else 'Resources controlled by "haresources"'
        )
    else:
        out(f"version:\t{version or 'unknown'}")
        out(
            f"managed by:\tpacemaker\t({pacemaker})"
            if pacemaker_enabled(pacemaker)
            else 'managed by:\t"haresources"'
        )
    _listnodes(call, normal_only=False, ping_only=False, verbose=True)
    return OK


def pacemaker_enabled(value: str | None) -> bool:
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


NOT_ENOUGH = "Not enough parameters."
NO_SUCH_NODE = "Error. May be due to incorrect node name"


def _named_node(
    call: Call, not_enough: str = NOT_ENOUGH, no_such_node: str = NO_SUCH_NODE
) -> tuple[str, pb.Node] | int:
    """The node the first operand names, or the exit code once cl_status's complaint is
    printed (each subcommand words its own, typos included)."""
    operands = call.simple_options()
    if operands is None:
        return PARAMETER_ERROR
    if not operands:
        err(not_enough)
        return PARAMETER_ERROR
    node = call.hb.node(operands[0])
    if node is None:
        err(no_such_node)
        return PARAMETER_ERROR
    return operands[0], node


def nodestatus(call: Call) -> int:
    found = _named_node(call)
    if isinstance(found, int):
        return found
    name, node = found
    status = status_word(node.status)
    out(f"The cluster node {name} is {status}" if call.human else status)
    return OK if status in ("active", "up", "ping") else NORMAL_FAIL


def nodeweight(call: Call) -> int:
    found = _named_node(call, no_such_node="Error. Maybe due to incorrect node name.")
    if isinstance(found, int):
        return found
    name, _ = found
    out(f"The weight of the cluster node {name} is {NODE_WEIGHT}" if call.human else "100")
    return OK


def nodesite(call: Call) -> int:
    found = _named_node(call)
    if isinstance(found, int):
        return found
    name, _ = found
    out(f"The site of the cluster node {name} is " if call.human else "")
    return OK


def nodetype(call: Call) -> int:
    found = _named_node(call, not_enough="No enough parameter.")
    if isinstance(found, int):
        return found
    name, node = found
    kind = _type(node.type)
    out(f"The node {name}'s type: {kind}" if call.human else kind)
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
