"""Run hactl with other credentials: ``run_as.py UID GID GROUPS hactl-args...``.

The interpreter and every module hactl needs are loaded while still root (the Python
installation lives under /root, which other users cannot enter), then the process
drops to the given uid, gid and supplementary groups (comma-separated, may be empty)
before hactl opens any socket: the kernel credentials the daemon sees are real.
"""

from __future__ import annotations

import os
import shutil  # noqa: F401  # argparse imports it lazily, once we could no longer read it
import sys

import hactl.cli


def main() -> int:
    uid, gid = int(sys.argv[1]), int(sys.argv[2])
    groups = [int(g) for g in sys.argv[3].split(",") if g]
    os.setgroups(groups)
    os.setgid(gid)
    os.setuid(uid)
    return hactl.cli.main(sys.argv[4:])


if __name__ == "__main__":
    sys.exit(main())
