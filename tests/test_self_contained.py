"""A clone stands on its own: nothing in the repository reads files from beside the checkout.

The captured Heartbeat packets live in tests/data/vectors, the protocol facts in
docs/protocol.md. CI runs the suite from a fresh clone with nothing beside it (.ci/run); this
test names the offending line before that run has to.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTSIDE = "sha" + "red"  # spelled apart so this file does not match itself
PATTERNS = [
    re.compile(rf"\.\./{OUTSIDE}\b"),
    re.compile(rf"/work/{OUTSIDE}\b"),
    re.compile(rf"[\"']{OUTSIDE}[\"']\s*/"),
    re.compile(rf"\b{OUTSIDE}/(vectors|spec|seed|anchors|hooks)\b"),
]


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in listed if not name.startswith("tests/data/")]


def test_nothing_reads_from_beside_the_checkout() -> None:
    offenders = []
    for path in _tracked_text_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(p.search(line) for p in PATTERNS):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not offenders, "reads outside the repository:\n" + "\n".join(offenders)


def test_every_protocol_section_cited_exists() -> None:
    sections = set(
        re.findall(r"^#+ (\d+(?:\.\d+)*[a-z]?)\b", (REPO / "docs/protocol.md").read_text(), re.M)
    )
    cited = []
    for path in _tracked_text_files():
        if path.suffix != ".py" or not path.is_file():
            continue
        for ref in re.findall(r"docs/protocol\.md §(\d+(?:\.\d+)*[a-z]?)", path.read_text()):
            cited.append((path.relative_to(REPO), ref))
    missing = [f"{p}: §{ref}" for p, ref in cited if ref not in sections]
    assert cited, "no code cites docs/protocol.md"
    assert not missing, "cited sections that docs/protocol.md does not have:\n" + "\n".join(missing)
