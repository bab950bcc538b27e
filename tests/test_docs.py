"""The documentation names what the code accepts (a meta-test keeps both true)."""

from __future__ import annotations

from pathlib import Path

from hacore.config.hacf import EXTENSION_DIRECTIVES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_hacore_only_directive_is_in_the_operator_guide() -> None:
    guide = (DOCS / "operator-guide.md").read_text()
    missing = [name for name in EXTENSION_DIRECTIVES if f"`{name}" not in guide]
    assert not missing, f"undocumented ha.cf extensions: {missing}"


def test_readme_quickstart_has_the_two_commands_ci_runs() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    ci = (DOCS.parent / ".ci" / "run").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in ci and "HACORE_REQUIRE_NETNS=1" in ci
