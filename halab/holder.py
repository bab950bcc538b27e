"""The per-node holder: gives a lab node its own hostname, /run, config and data dirs.

Run inside the node's network namespace::

    ip netns exec <ns> python3 -m halab.holder --hostname node1 --bind SRC:DST ...

It unshares mount, UTS and PID namespaces itself (ctypes, not ``unshare(1)``), so that it
can ask the kernel to kill it when the lab process dies (PR_SET_PDEATHSIG) at every level.
It then forks the node's *init*: PID 1 of the node's PID namespace, which mounts a fresh
/proc and tmpfs /run, bind-mounts the private copies and sets the hostname.

Why a PID namespace: commands are run in the node with ``nsenter -t <init> -m -u -n -p``,
so they are not descendants of the holder, and a child subreaper would never see their
orphans.  As PID 1 of the namespace the init receives every orphan of the node (a
daemonised web server, Heartbeat's children) and reaps it at once; PID 1 of the host
reaps 1-2 s late, which an LSB ``stop`` polling ``kill -0`` would wait for.  When the
init exits the kernel kills everything left in the node: nothing outlives the lab.

Protocol: once ready, prints ``ready <init host pid>`` on stdout.  SIGTERM, SIGINT or
SIGHUP (or the lab dying) powers the node off: the init exits and the kernel SIGKILLs
every process left in the node.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import grp
import os
import pwd
import signal
import socket
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}

# What a freshly booted Debian has in /run for the daemons the lab runs (tmpfiles.d).
RUN_DIRS: list[tuple[str, int, str, str]] = [
    ("lock", 0o1777, "root", "root"),
    ("lock/subsys", 0o755, "root", "root"),
    ("heartbeat", 0o750, "hacluster", "haclient"),
    ("heartbeat/ccm", 0o750, "hacluster", "haclient"),
    ("heartbeat/crm", 0o750, "hacluster", "haclient"),
    ("heartbeat/dopd", 0o750, "hacluster", "haclient"),
    ("crm", 0o750, "hacluster", "haclient"),
    ("resource-agents", 0o1755, "root", "root"),
    ("hacore", 0o755, "root", "root"),
]

_libc = ctypes.CDLL(None, use_errno=True)


def _call(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _call(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {source} on {target}",
    )


def _die_with_parent() -> None:
    _call(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def _ids(user: str, group: str) -> tuple[int, int]:
    try:
        return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return 0, 0


def _bind(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        raise FileNotFoundError(f"bind target {target} does not exist (source {source})")
    _mount(source, target, None, MS_BIND | MS_REC)


def setup_node(hostname: str, binds: list[tuple[str, str]]) -> None:
    """Runs as the node's init, inside its fresh mount/UTS/PID namespaces."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    for path, mode, user, group in RUN_DIRS:
        full = os.path.join("/run", path)
        os.mkdir(full)
        os.chmod(full, mode)
        os.chown(full, *_ids(user, group))
    for source, target in binds:
        _bind(source, target)
    socket.sethostname(hostname)


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_init(hostname: str, binds: list[tuple[str, str]], ready_fd: int) -> int:
    """PID 1 of the node: set it up, then reap orphans until told to stop."""
    waited = _STOP_SIGNALS | {signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, waited)
    try:
        _die_with_parent()
        setup_node(hostname, binds)
    except OSError as exc:
        os.write(ready_fd, f"error {exc}\n".encode())
        return 1
    os.write(ready_fd, b"ok\n")
    os.close(ready_fd)
    while True:
        _reap_all()
        if signal.sigwaitinfo(waited).si_signo in _STOP_SIGNALS:
            return 0  # the power switch: when PID 1 exits, the kernel kills the whole node


def run_outer(hostname: str, binds: list[tuple[str, str]]) -> int:
    """The lab's child: owns the namespaces, forwards stop requests to the node's init."""
    _die_with_parent()
    if os.getppid() == 1:
        return 1  # the lab died before we could ask to follow it
    _call(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    read_fd, write_fd = os.pipe()
    init_pid = os.fork()
    if init_pid == 0:
        os.close(read_fd)
        os._exit(run_init(hostname, binds, write_fd))
    os.close(write_fd)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS | {signal.SIGCHLD})
    with os.fdopen(read_fd) as ready:
        status = ready.readline().strip()
    if status != "ok":
        print(f"holder for {hostname}: {status or 'init died during setup'}", file=sys.stderr)
        os.waitpid(init_pid, 0)
        return 1
    print(f"ready {init_pid}", flush=True)
    while True:
        info = signal.sigwaitinfo(_STOP_SIGNALS | {signal.SIGCHLD})
        if info.si_signo in _STOP_SIGNALS:
            with contextlib.suppress(ProcessLookupError):
                os.kill(init_pid, signal.SIGTERM)
        pid, wait_status = os.waitpid(init_pid, os.WNOHANG)
        if pid == init_pid:
            return os.waitstatus_to_exitcode(wait_status)


def _bind_arg(text: str) -> tuple[str, str]:
    source, sep, target = text.partition(":")
    if not sep or not os.path.isabs(source) or not os.path.isabs(target):
        raise argparse.ArgumentTypeError(f"--bind wants ABS_SOURCE:ABS_TARGET, got {text!r}")
    return source, target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m halab.holder")
    parser.add_argument("--hostname", required=True)
    parser.add_argument("--bind", type=_bind_arg, action="append", default=[], metavar="SRC:DST")
    args = parser.parse_args(argv)
    return run_outer(args.hostname, args.bind)


if __name__ == "__main__":
    sys.exit(main())
