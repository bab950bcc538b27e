"""``halab``: a whole HA cluster on this machine, in network namespaces (needs root).

halab up [--nodes N] [--daemon hacore|heartbeat|keepalived] [--config DIR] [--fast]
         [--keepalive T] [--deadtime T] [--warntime T] [--initdead T]
         [--medium ucast|bcast|mcast] [--advert-int S] [--no-start] [--keep]
halab down [--prefix P]
halab demo [--daemon hacore|heartbeat|keepalived] [--keep]
halab exec [--prefix P] NODE [-- CMD ...]
halab status
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from halab.configs import FAST_TIMING, Timing, log_file
from halab.daemons import DAEMON_KINDS
from halab.demo import run_demo
from halab.lab import Lab
from halab.labnode import clean_env
from halab.membership import MembershipView
from halab.netns import netns_problem
from halab.state import RunState, clean_stale, load_all, stop_run
from halab.topology import CLIENT_IP, ROUTER_IP, VIP


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`: the lab is cleaned up


def _timing(args: argparse.Namespace) -> Timing:
    base = FAST_TIMING if args.fast else Timing()
    return Timing(
        keepalive=args.keepalive or base.keepalive,
        deadtime=args.deadtime or base.deadtime,
        warntime=args.warntime or base.warntime,
        initdead=args.initdead or base.initdead,
    )


def _print_lab(lab: Lab) -> None:
    print(f"hacore lab {lab.net.prefix}  daemon={lab.daemon.kind}  files: {lab.workdir}")
    for addr in lab.setup.nodes:
        print(f"  {addr.name:<8} eth0 {addr.lan_ip:<12} eth1 {addr.hb_ip}")
    print(f"  router   eth0 {ROUTER_IP:<12} (ping node)")
    print(f"  client   eth0 {CLIENT_IP:<12}" + (f" VIP {VIP}" if lab.serves_vip else ""))
    first = lab.names[0]
    print("Enter a node:        halab exec node1            (a shell: hostname, /etc/ha.d ...)")
    if lab.serves_vip:
        print(f"Ask the VIP:         halab exec client -- curl -s http://{VIP}/")
    else:
        ask = "hactl nodes" if lab.daemon.kind == "hacore" else "cl_status listnodes"
        print("Membership only:     no haresources group (failover is a two-node scheme)")
        print(f"Who is up:           halab exec node1 -- {ask}")
    print(f"Node logs:           {lab.node(first).path('/var/log')}")
    print("Stop:                Ctrl-C here, or `halab down` from another terminal")


def _stamp() -> str:
    return time.strftime("%H:%M:%S")


def _watch_vip(lab: Lab) -> None:
    serving: str | None = "?"
    while True:
        now = lab.client.serving_node()
        if now != serving:
            who = f"served by {now}" if now else "not answering"
            print(f"{_stamp()}  http://{VIP}/ {who}", flush=True)
            serving = now
        time.sleep(0.5)


def _watch_membership(lab: Lab) -> None:
    """What a membership-only cluster shows: who sees whom, and daemons that exit."""
    log = log_file(lab.setup.template)
    view = MembershipView({n: lab.node(n).path(log) for n in lab.names})
    shown = ""
    exited = ""
    while True:
        view.poll()
        if (summary := view.summary()) != shown:
            print(f"{_stamp()}  membership: {summary}", flush=True)
            shown = summary
        try:
            lab.check_daemons()
        except RuntimeError as exc:
            if str(exc) != exited:
                print(f"{_stamp()}  {exc}", flush=True)
                exited = str(exc)
        time.sleep(0.5)


def cmd_up(args: argparse.Namespace) -> int:
    nodes = args.nodes
    lab = Lab(
        nodes=nodes,
        daemon=args.daemon,
        config=args.config,
        timing=_timing(args),
        medium=args.medium,
        advert_int=args.advert_int,
        kind="up",
        keep_workdir=args.keep,
    )
    try:
        lab.build()
        if not args.no_start:
            lab.start()
        _print_lab(lab)
        if lab.serves_vip:
            _watch_vip(lab)
        else:
            _watch_membership(lab)
    except KeyboardInterrupt:
        print("\nstopping the lab ...")
    finally:
        lab.close()
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Clean crashed runs, and stop `halab up` runs (or exactly the run named by --prefix)."""
    cleaned = [s.prefix for s in clean_stale()]
    for state in load_all():
        if args.prefix is None and state.kind != "up":
            continue
        if args.prefix is not None and state.prefix != args.prefix:
            continue
        stop_run(state)
        cleaned.append(state.prefix)
    print("\n".join(f"cleaned {p}" for p in cleaned) if cleaned else "nothing to clean")
    return 0


