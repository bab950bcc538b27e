"""What every cl_status subcommand shares: exit codes, output, cl_log error lines, and
the parsed call (argv, the daemon's answers, ``-m``)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from hbcompat.getopt import BAD, GetOpt
from hbcompat.session import Session

OK, NORMAL_FAIL, PARAMETER_ERROR, TIMEOUT, UNKNOWN_ERROR = 0, 1, 11, 12, 13


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
