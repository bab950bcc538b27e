"""A self-fence's last resort: reboot the machine at once, as Heartbeat's failfast does.

Heartbeat's ``cl_reboot`` syncs and calls ``reboot(2)``. hacore writes ``b`` to the
configured trigger (``sysrq_trigger /proc/sysrq-trigger``): the kernel reboots without
running anything else, which is also what a hung init could not prevent. Off unless
configured, so that a failfast death on a test machine or in a container never reboots a
host; the lab's tests point it at a plain file and read the ``b``.
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog

log = structlog.get_logger("hacore.fencing")


def sysrq_reboot(trigger: Path) -> bool:
    """Sync, then ask the kernel for an immediate reboot; False if the trigger refused."""
    log.critical("self_fence_sysrq", msg=f"Rebooting through {trigger}", trigger=str(trigger))
    os.sync()
    try:
        with trigger.open("w") as sysrq:
            sysrq.write("b")
    except OSError as exc:
        log.error("self_fence_sysrq_failed", trigger=str(trigger), error=exc.strerror)
        return False
    return True
