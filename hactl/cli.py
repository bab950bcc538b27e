"""hactl: the operator's command line for a running hacored.

Every failure is one line on stderr and a distinct exit code (see
:class:`hactl.client.Exit`); there is no traceback to read at 3 a.m.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

import grpc

from hacore import __version__
from hacore.v1 import hacore_pb2 as pb
from hactl import completion, render
from hactl.client import DEFAULT_SOCKET, Endpoint, Exit, HactlError, rpc_failure, stub
from hactl.health import health_json, health_text, problems
from hactl.progress import Progress
from hactl.select import Selection
from hactl.watch import watch

READ_TIMEOUT = 10.0
RELOAD_TIMEOUT = 60.0
MOVE_TIMEOUT = 600.0
WATCH_SETUP_TIMEOUT = 2.0
COMPLETION_TIMEOUT = 2.0
SCOPES = {"all": pb.SCOPE_ALL, "local": pb.SCOPE_LOCAL, "foreign": pb.SCOPE_FOREIGN}

Command = Callable[[argparse.Namespace, Endpoint], Coroutine[Any, Any, Exit]]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise HactlError(Exit.USAGE, f"{message} (see '{self.prog} --help')")


def _out(lines: Sequence[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2))


async def _status(
    options: argparse.Namespace, endpoint: Endpoint, default_timeout: float = READ_TIMEOUT
) -> pb.ClusterStatus:
    async with endpoint.channel() as channel:
        try:
            result: pb.ClusterStatus = await stub(channel).GetStatus(
                pb.GetStatusRequest(), timeout=options.timeout or default_timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, endpoint, "status") from None
    return result


def _read_command(
    as_json: Callable[[pb.ClusterStatus], object],
    as_text: Callable[[pb.ClusterStatus], list[str]],
    *,
    always_check: bool = False,
) -> Command:
    """A read command: GetStatus, narrowed by --node/--group, rendered as JSON (``--json``)
    or text, once or every ``--watch`` seconds; with ``--check`` (always, for ``health``)
    the exit code says whether the selection is healthy."""

    async def run(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
        selection = Selection.of(options.node, options.group)
        check = always_check or options.check
        watching = options.watch is not None

        async def frame() -> tuple[list[str], Exit]:
            status = selection.apply(await _status(options, endpoint))
            code = Exit.UNHEALTHY if check and problems(status) else Exit.OK
            if options.json:
                return [json.dumps(as_json(status), indent=None if watching else 2)], code
            return as_text(status), code

        if not watching:
            lines, code = await frame()
            _out(lines)
            return code
        return await watch(
            frame,
            title=options.title,
            interval=options.watch,
            count=options.count,
            json_lines=options.json,
        )

    return run


cmd_status = _read_command(render.status_json, render.status_text)
cmd_nodes = _read_command(
    lambda status: [render.node_json(node) for node in status.nodes], render.nodes_text
)
cmd_links = _read_command(render.links_json, render.links_text)
cmd_resources = _read_command(
    lambda status: [render.group_json(group) for group in status.groups], render.resources_text
)
cmd_health = _read_command(health_json, health_text, always_check=True)
READ_COMMANDS = ("status", "nodes", "links", "resources", "health")


async def cmd_completion(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
    if options.what == "bash":
        sys.stdout.write(completion.bash_script(build_parser()))
        return Exit.OK
    # a shell waiting on <Tab> must not hang for the read commands' 10 s
    status = await _status(options, endpoint, default_timeout=COMPLETION_TIMEOUT)
    _out(completion.names(status, options.what))
    return Exit.OK


async def cmd_events(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
    """Follow events; ``--timeout`` bounds the whole run: without ``--count`` its end is
    a normal end, with ``--count`` an unmet count is a timeout (exit 5)."""
    seen = 0
    subscribed = False
    async with endpoint.channel() as channel:
        call = stub(channel).Watch(pb.WatchRequest(), timeout=options.timeout)
        try:
            await call.initial_metadata()  # sent once the daemon has subscribed us
            subscribed = True
            async for event in call:
                if options.json:
                    print(json.dumps(render.event_json(event)), flush=True)
                else:
                    print(render.event_text(event), flush=True)
                seen += 1
                if options.count and seen >= options.count:
                    return Exit.OK
        except grpc.aio.AioRpcError as exc:
            if subscribed and exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
                if not options.count:
                    return Exit.OK
                raise HactlError(
                    Exit.TIMEOUT,
                    f"events: {seen} of {options.count} events within {options.timeout:g} s",
                ) from None
            raise rpc_failure(exc, endpoint, "events") from None
    raise HactlError(Exit.NOT_RUNNING, "events: hacored ended the event stream (stopping?)")


async def cmd_reload(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
    async with endpoint.channel() as channel:
        try:
            reply = await stub(channel).Reload(
                pb.ReloadRequest(), timeout=options.timeout or RELOAD_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, endpoint, "reload") from None
    if options.json:
        _json({"warnings": list(reply.warnings)})
    else:
        _out(["configuration reloaded", *(f"warning: {w}" for w in reply.warnings)])
    return Exit.OK


async def cmd_cleanup(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
    async with endpoint.channel() as channel:
        try:
            reply: pb.CleanupResponse = await stub(channel).Cleanup(
                pb.CleanupRequest(resource=options.resource),
                timeout=options.timeout or READ_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, endpoint, "cleanup") from None
    if options.json:
        _json(render.cleanup_json(reply))
    else:
        _out(render.cleanup_text(reply, options.resource))
    return Exit.OK


def _move_command(verb: str) -> Command:
    async def run(options: argparse.Namespace, endpoint: Endpoint) -> Exit:
        scope = options.scope
        progress = Progress(f"{verb} {scope}", sys.stderr)
        async with endpoint.channel() as channel:
            cluster = stub(channel)
            rpc = cluster.Standby if verb == "standby" else cluster.Takeover
            request_type = pb.StandbyRequest if verb == "standby" else pb.TakeoverRequest
            watcher = await _follow_groups(cluster, progress)
            progress.start()
            try:
                reply: pb.MoveResponse = await rpc(
                    request_type(scope=SCOPES[scope]), timeout=options.timeout or MOVE_TIMEOUT
                )
            except grpc.aio.AioRpcError as exc:
                raise _move_failure(exc, endpoint, f"{verb} {scope}") from None
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
                await progress.stop()
        if options.json:
            _json(
                {
                    "operation": verb,
                    "scope": scope,
                    "elapsed_s": round(reply.elapsed_seconds, 3),
                    "status": render.status_json(reply.status),
                }
            )
        else:
            _out([f"{verb} {scope}: done in {reply.elapsed_seconds:.1f}s", ""])
            _out(render.holders_text(reply.status))
        return Exit.OK

    return run


_VERDICT = re.compile(r"[;,]?\s*(?:standby|takeover) refused\.?$")


def _move_failure(exc: grpc.aio.AioRpcError, endpoint: Endpoint, what: str) -> HactlError:
    """A refusal reads "<verb> refused: <reason>"; the engine's reason may end with a
    verdict of its own ("...; standby refused." even for a takeover): drop it."""
    error = rpc_failure(exc, endpoint, what)
    if exc.code() is grpc.StatusCode.FAILED_PRECONDITION:
        error.message = _VERDICT.sub("", error.message)
    return error


async def _follow_groups(cluster: Any, progress: Progress) -> asyncio.Task[None]:
    """Subscribe to group changes for the progress display before the move starts.

    Progress is cosmetic: a watch that cannot be opened (refused, older daemon) is
    simply not shown, and the move goes ahead.
    """
    call = cluster.Watch(pb.WatchRequest())

    async def follow() -> None:
        try:
            async for event in call:
                if event.WhichOneof("kind") in ("group", "failover"):
                    progress.note(render.event_summary(event))
        except grpc.aio.AioRpcError:
            return

    with contextlib.suppress(grpc.aio.AioRpcError, TimeoutError):
        await asyncio.wait_for(call.initial_metadata(), WATCH_SETUP_TIMEOUT)
    return asyncio.create_task(follow())


COMMANDS: dict[str, tuple[Command, str]] = {
    "status": (cmd_status, "nodes, links and who holds which resource group"),
    "nodes": (cmd_nodes, "node table (status, type, generation, last heard)"),
    "links": (cmd_links, "heartbeat links of every node"),
    "resources": (cmd_resources, "resource groups, holder and state"),
    "events": (cmd_events, "follow cluster events until interrupted"),
    "standby": (_move_command("standby"), "give resource groups to the peer (hb_standby)"),
    "takeover": (_move_command("takeover"), "take resource groups from the peer (hb_takeover)"),
    "reload": (cmd_reload, "re-read the configuration (heartbeat -r)"),
    "cleanup": (cmd_cleanup, "reset fail counts of monitored resources on this node"),
    "health": (cmd_health, "exit 6 if a node, ping node or link is dead or a group is down"),
    "completion": (cmd_completion, "print a bash completion script ('completion bash')"),
}


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before or after the command; SUPPRESS keeps a subcommand from
    resetting a value given before it."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--socket",
        type=Path,
        default=default,
        help=f"the daemon's API socket (default $HACTL_SOCKET or {DEFAULT_SOCKET})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=default,
        metavar="SECONDS",
        help="give up after SECONDS (default 10, reload 60, standby/takeover 600; "
        "events: follow for SECONDS, default until interrupted)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print JSON instead of text",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hactl", description="Control and inspect a running hacored.")
    parser.add_argument("--version", action="version", version=f"hactl {__version__}")
    _common(parser, top=True)
    tls = parser.add_argument_group("TLS listener (ha.cf api_listen) instead of the socket")
    tls.add_argument("--address", metavar="HOST:PORT")
    tls.add_argument("--cert", type=Path, help="client certificate (PEM)")
    tls.add_argument("--key", type=Path, help="client private key (PEM)")
    tls.add_argument("--cacert", type=Path, help="CA that signed the server certificate")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (_, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        _common(sub, top=False)
        if name in ("standby", "takeover"):
            sub.add_argument(
                "scope",
                nargs="?",
                default="all",
                choices=list(SCOPES),
                help="which groups, relative to this node (default all)",
            )
        if name == "events":
            sub.add_argument("--count", type=int, default=0, help="exit after N events")
        if name == "cleanup":
            sub.add_argument(
                "resource",
                nargs="?",
                default="",
                help="a resource as haresources names it (default: every resource)",
            )
        if name in READ_COMMANDS:
            _read_options(sub, check=name != "health")
        if name == "completion":
            sub.add_argument(
                "what",
                choices=("bash", "nodes", "groups"),
                help="bash: the script; nodes, groups: the names it completes, one per line",
            )
    return parser


def _read_options(parser: argparse.ArgumentParser, *, check: bool) -> None:
    parser.add_argument(
        "--node",
        action="append",
        metavar="NAME",
        help="only this node (and its links); repeatable",
    )
    parser.add_argument(
        "--group",
        action="append",
        metavar="GROUP",
        help="only this resource group (its key or one of its resources); repeatable",
    )
    parser.add_argument(
        "--watch",
        nargs="?",
        const=2.0,
        type=_positive_seconds,
        metavar="SECONDS",
        help="redraw every SECONDS (default 2) until Ctrl-C",
    )
    parser.add_argument(
        "--count",
        type=_positive_int,
        default=0,
        metavar="N",
        help="with --watch: stop after N refreshes",
    )
    if check:
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 6 if the selection is unhealthy (see 'hactl health')",
        )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be positive (got {text})")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive (got {text})")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = build_parser().parse_args(argv)
        if options.command is None:
            raise HactlError(Exit.USAGE, "a command is required (see 'hactl --help')")
        if options.timeout is not None and options.timeout <= 0:
            raise HactlError(Exit.USAGE, "--timeout must be positive")
        if options.command in READ_COMMANDS and options.count and options.watch is None:
            raise HactlError(Exit.USAGE, "--count needs --watch")
        options.title = " ".join(["hactl", *(sys.argv[1:] if argv is None else argv)])
        endpoint = Endpoint(
            socket=options.socket or Path(os.environ.get("HACTL_SOCKET") or DEFAULT_SOCKET),
            address=options.address,
            cert=options.cert,
            key=options.key,
            cacert=options.cacert,
        )
        command, _ = COMMANDS[options.command]
        return int(asyncio.run(command(options, endpoint)))
    except HactlError as exc:
        print(f"hactl: {exc.message}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hactl events | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(Exit.OK)
    except Exception as exc:  # a bug in hactl: still one line, never a traceback
        print(f"hactl: unexpected error: {exc!r}", file=sys.stderr)
        return int(Exit.FAILED)


if __name__ == "__main__":
    sys.exit(main())
