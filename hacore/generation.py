"""The persistent identity of this node: its generation number and its uuid.

The generation (``hg``) must grow at every start, or peers reject us as a replay
attack (docs/protocol.md §5.2); the uuid identifies us even if the node name changes.
Both live in the
state directory, in Heartbeat's file formats, so a state directory can be shared with a
Heartbeat installation being replaced.
"""

from __future__ import annotations

import os
import time
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import structlog

from hacore.api import HacoreError

log = structlog.get_logger("hacore.generation")

GENERATION_FILE = "hb_generation"
UUID_FILE = "hb_uuid"
GENLEN = 16  # "%15lu\n"
# uuidfrom nodename: the same name gives the same uuid on every node and every start.
NODENAME_NAMESPACE = uuidlib.UUID("2b6c6f3e-8a55-4a8e-9d61-6861636f7265")


def next_generation(
    state_dir: Path,
    method: Literal["file", "time"] = "file",
    *,
    clock: Callable[[], float] = time.time,
) -> int:
    """This start's generation: the stored one plus one, written back durably first.

    ``method="time"`` (ha.cf ``hbgenmethod time``) uses the wall clock and no file.
    A missing or unreadable file restarts from the wall clock + 1, which is above any
    generation a peer can remember unless the clock went backwards.
    """
    if method == "time":
        return int(clock())
    path = state_dir / GENERATION_FILE
    try:
        text = path.read_bytes()[:GENLEN].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        generation = int(clock()) + 1
        log.warning(
            "generation_missing",
            msg=f"No Previous generation - starting at {generation}",
            path=str(path),
        )
    else:
        if text.isascii() and text.isdigit():
            generation = int(text) + 1
        else:
            generation = int(clock()) + 1
            log.warning(
                "generation_broken",
                msg=f"BROKEN previous generation - starting at {generation}",
                path=str(path),
                content=text[:32],
            )
    _write_durably(path, f"{generation:>{GENLEN - 1}d}\n".encode("ascii"))
    return generation


def load_or_create_uuid(state_dir: Path, uuidfrom: Literal["file", "nodename"], node: str) -> bytes:
    """This node's 16-byte uuid (``srcuuid``).

    ``uuidfrom nodename`` derives it from the node name (stable without any file);
    otherwise it is read from ``hb_uuid`` and created at random the first time.
    """
    if uuidfrom == "nodename":
        return uuidlib.uuid5(NODENAME_NAMESPACE, node.lower()).bytes
    path = state_dir / UUID_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError as exc:
        raise HacoreError(f"cannot read uuid file {path}: {exc.strerror}") from exc
    if len(data) == 16:
        return data
    if data:
        log.warning("uuid_broken", msg=f"{path} is not 16 bytes; replacing it", path=str(path))
    log.info("uuid_created", msg="No uuid found for current node - generating a new uuid.")
    new = uuidlib.uuid4().bytes
    _write_durably(path, new)
    return new


def _write_durably(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_SYNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise HacoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
