"""Sections of docs/benchmarks.md written by other bench commands than run_all.

``bench.fuzz`` and ``bench.flood`` measure on their own schedule; each owns one block
between markers. run_all regenerates the rest of the file and keeps these blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
BENCHMARKS = DOCS / "benchmarks.md"
_BLOCK = re.compile(r"<!-- begin (bench\.\w+) -->\n.*?<!-- end \1 -->\n", re.DOTALL)


def block(owner: str, lines: list[str]) -> str:
    body = "\n".join(lines).rstrip("\n")
    return f"<!-- begin {owner} -->\n{body}\n<!-- end {owner} -->\n"


def kept_blocks(text: str) -> str:
    """Every marked block of ``text``, each preceded by a blank line."""
    return "".join(f"\n{m[0]}" for m in _BLOCK.finditer(text))


def update(owner: str, lines: list[str], path: Path = BENCHMARKS) -> Path:
    """Replace ``owner``'s block in ``path`` (appended the first time)."""
    text = path.read_text() if path.exists() else ""
    new = block(owner, lines)
    for match in _BLOCK.finditer(text):
        if match[1] == owner:
            path.write_text(text[: match.start()] + new + text[match.end() :])
            return path
    path.write_text(text.rstrip("\n") + "\n\n" + new)
    return path
