"""``serial TTY [TTY...]`` (speed from ``baud``): heartbeats as classic text frames on a tty.

Framing follows Heartbeat 3.0.6's serial plugin (``lib/plugins/HBcomm/serial.c``):

* Writing: the classic frame ``>>>\\n ... <<<\\n`` and nothing else. Heartbeat writes
  ``strlen()`` bytes, so the NUL that ends an encoded classic message is *not* sent; a NUL
  would even break Heartbeat's reader (the next ``>>>`` line would read as ``\\0>>>`` and
  the frame would be skipped). Heartbeat re-encodes a netstring into classic text itself;
  here message encoding belongs to the core, which hands serial links classic frames. A
  payload that is not one is dropped with a warning: no serial reader, ours or
  Heartbeat's, would find a frame in it.
* Reading: discard lines until one starting with ``>>>``, collect lines until one starting
  with ``<<<``, deliver the frame from the ``>>>`` line to the ``<<<`` line inclusive, each
  line ending in ``\\n``. We are slightly more forgiving than Heartbeat: NULs at the start
  of a line and a CR at its end are ignored (peers that send the NUL, CRLF lines), and a
  ``>>>`` line inside a frame restarts the frame (the previous one was cut short; a valid
  frame never contains one because nested messages have no bare newlines).

Heartbeat paces 512-byte chunks for the baud rate; a non-blocking fd does the same job:
the kernel drains the tty at line speed and we queue the rest, dropping whole frames
(never half of one) when the line does not drain. Heartbeat turns on RTS/CTS flow
control (``CRTSCTS``) and so do we: a proper null-modem cable is required, as it is for
Heartbeat. A port that fails (a USB adapter unplugged, the other end of a pty closed) is
closed and reopened every second until it works again or the transport stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Sequence

import serial as pyserial
import structlog

from hacore.api import (
    ConfigError,
    HacoreError,
    MediumConfig,
    PacketSink,
    SourceLocation,
    Transport,
    TransportType,
)
from hacore.hookspecs import hookimpl

from ._ratelimit import FailureLog

log = structlog.get_logger("hacore.transport")

HEARTBEAT_BAUD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800)
BAUD_RATES = tuple(rate for rate in HEARTBEAT_BAUD_RATES if rate in pyserial.Serial.BAUDRATES)
MAXMSG = 262144
MAX_QUEUED_BYTES = 64 * 1024
REOPEN_DELAY_S = 1.0
READ_SIZE = 4096

FRAME_START = b">>>"
FRAME_END = b"<<<"
CLASSIC_START = b">>>\n"


class FrameReassembler:
    """Turns the bytes read from a tty, in chunks of any size, into classic frames."""

    def __init__(self, link: str = "", max_frame: int = MAXMSG) -> None:
        self.link = link
        self.max_frame = max_frame
        self.oversized = 0
        self._line = bytearray()
        self._frame: bytearray | None = None

    def feed(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        start = 0
        while (newline := data.find(b"\n", start)) >= 0:
            self._line += data[start:newline]
            start = newline + 1
            frame = self._take_line(bytes(self._line))
            self._line.clear()
            if frame is not None:
                frames.append(frame)
        self._line += data[start:]
        if len(self._line) > self.max_frame:
            self._discard_oversized()
            self._line.clear()
        return frames

    def _take_line(self, raw: bytes) -> bytes | None:
        line = raw.lstrip(b"\0").removesuffix(b"\r")
        if line.startswith(FRAME_START):
            self._frame = bytearray(line + b"\n")
            return None
        if self._frame is None:
            return None  # noise between frames
        self._frame += line + b"\n"
        if line.startswith(FRAME_END):
            frame, self._frame = bytes(self._frame), None
            return frame
        if len(self._frame) > self.max_frame:
            self._discard_oversized()
        return None

    def _discard_oversized(self) -> None:
        self._frame = None
        self.oversized += 1
        log.warning(
            "serial_frame_too_big", link=self.link, msg="serial_read:serial_pkt exceeds MAXMSG"
        )


class SerialTransport(Transport):
    wants_classic = True

    def __init__(self, path: str, baud: int, location: SourceLocation | None) -> None:
        self.path = path
        self.baud = baud
        self.location = location
        self.link_name = os.path.basename(path)
        self.failures = FailureLog(self.link_name, f"serial {path}")
        self.packets_sent = 0
        self.packets_received = 0
        self.reassembler = FrameReassembler(self.link_name)
        self._sink: PacketSink | None = None
        self._port: pyserial.Serial | None = None
        self._queued = bytearray()
        self._writer_armed = False
        self._reopen_task: asyncio.Task[None] | None = None
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def preflight(self) -> str | None:
        return None if os.path.exists(self.path) else f"serial device {self.path} does not exist"

    async def start(self, sink: PacketSink) -> None:
        if self._running:
            raise HacoreError(f"{self._where()}: serial {self.path}: already started")
        self._sink = sink
        self._loop = asyncio.get_running_loop()
        try:
            self._open(self._loop)
        except (OSError, pyserial.SerialException) as exc:
            raise HacoreError(f"{self._where()}: serial {self.path}: cannot open: {exc}") from exc
        self._running = True
        log.info(
            "transport_started",
            link=self.link_name,
            medium=f"serial {self.path}",
            msg=f"Starting serial heartbeat on tty {self.path} ({self.baud} baud)",
        )

    def send(self, payload: bytes) -> None:
        frame = payload.split(b"\0", 1)[0]
        if not frame.startswith(CLASSIC_START):
            self.failures.report("serial_payload_not_classic", head=payload[:4])
            return
        if self._port is None:
            return
        if self._queued and len(self._queued) + len(frame) > MAX_QUEUED_BYTES:
            self.failures.report(
                "serial_write_timeout",
                queued_bytes=len(self._queued),
                msg=f"TTY write timeout on [{self.path}] (no connection or bad cable? "
                "[see documentation])",
            )
            return
        self._queued += frame
        self.packets_sent += 1
        if not self._writer_armed:
            self._write_ready()

    async def stop(self) -> None:
        self._running = False
        task, self._reopen_task = self._reopen_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._close()

    # ---- port life cycle ------------------------------------------------------------

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        port = pyserial.Serial()
        port.port = self.path
        port.baudrate = self.baud
        port.bytesize = pyserial.EIGHTBITS
        port.parity = pyserial.PARITY_NONE
        port.stopbits = pyserial.STOPBITS_ONE
        port.rtscts = True
        port.timeout = 0
        port.exclusive = True
        port.open()
        os.set_blocking(port.fileno(), False)
        loop.add_reader(port.fileno(), self._read_ready)
        self._port = port
        self.reassembler = FrameReassembler(self.link_name)

    def _close(self) -> None:
        port, self._port = self._port, None
        self._queued.clear()
        if port is None or self._loop is None:
            return
        self._loop.remove_reader(port.fileno())
        self._loop.remove_writer(port.fileno())
        self._writer_armed = False
        port.close()

    def _port_failed(self, error: str, heartbeat_text: str) -> None:
        self.failures.report("serial_port_failed", error=error, msg=heartbeat_text)
        self._close()
        if self._running and self._reopen_task is None and self._loop is not None:
            self._reopen_task = self._loop.create_task(self._reopen())

    async def _reopen(self) -> None:
        try:
            while self._running:
                await asyncio.sleep(REOPEN_DELAY_S)
                try:
                    self._open(asyncio.get_running_loop())
                except (OSError, pyserial.SerialException) as exc:
                    self.failures.report("serial_port_reopen_failed", error=str(exc))
                    continue
                log.info("serial_port_reopened", link=self.link_name, path=self.path)
                return
        finally:
            self._reopen_task = None

    # ---- I/O callbacks --------------------------------------------------------------

    def _read_ready(self) -> None:
        if self._port is None:
            return
        try:
            data = os.read(self._port.fileno(), READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            error = exc.strerror or str(exc)
            self._port_failed(error, f"EOF in ttygets [{self.path}]: {error}")
            return
        if not data:
            self._port_failed("hang-up", f"EOF in ttygets [{self.path}]: hang-up")
            return
        for frame in self.reassembler.feed(data):
            self._deliver(frame)

    def _write_ready(self) -> None:
        if self._port is None or self._loop is None:
            return
        fd = self._port.fileno()
        try:
            written = os.write(fd, self._queued)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            error = exc.strerror or str(exc)
            self._port_failed(error, f"TTY write failure on [{self.path}]: {error}")
            return
        del self._queued[:written]
        if self._queued and not self._writer_armed:
            self._loop.add_writer(fd, self._write_ready)
            self._writer_armed = True
        elif not self._queued and self._writer_armed:
            self._loop.remove_writer(fd)
            self._writer_armed = False

    def _deliver(self, frame: bytes) -> None:
        self.packets_received += 1
        if self._sink is None:
            return
        try:
            self._sink(frame, self.link_name)
        except Exception:
            log.exception("transport_sink_failed", link=self.link_name, path=self.path)

    def _where(self) -> str:
        return str(self.location) if self.location is not None else "<config>"


def _check_tty(medium: MediumConfig, path: str) -> str:
    """Heartbeat's own checks at configuration time (serial_new), with its messages."""
    if not path.startswith("/"):
        raise ConfigError(f"Serial port not full pathname [{path}] in config file", medium.location)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise ConfigError(
            f"Nonexistent serial port [{path}] in config file", medium.location
        ) from None
    if not stat.S_ISCHR(mode):
        raise ConfigError(f"Serial port [{path}] not a char device in config file", medium.location)
    return path


def build(medium: MediumConfig) -> Sequence[Transport]:
    if not medium.args:
        raise ConfigError("serial needs at least one tty, e.g. serial /dev/ttyS0", medium.location)
    if medium.baud not in BAUD_RATES:
        raise ConfigError(
            f"serial: baud rate {medium.baud} is not supported "
            f"(one of {', '.join(map(str, BAUD_RATES))})",
            medium.location,
        )
    paths = [_check_tty(medium, path) for path in medium.args]
    for path in paths:
        if paths.count(path) > 1:
            raise ConfigError(f"serial: tty {path} is listed twice", medium.location)
    return [SerialTransport(path, medium.baud, medium.location) for path in paths]


@hookimpl
def hacore_transport_types() -> Sequence[TransportType]:
    return [
        TransportType(
            keyword="serial",
            build=build,
            description="classic frames on a tty: serial <tty> [<tty>...] (speed: baud)",
            settings=("baud",),
        )
    ]
