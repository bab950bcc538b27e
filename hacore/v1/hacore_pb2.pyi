import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_STATUS_UNSPECIFIED: _ClassVar[NodeStatus]
    NODE_STATUS_INIT: _ClassVar[NodeStatus]
    NODE_STATUS_UP: _ClassVar[NodeStatus]
    NODE_STATUS_ACTIVE: _ClassVar[NodeStatus]
    NODE_STATUS_DEAD: _ClassVar[NodeStatus]
    NODE_STATUS_PING: _ClassVar[NodeStatus]

class LinkStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINK_STATUS_UNSPECIFIED: _ClassVar[LinkStatus]
    LINK_STATUS_UP: _ClassVar[LinkStatus]
    LINK_STATUS_DEAD: _ClassVar[LinkStatus]

class NodeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_TYPE_UNSPECIFIED: _ClassVar[NodeType]
    NODE_TYPE_NORMAL: _ClassVar[NodeType]
    NODE_TYPE_PING: _ClassVar[NodeType]

class GroupState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_STATE_UNSPECIFIED: _ClassVar[GroupState]
    GROUP_STATE_STOPPED: _ClassVar[GroupState]
    GROUP_STATE_STARTING: _ClassVar[GroupState]
    GROUP_STATE_RUNNING: _ClassVar[GroupState]
    GROUP_STATE_STOPPING: _ClassVar[GroupState]
    GROUP_STATE_FAILED: _ClassVar[GroupState]

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_ALL: _ClassVar[Scope]
    SCOPE_LOCAL: _ClassVar[Scope]
    SCOPE_FOREIGN: _ClassVar[Scope]

class MonitorOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MONITOR_OUTCOME_UNSPECIFIED: _ClassVar[MonitorOutcome]
    MONITOR_OUTCOME_FAILED: _ClassVar[MonitorOutcome]
    MONITOR_OUTCOME_RESTARTED: _ClassVar[MonitorOutcome]
    MONITOR_OUTCOME_RESTART_FAILED: _ClassVar[MonitorOutcome]
    MONITOR_OUTCOME_GIVING_UP: _ClassVar[MonitorOutcome]
    MONITOR_OUTCOME_CLEANED_UP: _ClassVar[MonitorOutcome]
NODE_STATUS_UNSPECIFIED: NodeStatus
NODE_STATUS_INIT: NodeStatus
NODE_STATUS_UP: NodeStatus
NODE_STATUS_ACTIVE: NodeStatus
NODE_STATUS_DEAD: NodeStatus
NODE_STATUS_PING: NodeStatus
LINK_STATUS_UNSPECIFIED: LinkStatus
LINK_STATUS_UP: LinkStatus
LINK_STATUS_DEAD: LinkStatus
NODE_TYPE_UNSPECIFIED: NodeType
NODE_TYPE_NORMAL: NodeType
NODE_TYPE_PING: NodeType
GROUP_STATE_UNSPECIFIED: GroupState
GROUP_STATE_STOPPED: GroupState
GROUP_STATE_STARTING: GroupState
GROUP_STATE_RUNNING: GroupState
GROUP_STATE_STOPPING: GroupState
GROUP_STATE_FAILED: GroupState
SCOPE_UNSPECIFIED: Scope
SCOPE_ALL: Scope
SCOPE_LOCAL: Scope
SCOPE_FOREIGN: Scope
MONITOR_OUTCOME_UNSPECIFIED: MonitorOutcome
MONITOR_OUTCOME_FAILED: MonitorOutcome
MONITOR_OUTCOME_RESTARTED: MonitorOutcome
MONITOR_OUTCOME_RESTART_FAILED: MonitorOutcome
MONITOR_OUTCOME_GIVING_UP: MonitorOutcome
MONITOR_OUTCOME_CLEANED_UP: MonitorOutcome

