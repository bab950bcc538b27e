"""Every STONITH device of the Heartbeat era, through cluster-glue's ``stonith`` command.

``stonith_host * external/ipmi node2 10.0.0.2 admin secret lan`` runs
``stonith -t external/ipmi -p "node2 10.0.0.2 admin secret lan" -T reset NODE``;
``stonith TYPE FILE`` runs ``stonith -t TYPE -F FILE -T reset NODE``. The parameters are
handed over exactly as written, so every device (``external/*`` included) works
unchanged. Exit codes are cluster-glue's: 0 S_OK, 4 S_BADHOST, anything else a failure.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from hacore.api import FenceDevice, FenceRequest, FenceResult
from hacore.hookspecs import hookimpl

from ._run import run_command

STONITH = "stonith"
S_OK = 0
S_BADHOST = 4


@functools.cache
def glue_types() -> frozenset[str]:
    """``stonith -L``: the device types this machine's cluster-glue provides."""
    path = shutil.which(STONITH, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        return frozenset()
    try:
        listing = subprocess.run([path, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(listing.stdout.split())


class GlueDevice(FenceDevice):
    def argv(self, node: str) -> list[str]:
        config = (
            ["-F", str(self.request.file)] if self.request.file else ["-p", self.request.params]
        )
        return [STONITH, "-t", self.request.type, *config, "-T", "reset", node]

    async def reset(self, node: str) -> FenceResult:
        try:
            result = await run_command(self.argv(node))
        except OSError as exc:
            self.last_error = f"{STONITH}: cannot run: {exc.strerror or exc}"
            return FenceResult.BAD
        if result.returncode == S_OK:
            return FenceResult.OK
        self.last_error = f"{' '.join(self.argv(node))} {result.why()}"
        return FenceResult.BADHOST if result.returncode == S_BADHOST else FenceResult.BAD


@hookimpl
def hacore_fence_device(request: FenceRequest) -> FenceDevice | None:
    if request.type not in glue_types():
        return None
    return GlueDevice(request)
