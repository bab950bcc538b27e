"""failfast clients: an abnormal death calls the node's self-fence, a respawn client's
does not; real processes through the Supervisor."""

from __future__ import annotations

import asyncio

import pytest

from hacore.config.model import Respawn
from hacore.respawn import Supervisor


async def _run(client: Respawn, seconds: float) -> list[str]:
    fenced: list[str] = []
    supervisor = Supervisor([client], {}, None, {}, on_failfast=fenced.append)  # type: ignore[arg-type]
    supervisor.start()
    await asyncio.sleep(seconds)
    await supervisor.stop()
    return fenced


@pytest.mark.parametrize("command", ["/bin/false", "/bin/sh -c 'kill -9 $$'"])
def test_abnormal_death_of_a_failfast_client_fences(command: str) -> None:
    fenced = asyncio.run(_run(Respawn("root", command, failfast=True), 0.5))
    assert fenced == [command]


def test_clean_exit_of_a_failfast_client_does_not(caplog: pytest.LogCaptureFixture) -> None:
    assert asyncio.run(_run(Respawn("root", "/bin/true", failfast=True), 0.5)) == []


def test_respawn_client_death_does_not() -> None:
    assert asyncio.run(_run(Respawn("root", "/bin/false", failfast=False), 0.5)) == []


def test_stopping_the_supervisor_is_not_a_failfast_death() -> None:
    assert asyncio.run(_run(Respawn("root", "/bin/sleep 60", failfast=True), 0.3)) == []
