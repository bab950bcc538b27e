"""systemd's readiness protocol (``sd_notify``), spoken directly: no libsystemd needed.

systemd hands a ``Type=notify`` service the path of a datagram socket in
``NOTIFY_SOCKET`` (``@name`` for the abstract namespace); each datagram is a few
``KEY=value`` lines: ``READY=1`` once the media are up, ``RELOADING=1`` then ``READY=1``
around a reload, ``STOPPING=1`` when the hand-over starts, ``STATUS=`` for
``systemctl status``, ``WATCHDOG=1`` at least every half of ``WATCHDOG_USEC`` when the
unit sets ``WatchdogSec``. Outside systemd (no ``NOTIFY_SOCKET``) every call does
nothing, and a notification that cannot be sent never disturbs the daemon.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, MutableMapping

import structlog

log = structlog.get_logger("hacore.sdnotify")


class Notifier:
    """Sends notifications to the service manager, if there is one."""

    def __init__(
        self,
        address: str | None,
        watchdog_usec: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address
        # systemd wants a ping before WATCHDOG_USEC runs out; half leaves room for a late tick.
        self.watchdog_interval = watchdog_usec / 2_000_000 if watchdog_usec else None
        self._clock = clock
        self._last_ping: float | None = None
        self._failed = False
        self._ready_hooks: list[Callable[[], None]] = []
        self.is_ready = False

    @classmethod
    def from_environment(cls, environ: MutableMapping[str, str] | None = None) -> Notifier:
        """Read (and remove, so resource scripts and helpers do not inherit them) the
        variables systemd sets; ``WATCHDOG_PID`` naming another process means the
        watchdog is not ours."""
        env = os.environ if environ is None else environ
        address = env.pop("NOTIFY_SOCKET", None) or None
        usec_text = env.pop("WATCHDOG_USEC", "")
        pid_text = env.pop("WATCHDOG_PID", "")
        usec = int(usec_text) if usec_text.isdigit() and int(usec_text) > 0 else None
        if pid_text and pid_text != str(os.getpid()):
            usec = None
        return cls(address, usec)

    def notify(self, *fields: str) -> None:
        """Send one datagram of ``KEY=value`` lines; failures are logged once, never raised."""
        if self.address is None:
            return
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        payload = "\n".join(field.replace("\n", " ") for field in fields).encode(
            "utf-8", "backslashreplace"
        )
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, target)
        except OSError as exc:
            if not self._failed:
                log.warning(
                    "sd_notify_failed",
                    msg=f"Cannot notify the service manager at {self.address}: {exc}",
                )
            self._failed = True
        else:
            self._failed = False

    def on_ready(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` at the first ``ready()`` (``--daemon`` detaches from its caller)."""
        self._ready_hooks.append(hook)

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")
        if not self.is_ready:
            self.is_ready = True
            for hook in self._ready_hooks:
                hook()

    def reloading(self) -> None:
        # MONOTONIC_USEC lets systemd (253+, Type=notify-reload) match this to its request.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}", "STATUS=Reloading configuration")

    def stopping(self, status: str) -> None:
        self.notify("STOPPING=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def watchdog(self) -> None:
        """Called from the main loop's tick: pings at the watchdog's half-period, so a
        stalled loop (the thing the watchdog exists to catch) stops the pings."""
        if self.watchdog_interval is None or self.address is None:
            return
        now = self._clock()
        if self._last_ping is None or now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self.notify("WATCHDOG=1")
