"""glibc's ``getopt(3)`` as cl_status calls it: the subcommand is ``argv[0]``, so error
messages read ``listnodes: invalid option -- 'x'``, and non-options are permuted to
the end (``nodestatus node2 -m`` works like ``nodestatus -m node2``).

Python's :mod:`getopt` words its errors differently and raises on the first one, while
some cl_status subcommands carry on after a bad option; hence this small copy.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

BAD = "?"


@dataclass
class GetOpt:
    """Iterate for ``(option, argument)`` pairs (``("?", None)`` after an error, which
    is already printed); ``operands`` then holds the non-options, in order."""

    argv: Sequence[str]  # argv[0] names the program in messages
    optstring: str
    operands: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[str, str | None]]:
        prog = self.argv[0]
        args = list(self.argv[1:])
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg == "--":
                self.operands.extend(args[index:])
                return
            if not arg.startswith("-") or arg == "-":
                self.operands.append(arg)
                continue
            chars = arg[1:]
            position = 0
            while position < len(chars):
                char = chars[position]
                position += 1
                spec = self.optstring.find(char)
                if char == ":" or spec < 0:
                    _error(f"{prog}: invalid option -- '{char}'")
                    yield BAD, None
                    continue
                if self.optstring[spec + 1 : spec + 2] != ":":
                    yield char, None
                    continue
                if position < len(chars):
                    yield char, chars[position:]
                elif index < len(args):
                    index += 1
                    yield char, args[index - 1]
                else:
                    _error(f"{prog}: option requires an argument -- '{char}'")
                    yield BAD, None
                break


def _error(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
