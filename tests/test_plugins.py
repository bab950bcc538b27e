"""The plugin kernel: entry-point discovery, clashes, failures, and hook documentation."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hacore import hookspecs
from hacore.api import AuthMethod, ResourceAgent
from hacore.plugins import PluginError, load_plugins

REPO = Path(__file__).resolve().parent.parent


def _make_distribution(site: Path, dist: str, module: str, body: str) -> None:
    """A real (unpacked) distribution on sys.path: importlib.metadata finds its entry points."""
    (site / f"{module}.py").write_text(textwrap.dedent(body))
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[hacore]\n{module} = {module}\n")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("thirdparty")]:
            del sys.modules[name]


def test_builtin_plugins_load_through_the_entry_point_group() -> None:
    registry = load_plugins()
    dists = {info.name: info.distribution for info in registry.plugins}
    assert dists["ucast"] == "hacore"
    assert dists["sha1"] == "hacore"
    assert all(info.module.startswith("hacore_plugins.") for info in registry.plugins)


def test_third_party_plugin_is_discovered(site: Path) -> None:
    _make_distribution(
        site,
        "thirdparty-auth",
        "thirdparty_auth",
        """
        from hacore.api import AuthMethod, ResourceAgent
        from hacore.hookspecs import hookimpl

        @hookimpl
        def hacore_auth_methods():
            return [AuthMethod("rot0", key_required=False, digest=lambda k, d: "0")]
        """,
    )
    registry = load_plugins()
    assert "rot0" in registry.auth_methods
    owner = registry.owner_of(registry.auth_methods["rot0"])
    assert "thirdparty-auth" in owner


def test_clash_names_both_plugins(site: Path) -> None:
    _make_distribution(
        site,
        "thirdparty-clash",
        "thirdparty_clash",
        """
        from hacore.api import AuthMethod, ResourceAgent
        from hacore.hookspecs import hookimpl

        @hookimpl
        def hacore_auth_methods():
            return [AuthMethod("dup", key_required=False, digest=lambda k, d: "0")]
        """,
    )

    class Second:
        @hookspecs.hookimpl
        def hacore_auth_methods(self) -> list[AuthMethod]:
            return [AuthMethod("dup", key_required=False, digest=lambda k, d: "1")]

    with pytest.raises(PluginError) as err:
        load_plugins(extra=[Second()])
    message = str(err.value)
    assert "'dup'" in message
    assert "thirdparty-clash" in message and "Second" in message


def test_plugin_that_fails_to_import_is_named(site: Path) -> None:
    _make_distribution(
        site, "thirdparty-broken", "thirdparty_broken", "raise ImportError('boom')\n"
    )
    with pytest.raises(PluginError, match=r"thirdparty_broken.*thirdparty-broken.*boom"):
        load_plugins()


def test_misspelled_hook_is_an_error() -> None:
    class Typo:
        @hookspecs.hookimpl
        def hacore_transport_typez(self) -> list[object]:
            return []

    with pytest.raises(PluginError, match="hacore_transport_typez"):
        load_plugins(extra=[Typo()], autoload=False)


def test_autoload_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HACORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert load_plugins().plugins == []


def _hook_names() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("hacore_")]


def _documented_signature(name: str) -> str:
    """The hook's signature as docs/plugins.md must show it, read from hookspecs.py."""
    signature = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{name}({params}) -> {signature.return_annotation}"


def test_every_hook_is_documented_with_its_signature() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text().replace("\\|", "|")
    for name in _hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"{name} has no docstring"
        shown = _documented_signature(name)
        assert f"`{shown}`" in guide, f"docs/plugins.md does not show `{shown}`"


def test_every_resource_agent_method_is_in_the_plugin_guide() -> None:
    """Agent methods are a plugin surface too (``monitor`` is optional, as ``announce``)."""
    guide = (REPO / "docs" / "plugins.md").read_text()
    methods = [
        name
        for name, member in inspect.getmembers(ResourceAgent, inspect.iscoroutinefunction)
        if not name.startswith("_")
    ]
    assert methods == ["announce", "monitor", "start", "status", "stop"]
    for name in methods:
        assert (getattr(ResourceAgent, name).__doc__ or "").strip() or name in (
            "start",
            "stop",
        ), f"ResourceAgent.{name} has no docstring"
        assert f"`{name}()`" in guide, f"ResourceAgent.{name} is missing from docs/plugins.md"


def test_every_hook_has_a_test_named_after_it() -> None:
    """A hook nobody tests is a hook nobody knows works (datasette's meta-test): each hook
    has a ``test_hook_<name>`` somewhere under tests/."""
    tests: set[str] = set()
    for path in (REPO / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                tests.add(node.name)
    missing = [name for name in _hook_names() if f"test_hook_{name}" not in tests]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


def test_list_plugins_names_distributions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hacore.daemon", "--list-plugins"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "ucast" in out and "hacore 0.1.0" in out


def test_pyroute2_is_loaded_with_the_first_ip_resource_not_with_the_plugins() -> None:
    """About 10 MB of every node's memory: a membership-only node (the 32-node clusters)
    never needs it, and a node with a VIP loads it when its resources are built at start."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from hacore.api import ResourceRequest
        from hacore.plugins import load_plugins
        registry = load_plugins()
        print("pyroute2" in sys.modules)
        ipaddr = registry.resource_types["IPaddr"]
        spec = "IPaddr::10.0.0.60/24/eth0"
        ipaddr.create(ResourceRequest(spec, "IPaddr", ("10.0.0.60/24/eth0",), Path("/etc/ha.d")))
        print("pyroute2" in sys.modules)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"]
