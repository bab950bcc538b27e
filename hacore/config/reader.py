"""The ha.cf reader's state: applies one directive at a time, as Heartbeat's parser does.

It keeps what later lines and the final checks need: the ``udpport`` and ``baud`` in
effect (media lines take the values in effect when they are read), where each directive
was last set (so timing errors point at a line), and the problems found so far. The
directives themselves live in :mod:`hacore.config.directives`; media lines, ``ping`` and
``ping_group`` are handled here because they are lists of media, not settings.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping, Sequence

from hacore.api import ConfigError, MediumConfig, SourceLocation
from hacore.config import values
from hacore.config.directives import EXTENSION_LINES, NO_EFFECT, OPTIONS, RECORDED, WHOLE_LINE
from hacore.config.model import ConfigWarning, HaCf, PingNode
from hacore.plugins import PluginRegistry

# The media keywords of Heartbeat's ha.cf grammar (its HBcomm plugins). A line starting
# with one is a medium whether or not a hacore plugin provides it: with no plugin it is
# refused as unsupported rather than as an illegal directive.
HEARTBEAT_MEDIA = frozenset(
    {"ucast", "bcast", "mcast", "serial", "ucast6", "mcast6", "ping6", "hbaping", "tipc", "rds"}
)
_DELIMS = re.compile(r"[, \t\n\r\f]+")
_MULTI_VALUED = frozenset({"node", "env"})
MAXNODE = 100  # Heartbeat's node table: normal and ping nodes together
MAXMEDIA = 64  # Heartbeat's sysmedia[]: one per link a media line opens, ping nodes too


def default_udpport() -> int:
    """The ``ha-cluster`` entry of /etc/services if there is one, else 694 (IANA)."""
    try:
        return socket.getservbyname("ha-cluster", "udp")
    except OSError:
        return 694


class DirectiveReader:
    """Applies directives to an :class:`HaCf` and remembers what Heartbeat would."""

    def __init__(
        self, cf: HaCf, registry: PluginRegistry, shown: str, extensions: Mapping[str, str]
    ) -> None:
        self.cf = cf
        self.registry = registry
        self.shown = shown
        self.extension_names = extensions
        self.problems: list[ConfigError] = []
        self.set_at: dict[str, SourceLocation] = {}  # where each directive was last seen
        self.extensions: dict[str, str] = {}
        self.udpport = default_udpport()
        self.baud = 19200
        self.media_seen = False
        self.media_count = 0
        self._overflowed: set[str] = set()
        self.where = SourceLocation(cf.path, 0)

    def warn(self, message: str) -> None:
        self.cf.warnings.append(ConfigWarning(message, self.where))

    def room_for(self, kind: str, total: int, limit: int) -> bool:
        """False once ``total`` would pass Heartbeat's table size ``limit``; the first
        overflow is the problem reported, the entries after it are dropped quietly."""
        if total <= limit:
            return True
        if kind not in self._overflowed:
            self._overflowed.add(kind)
            self.problems.append(ConfigError(f"Too many {kind} specified (> {limit})", self.where))
        return False

    def add_node(self, name: str) -> None:
        if self.room_for("nodes", len(self.cf.nodes) + len(self.cf.ping_nodes) + 1, MAXNODE):
            self.cf.nodes.append(name)
            self.cf.node_table.append(name)

    def read(self, directive: str, rest: str, where: SourceLocation) -> None:
        self.where = where
        if directive == "udp":
            self.warn("directive 'udp' replaced by 'bcast'")
            directive = "bcast"
        if directive in OPTIONS:
            self._options(directive, rest)
        elif directive in WHOLE_LINE:
            WHOLE_LINE[directive](self, rest)
        elif directive in EXTENSION_LINES:
            EXTENSION_LINES[directive](self, rest)
        elif directive in self.extension_names:
            self._extension(directive, rest)
        else:
            self.medium(directive, rest)
        self.set_at[directive] = where
        if directive in NO_EFFECT:
            self.warn(f"Directive [{directive}] has no effect in hacore: {NO_EFFECT[directive]}")

    def _options(self, directive: str, rest: str) -> None:
        words = [word for word in _DELIMS.split(rest) if word]
        if not words:
            self.warn(f"Directive [{directive}] has no value: ignored")
        elif len(words) > 1 and directive not in _MULTI_VALUED:
            self.warn(f"Directive [{directive}] has several values; the last one counts")
        for word in words:
            try:
                OPTIONS[directive](self, word)
            except ConfigError as exc:
                self.problems.append(ConfigError(exc.message, self.where))
                continue
            if directive in RECORDED:
                self.cf.parameters[RECORDED[directive]] = word

    def _extension(self, directive: str, rest: str) -> None:
        words = [word for word in _DELIMS.split(rest) if word]
        if len(words) != 1:
            raise ConfigError(f"{directive} takes exactly one value, got [{rest}]")
        value = words[0]
        if directive in ("api_listen", "metrics_listen"):
            values.host_port(value, directive)
        elif directive == "log_format" and value not in ("text", "json"):
            raise ConfigError(f"log_format [{value}] must be text or json")
        elif directive in ("api_socket", "fifo", "sysrq_trigger") and not value.startswith("/"):
            raise ConfigError(f"{directive} [{value}] must be an absolute path")
        elif directive == "fence_delay":
            values.msec(value, "fence_delay")
        self.extensions[directive] = value

    def medium(self, keyword: str, rest: str) -> None:
        args = tuple(word for word in _DELIMS.split(rest) if word)
        if keyword == "ping":
            for address in args:
                self._add_ping(PingNode(address.lower(), (address,), False, self.where))
            return
        if keyword == "ping_group":
            if len(args) < 2:
                raise ConfigError("ping_group needs a group name and at least one address")
            self._add_ping(PingNode(args[0].lower(), args[1:], True, self.where))
            return
        transport = self.registry.transports.get(keyword)
        if transport is None:
            if keyword in HEARTBEAT_MEDIA:
                raise ConfigError(
                    f"Medium [{keyword}] is not supported by hacore: no installed transport "
                    "plugin provides it (hacored --list-plugins)"
                )
            raise ConfigError(f"Illegal directive [{keyword}] in {self.shown}")
        if not args:
            raise ConfigError(f"Medium [{keyword}] needs arguments (e.g. an interface)")
        medium = MediumConfig(keyword, args, self.udpport, self.baud, self.where)
        self.media_seen = True
        links = _check_medium(self, transport.build, medium)
        if self.room_for("media", self.media_count + links, MAXMEDIA):
            self.media_count += links
            self.cf.media.append(medium)

    def _add_ping(self, node: PingNode) -> None:
        if node.group:
            values.node_name(node.name, "Ping group name")
        for address in node.addresses:
            if ":" in address:
                raise ConfigError(f"[{address}] is IPv6: ping6 is not supported by hacore")
            if not (values.is_ip(address) or values.is_hostname(address)):
                raise ConfigError(f"[{address}] is not an IPv4 address or a host name")
        if any(known.name == node.name for known in self.cf.ping_nodes):
            self.warn(f"Ping node [{node.name}] is listed twice: the duplicate is ignored")
            return
        keyword = "ping_group" if node.group else "ping"
        transport = self.registry.transports.get(keyword)
        if transport is not None:  # the ping plugin decides what it can reach (no host names)
            args = (node.name, *node.addresses) if node.group else node.addresses
            medium = MediumConfig(keyword, args, self.udpport, self.baud, self.where)
            _check_medium(self, transport.build, medium)
        nodes = len(self.cf.nodes) + len(self.cf.ping_nodes) + 1
        if self.room_for("nodes", nodes, MAXNODE) and self.room_for(
            "media", self.media_count + 1, MAXMEDIA
        ):
            self.media_count += 1
            self.cf.ping_nodes.append(node)
            self.cf.node_table.append(node.name)


def _check_medium(
    reader: DirectiveReader,
    build: Callable[[MediumConfig], Sequence[object]],
    medium: MediumConfig,
) -> int:
    """Let the transport check the line; the number of links it opens."""
    try:
        return len(build(medium))
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.location or medium.location) from None
    except Exception as exc:
        owner = reader.registry.owner_of(reader.registry.transports[medium.keyword])
        raise ConfigError(
            f"{owner} failed to check this {medium.keyword} line: {type(exc).__name__}: {exc}"
        ) from None