class Link(_message.Message):
    __slots__ = ("name", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: LinkStatus
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[LinkStatus, str]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("name", "status", "type", "links", "generation", "last_heard_ago_seconds", "since", "local", "config_index")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARD_AGO_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    CONFIG_INDEX_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: NodeStatus
    type: NodeType
    links: _containers.RepeatedCompositeFieldContainer[Link]
    generation: int
    last_heard_ago_seconds: float
    since: _timestamp_pb2.Timestamp
    local: bool
    config_index: int
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[NodeStatus, str]] = ..., type: _Optional[_Union[NodeType, str]] = ..., links: _Optional[_Iterable[_Union[Link, _Mapping]]] = ..., generation: _Optional[int] = ..., last_heard_ago_seconds: _Optional[float] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., local: _Optional[bool] = ..., config_index: _Optional[int] = ...) -> None: ...

class ResourceMonitor(_message.Message):
    __slots__ = ("resource", "interval_seconds", "timeout_seconds", "restarts_allowed", "window_seconds", "active", "checks", "failures", "restarts", "restarts_in_window", "fail_count", "last_result", "last_check", "last_duration_seconds", "last_failure", "last_failure_time")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_IN_WINDOW_FIELD_NUMBER: _ClassVar[int]
    FAIL_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_RESULT_FIELD_NUMBER: _ClassVar[int]
    LAST_CHECK_FIELD_NUMBER: _ClassVar[int]
    LAST_DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILURE_TIME_FIELD_NUMBER: _ClassVar[int]
    resource: str
    interval_seconds: float
    timeout_seconds: float
    restarts_allowed: int
    window_seconds: float
    active: bool
    checks: int
    failures: int
    restarts: int
    restarts_in_window: int
    fail_count: int
    last_result: str
    last_check: _timestamp_pb2.Timestamp
    last_duration_seconds: float
    last_failure: str
    last_failure_time: _timestamp_pb2.Timestamp
    def __init__(self, resource: _Optional[str] = ..., interval_seconds: _Optional[float] = ..., timeout_seconds: _Optional[float] = ..., restarts_allowed: _Optional[int] = ..., window_seconds: _Optional[float] = ..., active: _Optional[bool] = ..., checks: _Optional[int] = ..., failures: _Optional[int] = ..., restarts: _Optional[int] = ..., restarts_in_window: _Optional[int] = ..., fail_count: _Optional[int] = ..., last_result: _Optional[str] = ..., last_check: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_duration_seconds: _Optional[float] = ..., last_failure: _Optional[str] = ..., last_failure_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResourceGroup(_message.Message):
    __slots__ = ("key", "resources", "preferred", "holder", "state", "since", "monitors", "failed_on")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    MONITORS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ON_FIELD_NUMBER: _ClassVar[int]
    key: str
    resources: _containers.RepeatedScalarFieldContainer[str]
    preferred: str
    holder: str
    state: GroupState
    since: _timestamp_pb2.Timestamp
    monitors: _containers.RepeatedCompositeFieldContainer[ResourceMonitor]
    failed_on: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., resources: _Optional[_Iterable[str]] = ..., preferred: _Optional[str] = ..., holder: _Optional[str] = ..., state: _Optional[_Union[GroupState, str]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., monitors: _Optional[_Iterable[_Union[ResourceMonitor, _Mapping]]] = ..., failed_on: _Optional[_Iterable[str]] = ...) -> None: ...

class ClusterStatus(_message.Message):
    __slots__ = ("local_node", "nodes", "groups", "generation", "auto_failback", "keepalive_ms", "deadtime_ms", "config_dir", "version", "time", "fencing", "rsc_status", "parameters")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LOCAL_NODE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    AUTO_FAILBACK_FIELD_NUMBER: _ClassVar[int]
    KEEPALIVE_MS_FIELD_NUMBER: _ClassVar[int]
    DEADTIME_MS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_DIR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    FENCING_FIELD_NUMBER: _ClassVar[int]
    RSC_STATUS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    local_node: str
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    groups: _containers.RepeatedCompositeFieldContainer[ResourceGroup]
    generation: int
    auto_failback: str
    keepalive_ms: int
    deadtime_ms: int
    config_dir: str
    version: str
    time: _timestamp_pb2.Timestamp
    fencing: Fencing
    rsc_status: str
    parameters: _containers.ScalarMap[str, str]
    def __init__(self, local_node: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[ResourceGroup, _Mapping]]] = ..., generation: _Optional[int] = ..., auto_failback: _Optional[str] = ..., keepalive_ms: _Optional[int] = ..., deadtime_ms: _Optional[int] = ..., config_dir: _Optional[str] = ..., version: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fencing: _Optional[_Union[Fencing, _Mapping]] = ..., rsc_status: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ...) -> None: ...

