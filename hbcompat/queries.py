"""cl_status's other subcommands: clientstatus, rscstatus, hbparameter and ``test``."""

from __future__ import annotations

from hbcompat.call import NORMAL_FAIL, OK, PARAMETER_ERROR, UNKNOWN_ERROR, Call, cl_log, err, out
from hbcompat.getopt import BAD, GetOpt
from hbcompat.nodes import pacemaker_enabled
from hbcompat.session import NoTimelyResponse

DEFAULT_CLIENT_TIMEOUT_MS = 500


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
    if pacemaker_enabled(call.hb.parameter("pacemaker")):
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
