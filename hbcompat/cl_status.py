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
import sys
from collections.abc import Awaitable, Callable, Sequence

from hbcompat import nodes, queries
from hbcompat.call import NORMAL_FAIL, OK, PARAMETER_ERROR, TIMEOUT, Call, cl_log
from hbcompat.session import SignonFailed, endpoint, signon

DEADLINE_S = 5.0  # cl_status's alarm(5)
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

Command = Callable[[Call], int | Awaitable[int]]
# name -> (function, needs a signon)
COMMANDS: dict[str, tuple[Command, bool]] = {
    "hbstatus": (nodes.hbstatus, False),
    "listnodes": (nodes.listnodes, True),
    "nodestatus": (nodes.nodestatus, True),
    "nodeweight": (nodes.nodeweight, True),
    "nodesite": (nodes.nodesite, True),
    "nodetype": (nodes.nodetype, True),
    "listhblinks": (nodes.listhblinks, True),
    "hblinkstatus": (nodes.hblinkstatus, True),
    "clientstatus": (queries.clientstatus, True),
    "rscstatus": (queries.rscstatus, True),
    "hbparameter": (queries.hbparameter, True),
    "test": (queries.test, True),
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
