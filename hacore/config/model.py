"""The validated configuration of one node: ha.cf + haresources + authkeys.

Parsers in this package build these objects; the rest of the core reads only them.
All times are integer milliseconds, as Heartbeat keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hacore.api import AuthMethod, ConfigError, MediumConfig, SourceLocation

if TYPE_CHECKING:
    from hacore.config.monitor import Monitor, MonitorLine

AutoFailback = Literal["on", "off", "legacy"]

NOT_STARTED = "Configuration error, heartbeat not started."
"""Heartbeat's last line for every configuration failure (exit code 6)."""

MAX_PROBLEMS_SHOWN = 20
"""Problems printed per report; the rest are counted (``… and N more``)."""
MAX_WARNINGS_SHOWN = 50
"""Warnings kept per configuration; the rest are counted (``… and N more warnings``)."""
MAX_PROBLEM_CHARS = 500
"""A problem's text is cut here: a message may quote a line of up to 5118 characters."""


class ConfigErrors(ConfigError):
    """Every problem one pass over the configuration found, not just the first.

    Heartbeat keeps parsing after an error and logs them all, then a closing line or two
    (``Authentication configuration error.``, then :data:`NOT_STARTED`); ``lines()``
    gives that same report, so ``hacored --check`` reads like ``heartbeat`` did.
    The first problem is also this exception's ``message``/``location``.
    """

    def __init__(
        self,
        problems: Sequence[ConfigError],
        closing: Sequence[str] = (),
        info: Sequence[str] = (),
    ) -> None:
        if not problems:
            raise ValueError("ConfigErrors needs at least one problem")
        super().__init__(problems[0].message, problems[0].location)
        self.problems = tuple(problems)
        self.info = tuple(info)
        self.closing = tuple(closing)

    def shown_problems(self) -> list[str]:
        """The problems as printed: at most :data:`MAX_PROBLEMS_SHOWN`, each cut to
        :data:`MAX_PROBLEM_CHARS`, then how many more there are."""
        shown = [_clip(str(problem)) for problem in self.problems[:MAX_PROBLEMS_SHOWN]]
        hidden = len(self.problems) - len(shown)
        if hidden:
            shown.append(f"… and {hidden} more")
        return shown

    def lines(self) -> list[str]:
        """The report as Heartbeat-style ``LEVEL: text`` lines, in log order."""
        return (
            [f"ERROR: {problem}" for problem in self.shown_problems()]
            + [f"info: {text}" for text in self.info]
            + [f"ERROR: {text}" for text in (*self.closing, NOT_STARTED)]
        )

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _clip(text: str) -> str:
    if len(text) <= MAX_PROBLEM_CHARS:
        return text
    return f"{text[:MAX_PROBLEM_CHARS]}… ({len(text) - MAX_PROBLEM_CHARS} more characters)"


@dataclass(frozen=True)
class ConfigWarning:
    """Something accepted that the operator should know about (no effect, deprecated...)."""

    message: str
    location: SourceLocation | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def cap_warnings(warnings: list[ConfigWarning]) -> None:
    """Keep the first :data:`MAX_WARNINGS_SHOWN` warnings and count the others, so a
    file repeating one harmless line thousands of times cannot flood the log."""
    hidden = len(warnings) - MAX_WARNINGS_SHOWN
    if hidden > 0:
        del warnings[MAX_WARNINGS_SHOWN:]
        warnings.append(ConfigWarning(f"… and {hidden} more warnings"))


@dataclass(frozen=True)
class PingNode:
    """``ping 10.0.0.2`` (name = the address) or ``ping_group NAME addr...``."""

    name: str
    addresses: tuple[str, ...]
    group: bool
    location: SourceLocation | None = None


@dataclass(frozen=True)
class Respawn:
    """``respawn USER /abs/command args`` (``failfast`` sets ``failfast``)."""

    user: str
    command: str
    failfast: bool = False
    location: SourceLocation | None = None


@dataclass(frozen=True)
class StonithLine:
    """``stonith TYPE FILE`` (``source`` None) or ``stonith_host FROM TYPE PARAMS…``.

    ``source`` is the node allowed to use the device (lowercased) or ``*`` for any.
    """

    type: str
    params: str = ""
    file: Path | None = None
    source: str | None = None
    location: SourceLocation | None = None

    def applies_to(self, node: str) -> bool:
        return self.source in (None, "*", node)


@dataclass(frozen=True)
class ApiAuth:
    """``apiauth CLIENT uid=a,b gid=c``: who may use the API as CLIENT."""

    client: str
    uids: tuple[str, ...] = ()
    gids: tuple[str, ...] = ()
    location: SourceLocation | None = None


@dataclass(frozen=True)
class Extensions:
    """hacore-only ha.cf directives (documented in docs/operator-guide.md)."""

    api_socket: Path | None = None  # api_socket PATH (default <run dir>/api.sock)
    api_listen: str | None = None  # api_listen ADDR:PORT (TCP, TLS only)
    api_tls_cert: Path | None = None
    api_tls_key: Path | None = None
    api_tls_ca: Path | None = None
    metrics_listen: str | None = None  # metrics_listen ADDR:PORT
    metrics_tls_cert: Path | None = None  # HTTPS instead of HTTP (with metrics_tls_key)
    metrics_tls_key: Path | None = None
    metrics_tls_ca: Path | None = None  # clients must present a certificate it signed
    log_format: Literal["text", "json"] = "text"
    # fence_delay TIME: how long a node that holds fewer groups than its dead peer waits
    # before fencing it (None: DEFAULT_FENCE_DELAY_MS when a STONITH device is set).
    fence_delay_ms: int | None = None
    tiebreaker: str | None = None  # tiebreaker PINGNODE (off by default)
    fifo: Path = Path("/var/lib/heartbeat/fifo")  # fifo PATH: Heartbeat's script FIFO
    sysrq_trigger: Path | None = None  # sysrq_trigger PATH: a self-fence's last resort


