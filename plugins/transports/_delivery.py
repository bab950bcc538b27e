"""What every transport does with a received packet, and how it names its ha.cf line."""

from __future__ import annotations

import structlog

from hacore.api import PacketSink, SourceLocation

log = structlog.get_logger("hacore.transport")


class Delivering:
    """Mixin: count a received packet and hand it to the daemon's sink.

    A failing sink is logged and swallowed: a bug upstream must not silence the link.
    """

    link_name: str
    medium: str
    location: SourceLocation | None
    packets_received: int
    _sink: PacketSink | None

    def _deliver(self, payload: bytes) -> None:
        self.packets_received += 1
        sink = self._sink
        if sink is None:
            return
        try:
            sink(payload, self.link_name)
        except Exception:
            log.exception("transport_sink_failed", link=self.link_name, medium=self.medium)

    def _where(self) -> str:
        return str(self.location) if self.location is not None else "<config>"