def _choose_run(prefix: str | None) -> RunState:
    runs = [s for s in load_all() if s.owner_alive()]
    if prefix is not None:
        runs = [s for s in runs if s.prefix == prefix]
    elif len(runs) > 1:
        runs = [s for s in runs if s.kind == "up"] or runs
    if len(runs) != 1:
        listing = ", ".join(f"{s.prefix} ({s.kind})" for s in runs) or "none"
        raise SystemExit(
            f"halab exec: need exactly one running lab (found: {listing}); use --prefix"
        )
    return runs[0]


def cmd_exec(args: argparse.Namespace) -> int:
    state = _choose_run(args.prefix)
    command = args.command or [shutil.which("bash") or "/bin/sh"]
    env = clean_env()
    if args.node in state.nodes:
        init = str(state.nodes[args.node])
        argv = ["nsenter", "-t", init, "-m", "-u", "-n", "-p", "--wd=/", "--", *command]
    elif f"{state.prefix}{args.node}" in state.namespaces:
        argv = ["ip", "netns", "exec", f"{state.prefix}{args.node}", *command]
    else:
        names = [*state.nodes, *(ns.removeprefix(state.prefix) for ns in state.namespaces)]
        raise SystemExit(f"halab exec: no {args.node!r} in lab {state.prefix} ({', '.join(names)})")
    os.execvpe(argv[0], argv, env)


def cmd_status(args: argparse.Namespace) -> int:
    runs = load_all()
    for state in runs:
        alive = "running" if state.owner_alive() else "crashed (halab down cleans it)"
        nodes = ", ".join(state.nodes)
        print(f"{state.prefix}  {state.kind:<5} {state.daemon:<10} {alive}  nodes: {nodes}")
    if not runs:
        print("no lab runs recorded")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(args.daemon, keep=args.keep)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="halab", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="command_name", required=True)

    up = sub.add_parser("up", help="build a cluster and keep it running until Ctrl-C")
    up.add_argument(
        "--nodes",
        type=int,
        default=None,
        help="2..32 (default 2, or ha.cf's); more than 2: membership only, no resources",
    )
    up.add_argument("--daemon", choices=DAEMON_KINDS, default="hacore")
    up.add_argument("--config", type=Path, help="a /etc/ha.d-like dir (default: the seed's)")
    up.add_argument("--fast", action="store_true", help="100ms/500ms/300ms/2 (as halab demo)")
    for name in ("keepalive", "deadtime", "warntime", "initdead"):
        up.add_argument(f"--{name}", metavar="T", help="ha.cf syntax: 2, 500ms")
    up.add_argument("--medium", choices=("ucast", "bcast", "mcast"), help="on eth1, all nodes")
    up.add_argument("--advert-int", type=float, default=1.0, help="keepalived (default 1)")
    up.add_argument("--no-start", action="store_true", help="build only, start no daemon")
    up.add_argument("--keep", action="store_true", help="keep the node files afterwards")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="clean up crashed runs and `halab up` runs")
    down.add_argument("--prefix", help="only this run (any kind, even if its owner is alive)")
    down.set_defaults(func=cmd_down)

    demo = sub.add_parser("demo", help="the seed scenario, measured (two hacore nodes)")
    demo.add_argument("--daemon", choices=DAEMON_KINDS, default="hacore")
    demo.add_argument("--keep", action="store_true", help="keep node files and logs")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("exec", help="run a command (default: a shell) in a lab node")
    run.add_argument("--prefix", help="which run, if several are up")
    run.add_argument("node", help="node1.., router, client, lan")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ...")
    run.set_defaults(func=cmd_exec)

    status = sub.add_parser("status", help="list recorded lab runs")
    status.set_defaults(func=cmd_status)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "command", None) and args.command[0] == "--":
        args.command = args.command[1:]
    if args.command_name in ("up", "demo") and (problem := netns_problem()):
        print(f"halab: cannot build a lab here: {problem}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    try:
        result: int = args.func(args)
    except ValueError as exc:
        print(f"halab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
