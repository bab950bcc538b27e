"""The documentation names what the code accepts (a meta-test keeps both true)."""

from __future__ import annotations

import re
from pathlib import Path

from hacore.config.hacf import EXTENSION_DIRECTIVES

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def test_every_hacore_only_directive_is_in_the_operator_guide() -> None:
    guide = (DOCS / "operator-guide.md").read_text()
    missing = [name for name in EXTENSION_DIRECTIVES if f"`{name}" not in guide]
    assert not missing, f"undocumented ha.cf extensions: {missing}"


def test_readme_quickstart_has_the_two_commands_ci_runs() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    ci = (DOCS.parent / ".ci" / "run").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in ci and "HACORE_REQUIRE_NETNS=1" in ci


def test_architecture_names_only_modules_and_functions_that_exist() -> None:
    """docs/architecture.md is a map: every module path and ``Class.method`` it names exists."""
    text = (REPO / "docs" / "architecture.md").read_text()
    for path in re.findall(r"`((?:hacore|hactl|hbcompat|halab|plugins)/[\w/.]*)`", text):
        assert (REPO / path).exists(), f"docs/architecture.md names {path}, which does not exist"
    sources = "\n".join(p.read_text() for p in (REPO / "hacore").rglob("*.py"))
    for owner, method in re.findall(r"`(\w+)\.(\w+)`", text):
        if owner[0].isupper():
            assert f"class {owner}" in sources, f"docs/architecture.md: no class {owner}"
            assert f"def {method}" in sources, f"docs/architecture.md: no {owner}.{method}"
