"""The plugin kernel: load every plugin of the ``hacore`` entry-point group and index
what they provide.

Built-in plugins are ordinary entry points of the ``hacore`` distribution, so the
third-party path is exercised on every start. Load order is deterministic (by
distribution, then entry-point name) and ``check_pending`` turns a misspelled hook
implementation into an error instead of silence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar

import pluggy
import structlog

from hacore import hookspecs
from hacore.api import AuthMethod, HacoreError, HelperType, ResourceType, TransportType

log = structlog.get_logger("hacore.plugins")

DISABLE_AUTOLOAD_ENV = "HACORE_DISABLE_PLUGIN_AUTOLOAD"
TRACE_ENV = "HACORE_TRACE_PLUGINS"


class PluginError(HacoreError):
    """A plugin failed to load or clashes with another one."""


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin and where it came from (shown by ``hacored --list-plugins``)."""

    name: str
    module: str
    distribution: str
    version: str


T = TypeVar("T")


@dataclass
class PluginRegistry:
    """Everything the loaded plugins provide, indexed by name."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    transports: dict[str, TransportType] = field(default_factory=dict)
    auth_methods: dict[str, AuthMethod] = field(default_factory=dict)
    resource_types: dict[str, ResourceType] = field(default_factory=dict)
    helper_types: dict[str, HelperType] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def owner_of(self, provided: object) -> str:
        """Name the plugin (and distribution) that returned ``provided``."""
        return self._owners.get(id(provided), "<unknown plugin>")

    def __post_init__(self) -> None:
        self._owners: dict[int, str] = {}

    def describe(self, plugin: object) -> str:
        name = self.manager.get_name(plugin) or repr(plugin)
        for info in self.plugins:
            if info.name == name:
                return f"{info.module} (from {info.distribution} {info.version})"
        return name


def tracing() -> bool:
    return bool(os.environ.get(TRACE_ENV))


def trace_call(hook_name: str, plugin: str, kwargs: object, result: object) -> None:
    """Trace a hook the core calls plugin by plugin (so that one plugin's failure or
    clash can be named); pluggy's own tracing covers calls through ``registry.hook``."""
    if tracing():
        sys.stderr.write(f"[plugin-trace] {hook_name}({kwargs}) -> {plugin}: {result!r}\n")


def _entry_point_distribution(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return ("<unknown>", "")
    return (dist.name, dist.version)


def load_plugins(extra: Iterable[object] = (), autoload: bool | None = None) -> PluginRegistry:
    """Load the entry-point plugins (unless disabled), then ``extra`` ones, and index them.

    ``extra`` is for tests and embedding: objects registered like any other plugin.
    Raises :class:`PluginError` naming the plugin(s) at fault.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    if tracing():
        manager.trace.root.setwriter(lambda text: sys.stderr.write(f"[plugin-trace] {text}"))
        manager.enable_tracing()
    registry = PluginRegistry(manager=manager)
    if autoload is None:
        autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
    if autoload:
        eps = sorted(
            entry_points(group=hookspecs.ENTRY_POINT_GROUP),
            key=lambda ep: (_entry_point_distribution(ep)[0] != "hacore", ep.name),
        )
        for ep in eps:
            dist, version = _entry_point_distribution(ep)
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) from distribution {dist} {version} "
                    f"failed to import: {type(exc).__name__}: {exc}"
                ) from exc
            if manager.is_registered(plugin):
                continue
            manager.register(plugin, name=ep.name)
            registry.plugins.append(PluginInfo(ep.name, ep.value, dist, version))
    for plugin in extra:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        manager.register(plugin, name=name)
        registry.plugins.append(PluginInfo(name, name, "<registered in-process>", ""))
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
    _refuse_wrappers(registry)
    _index(registry)
    return registry


def in_call_order(registry: PluginRegistry, hook_name: str) -> list[Any]:
    """A hook's implementations in the order pluggy itself would call them (``tryfirst``
    first, ``trylast`` last, otherwise the last registered first)."""
    return list(reversed(getattr(registry.manager.hook, hook_name).get_hookimpls()))


def _refuse_wrappers(registry: PluginRegistry) -> None:
    """The core calls each implementation itself, so that one plugin's exception or
    clash is named and cannot stop another's; a wrapper around the others would never
    run. Refusing it at load is better than ignoring it."""
    for name in dir(hookspecs):
        if not name.startswith("hacore_"):
            continue
        for impl in getattr(registry.manager.hook, name).get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                raise PluginError(
                    f"{registry.describe(impl.plugin)}: {name} is a hook wrapper; hacore "
                    "calls each implementation on its own and does not run wrappers (order "
                    "implementations with tryfirst/trylast instead)"
                )


def call_observers(registry: PluginRegistry, hook_name: str, **kwargs: object) -> None:
    """Call an observer hook plugin by plugin, in pluggy's order. Observers must never
    take the daemon down: a failure is logged and the next observer still runs."""
    for impl in in_call_order(registry, hook_name):
        try:
            result = impl.function(**{k: kwargs[k] for k in impl.argnames})
            trace_call(hook_name, impl.plugin_name, kwargs, result)
        except Exception as exc:
            log.error("observer_failed", hook=hook_name, plugin=impl.plugin_name, error=repr(exc))


def _collect(
    registry: PluginRegistry,
    hook_name: str,
    key: Callable[[T], str],
    kind: str,
) -> dict[str, T]:
    """Call a registration hook on every plugin separately so a clash names both."""
    found: dict[str, T] = {}
    owners: dict[str, str] = {}
    for impl in in_call_order(registry, hook_name):
        owner = registry.describe(impl.plugin)
        try:
            provided: Sequence[T] = impl.function() or ()
        except Exception as exc:
            raise PluginError(f"{owner}: {hook_name}() failed: {exc}") from exc
        trace_call(hook_name, owner, {}, provided)
        for item in provided:
            name = key(item)
            if name in found:
                raise PluginError(
                    f"{kind} {name!r} is provided by two plugins: {owners[name]} and {owner}"
                )
            found[name] = item
            owners[name] = owner
            registry._owners[id(item)] = owner
    return found


def _index(registry: PluginRegistry) -> None:
    registry.transports = _collect(
        registry, "hacore_transport_types", lambda t: t.keyword, "transport"
    )
    registry.auth_methods = _collect(
        registry, "hacore_auth_methods", lambda a: a.name, "auth method"
    )
    registry.resource_types = _collect(
        registry, "hacore_resource_types", lambda r: r.name, "resource type"
    )
    registry.helper_types = _collect(registry, "hacore_helper_types", lambda h: h.name, "helper")
