"""The one distribution ships every package, built-in plugins under a name that cannot
collide with another project's top-level ``plugins``."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    return set(project["tool"]["setuptools"]["packages"])


def _on_disk(root: str, as_name: str) -> set[str]:
    base = REPO / root
    return {
        ".".join([as_name, *init.parent.relative_to(base).parts])
        for init in base.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_every_package_directory_is_in_the_distribution() -> None:
    expected = (
        _on_disk("hacore", "hacore") | _on_disk("hactl", "hactl") | _on_disk("halab", "halab")
    )
    expected |= _on_disk("plugins", "hacore_plugins")
    assert expected <= _declared(), f"missing from pyproject: {sorted(expected - _declared())}"


def test_builtin_plugins_never_ship_as_a_top_level_plugins_package() -> None:
    assert not any(name == "plugins" or name.startswith("plugins.") for name in _declared())