@dataclass
class HaCf:
    """ha.cf, with Heartbeat's defaults applied."""

    path: Path
    nodes: list[str] = field(default_factory=list)
    media: list[MediumConfig] = field(default_factory=list)
    ping_nodes: list[PingNode] = field(default_factory=list)
    # Normal and ping node names in ha.cf order: Heartbeat's node table (cl_status).
    node_table: list[str] = field(default_factory=list)
    keepalive_ms: int = 1000
    deadtime_ms: int = 30000
    warntime_ms: int = 15000
    initdead_ms: int = 30000
    deadping_ms: int = 30000
    udpport: int = 694
    baud: int = 19200
    hopfudge: int = 1
    auto_failback: AutoFailback = "legacy"
    msgfmt: Literal["classic", "netstring"] = "classic"
    hbgenmethod: Literal["file", "time"] = "file"
    uuidfrom: Literal["file", "nodename"] = "file"
    autojoin: Literal["none", "other", "any"] = "none"
    max_rexmit_delay_ms: int = 250
    # log_badpack (Heartbeat's cl_msg_quiet_fmterr, inverted): log packets that cannot
    # be parsed. Off: such packets are still dropped and counted, but not logged.
    log_badpack: bool = True
    debug: int = 0
    logfile: Path | None = None
    debugfile: Path | None = None
    logfacility: str | None = None  # None = unset; "none" = syslog off
    use_logd: bool | None = None
    respawn: list[Respawn] = field(default_factory=list)
    stonith: list[StonithLine] = field(default_factory=list)  # every line, in file order
    watchdog: Path | None = None
    realtime: bool = True  # Heartbeat's default
    rtprio: int | None = None  # None: the lowest realtime priority, as cl_make_realtime
    apiauth: dict[str, ApiAuth] = field(default_factory=dict)
    # env NAME=VAL: resource scripts and respawn clients see HA_NAME=VAL
    env: dict[str, str] = field(default_factory=dict)
    # The metrics' cluster label: the `cluster` directive if written, else the sorted
    # node names joined by "," (Heartbeat's default "linux-ha" would name every cluster alike).
    cluster: str = ""
    # Every directive as written (name -> text after the name, last occurrence wins).
    raw: dict[str, str] = field(default_factory=dict)
    # Heartbeat's parameter table exactly as `cl_status hbparameter -p NAME` prints it:
    # the last value written for each recorded directive, else the `heartbeat -D`
    # default or the computed one (warntime/initdead/deadping as "<n>ms", udpport...).
    parameters: dict[str, str] = field(default_factory=dict)
    extensions: Extensions = field(default_factory=Extensions)
    warnings: list[ConfigWarning] = field(default_factory=list)
    monitors: list[MonitorLine] = field(default_factory=list)  # hacore's `monitor` lines


@dataclass(frozen=True)
class ResourceSpec:
    """One resource token of a haresources line, split as ResourceManager does."""

    spec: str  # as written, after the IPaddr shorthand was expanded: "IPaddr::10.0.0.60"
    name: str  # "IPaddr"
    args: tuple[str, ...]  # ("10.0.0.60",)
    written: str = ""  # the token exactly as in haresources ("10.0.0.60"); "" = same as spec

    @property
    def token(self) -> str:
        """The resource as written: what Heartbeat uses as a group key on the wire."""
        return self.written or self.spec


@dataclass(frozen=True)
class ResourceGroup:
    """One haresources line: preferred node + resources, started left to right.

    ``key`` is the first resource token as written (Heartbeat's group key).
    """

    node: str
    resources: tuple[ResourceSpec, ...]
    location: SourceLocation | None = None

    @property
    def key(self) -> str:
        return self.resources[0].token


@dataclass(frozen=True)
class AuthKey:
    index: int
    method: AuthMethod
    key: bytes | None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class AuthKeys:
    """authkeys: the active entry signs; any listed entry may verify (by index)."""

    active: int
    keys: dict[int, AuthKey]

    @property
    def signer(self) -> AuthKey:
        return self.keys[self.active]


@dataclass
class ClusterConfig:
    directory: Path
    hacf: HaCf
    groups: list[ResourceGroup]
    authkeys: AuthKeys
    local_node: str
    monitors: list[Monitor] = field(default_factory=list)  # resolved `monitor` lines

    @property
    def warnings(self) -> list[ConfigWarning]:
        return self.hacf.warnings

    @property
    def stonith(self) -> StonithLine | None:
        """The device this node fences with: Heartbeat keeps one, the last line that
        applies to it (``stonith``, or ``stonith_host`` naming it or ``*``)."""
        lines = [line for line in self.hacf.stonith if line.applies_to(self.local_node)]
        return lines[-1] if lines else None