class FenceTarget(_message.Message):
    __slots__ = ("node", "state", "attempts", "failures", "last_result", "last_error", "since", "next_attempt")
    NODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_RESULT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    node: str
    state: str
    attempts: int
    failures: int
    last_result: str
    last_error: str
    since: _timestamp_pb2.Timestamp
    next_attempt: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., state: _Optional[str] = ..., attempts: _Optional[int] = ..., failures: _Optional[int] = ..., last_result: _Optional[str] = ..., last_error: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Fencing(_message.Message):
    __slots__ = ("device", "delay_seconds", "targets", "tiebreaker", "tiebreaker_reachable", "watchdog", "watchdog_open", "watchdog_feeds", "realtime", "isolated", "isolated_since")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    TIEBREAKER_FIELD_NUMBER: _ClassVar[int]
    TIEBREAKER_REACHABLE_FIELD_NUMBER: _ClassVar[int]
    WATCHDOG_FIELD_NUMBER: _ClassVar[int]
    WATCHDOG_OPEN_FIELD_NUMBER: _ClassVar[int]
    WATCHDOG_FEEDS_FIELD_NUMBER: _ClassVar[int]
    REALTIME_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    device: str
    delay_seconds: float
    targets: _containers.RepeatedCompositeFieldContainer[FenceTarget]
    tiebreaker: str
    tiebreaker_reachable: bool
    watchdog: str
    watchdog_open: bool
    watchdog_feeds: int
    realtime: bool
    isolated: bool
    isolated_since: _timestamp_pb2.Timestamp
    def __init__(self, device: _Optional[str] = ..., delay_seconds: _Optional[float] = ..., targets: _Optional[_Iterable[_Union[FenceTarget, _Mapping]]] = ..., tiebreaker: _Optional[str] = ..., tiebreaker_reachable: _Optional[bool] = ..., watchdog: _Optional[str] = ..., watchdog_open: _Optional[bool] = ..., watchdog_feeds: _Optional[int] = ..., realtime: _Optional[bool] = ..., isolated: _Optional[bool] = ..., isolated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StandbyRequest(_message.Message):
    __slots__ = ("scope",)
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ...) -> None: ...

class TakeoverRequest(_message.Message):
    __slots__ = ("scope",)
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ...) -> None: ...

class MoveResponse(_message.Message):
    __slots__ = ("status", "elapsed_seconds")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    status: ClusterStatus
    elapsed_seconds: float
    def __init__(self, status: _Optional[_Union[ClusterStatus, _Mapping]] = ..., elapsed_seconds: _Optional[float] = ...) -> None: ...

class CleanupRequest(_message.Message):
    __slots__ = ("resource",)
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    resource: str
    def __init__(self, resource: _Optional[str] = ...) -> None: ...

class CleanedResource(_message.Message):
    __slots__ = ("group", "resource", "fail_count")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    FAIL_COUNT_FIELD_NUMBER: _ClassVar[int]
    group: str
    resource: str
    fail_count: int
    def __init__(self, group: _Optional[str] = ..., resource: _Optional[str] = ..., fail_count: _Optional[int] = ...) -> None: ...

