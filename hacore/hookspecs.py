"""Every hook a hacore plugin can implement. This file is the plugin author's reference.

A plugin is a module (or object) registered under the entry-point group ``hacore``::

    [project.entry-points.hacore]
    mytransport = "my_package.mytransport"

and it implements hooks with the ``hookimpl`` marker::

    from hacore.hookspecs import hookimpl
    from hacore.api import TransportType

    @hookimpl
    def hacore_transport_types():
        return [TransportType(keyword="tcp", build=build_tcp)]

The built-in transports, auth methods and resource agents are loaded exactly this way.
Two plugins that provide the same name (a medium keyword, an auth method, a resource
type, a helper) are an error naming both, never a silent override.

Set ``HACORE_TRACE_PLUGINS=1`` to log every hook call with its arguments and results.

Registration hooks (``*_types``, ``hacore_auth_methods``) are called once, when the
plugins are loaded at start-up; a reload re-reads the configuration with the plugins
already loaded. ``hacore_resolve_resource`` and ``hacore_fence_device`` are called
whenever the configuration is read.
Observer hooks (``hacore_on_*``) are called from the daemon's event loop: they must return
quickly and never block; an exception in an observer is logged and does not stop the
daemon. Implementations run in pluggy's order (``tryfirst``/``trylast`` honoured); hook
wrappers are refused at load, because the core calls each implementation on its own.
Types used here live in :mod:`hacore.api`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from hacore.api import (
    AuthMethod,
    Cluster,
    ClusterMessage,
    FenceDevice,
    FenceRequest,
    GroupChanged,
    HelperType,
    LinkStatusChanged,
    NodeStatusChanged,
    ResourceAgent,
    ResourceRequest,
    ResourceType,
    TransportType,
)

PROJECT_NAME = "hacore"
ENTRY_POINT_GROUP = "hacore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---- registration -------------------------------------------------------------------


@hookspec
def hacore_transport_types() -> Sequence[TransportType]:
    """Return the heartbeat media this plugin provides, one per ha.cf keyword.

    ``TransportType.keyword`` is the ha.cf directive (``ucast``, ``bcast``, ``mcast``,
    ``serial``...). Its ``build`` turns one media line into transports and raises
    ``ConfigError`` for bad arguments; it must not open anything (``--check`` calls it).
    """


@hookspec
def hacore_auth_methods() -> Sequence[AuthMethod]:
    """Return the authkeys methods this plugin provides (``crc``, ``sha1``, ``md5``...).

    ``AuthMethod.digest(key, data)`` must be a pure function: it is called on the
    heartbeat hot path for every packet sent and received.
    """


@hookspec
def hacore_resource_types() -> Sequence[ResourceType]:
    """Return the resource names this plugin manages by name (``IPaddr``, ``IPaddr2``).

    A haresources token ``Name::a::b`` whose ``Name`` matches is handled by this type;
    names no type claims fall through to :func:`hacore_resolve_resource`. The agents it
    creates may override :meth:`hacore.api.ResourceAgent.monitor`, the health check run
    for ha.cf ``monitor`` lines (default: ``status``); it is cancelled at the monitor's
    timeout, so a check running a program must kill it then.
    """


@hookspec(firstresult=True)
def hacore_resolve_resource(request: ResourceRequest) -> ResourceAgent | None:
    """Build an agent for a resource no registered type claims, or return None.

    This is how scripts are found the way Heartbeat finds them: a script in
    ``<config dir>/resource.d/`` first, then an LSB init script in
    ``request.init_dir``. The first non-None result wins.
    """


@hookspec(firstresult=True)
def hacore_fence_device(request: FenceRequest) -> FenceDevice | None:
    """Build the STONITH device for ha.cf's ``stonith``/``stonith_host`` line, or None.

    ``request.type`` is the line's TYPE word: a cluster-glue type (``external/ipmi``,
    ``null``...), a fence agent (``fence_ipmilan``...), or a plugin's own name. A plugin
    that does not know the type returns None; one that knows it but finds the
    parameters wrong raises ``ConfigError``. It must not contact the device
    (``hacored --check`` calls it too). The first non-None result wins.
    """


@hookspec
def hacore_helper_types() -> Sequence[HelperType]:
    """Return in-process helpers that ``respawn`` lines may name (e.g. ``ipfail``)."""


# ---- observers ----------------------------------------------------------------------


@hookspec
def hacore_on_start(cluster: Cluster) -> None:
    """The daemon has joined the cluster (communication is up); ``cluster`` stays valid
    until :func:`hacore_on_stop`."""


@hookspec
def hacore_on_stop(cluster: Cluster) -> None:
    """The daemon is shutting down; resources have been given up already."""


@hookspec
def hacore_on_node_status(event: NodeStatusChanged) -> None:
    """A node changed status (``init``/``up``/``active``/``dead``/``ping``)."""


@hookspec
def hacore_on_link_status(event: LinkStatusChanged) -> None:
    """One link of one node went ``up`` or ``dead``."""


@hookspec
def hacore_on_group_change(event: GroupChanged) -> None:
    """A resource group changed holder or state on this node's view."""


@hookspec
def hacore_on_message(message: ClusterMessage) -> None:
    """A message of a type the core does not handle itself arrived (as Heartbeat hands
    unknown types to its API clients). Helpers such as ipfail talk through these."""