class CleanupResponse(_message.Message):
    __slots__ = ("cleaned", "status")
    CLEANED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    cleaned: _containers.RepeatedCompositeFieldContainer[CleanedResource]
    status: ClusterStatus
    def __init__(self, cleaned: _Optional[_Iterable[_Union[CleanedResource, _Mapping]]] = ..., status: _Optional[_Union[ClusterStatus, _Mapping]] = ...) -> None: ...

class ReloadRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReloadResponse(_message.Message):
    __slots__ = ("warnings",)
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ClientStatusRequest(_message.Message):
    __slots__ = ("node", "client", "timeout_ms")
    NODE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    node: str
    client: str
    timeout_ms: int
    def __init__(self, node: _Optional[str] = ..., client: _Optional[str] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class ClientStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: str
    def __init__(self, status: _Optional[str] = ...) -> None: ...

class NodeStatusEvent(_message.Message):
    __slots__ = ("node", "old_status", "new_status", "generation", "reason")
    NODE_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    node: str
    old_status: NodeStatus
    new_status: NodeStatus
    generation: int
    reason: str
    def __init__(self, node: _Optional[str] = ..., old_status: _Optional[_Union[NodeStatus, str]] = ..., new_status: _Optional[_Union[NodeStatus, str]] = ..., generation: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class LinkStatusEvent(_message.Message):
    __slots__ = ("node", "link", "old_status", "new_status")
    NODE_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    node: str
    link: str
    old_status: LinkStatus
    new_status: LinkStatus
    def __init__(self, node: _Optional[str] = ..., link: _Optional[str] = ..., old_status: _Optional[_Union[LinkStatus, str]] = ..., new_status: _Optional[_Union[LinkStatus, str]] = ...) -> None: ...

class GroupEvent(_message.Message):
    __slots__ = ("group", "holder", "state", "reason")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    group: str
    holder: str
    state: GroupState
    reason: str
    def __init__(self, group: _Optional[str] = ..., holder: _Optional[str] = ..., state: _Optional[_Union[GroupState, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class FailoverEvent(_message.Message):
    __slots__ = ("group", "from_node", "to_node", "reason")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    TO_NODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    group: str
    from_node: str
    to_node: str
    reason: str
    def __init__(self, group: _Optional[str] = ..., from_node: _Optional[str] = ..., to_node: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MonitorEvent(_message.Message):
    __slots__ = ("group", "resource", "outcome", "reason", "fail_count")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FAIL_COUNT_FIELD_NUMBER: _ClassVar[int]
    group: str
    resource: str
    outcome: MonitorOutcome
    reason: str
    fail_count: int
    def __init__(self, group: _Optional[str] = ..., resource: _Optional[str] = ..., outcome: _Optional[_Union[MonitorOutcome, str]] = ..., reason: _Optional[str] = ..., fail_count: _Optional[int] = ...) -> None: ...

class EventsLost(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("time", "node_status", "link_status", "group", "failover", "events_lost", "monitor")
    TIME_FIELD_NUMBER: _ClassVar[int]
    NODE_STATUS_FIELD_NUMBER: _ClassVar[int]
    LINK_STATUS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    FAILOVER_FIELD_NUMBER: _ClassVar[int]
    EVENTS_LOST_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    node_status: NodeStatusEvent
    link_status: LinkStatusEvent
    group: GroupEvent
    failover: FailoverEvent
    events_lost: EventsLost
    monitor: MonitorEvent
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., node_status: _Optional[_Union[NodeStatusEvent, _Mapping]] = ..., link_status: _Optional[_Union[LinkStatusEvent, _Mapping]] = ..., group: _Optional[_Union[GroupEvent, _Mapping]] = ..., failover: _Optional[_Union[FailoverEvent, _Mapping]] = ..., events_lost: _Optional[_Union[EventsLost, _Mapping]] = ..., monitor: _Optional[_Union[MonitorEvent, _Mapping]] = ...) -> None: ...
