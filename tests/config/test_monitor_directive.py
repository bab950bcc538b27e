"""ha.cf's ``monitor`` line: defaults, naming a resource as haresources does, and one clear
error with file:line for every kind of mistake."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hacore.api import SourceLocation
from hacore.check import run_check
from hacore.config.loader import load_config
from hacore.config.model import ConfigErrors
from hacore.config.monitor import Monitor, MonitorSettings
from hacore.plugins import PluginRegistry

HARESOURCES = (
    "node1 IPaddr::10.0.0.60/24/eth0 httpd\n"
    "node2 10.0.0.61 OCF::Dummy::state=/run/d OCF::Stateful::x=1\n"
)


def configure(seed_dir: Path, *lines: str) -> Path:
    with (seed_dir / "ha.cf").open("a") as hacf:
        hacf.write("".join(line + "\n" for line in lines))
    (seed_dir / "haresources").write_text(HARESOURCES)
    return seed_dir


def monitors(seed_dir: Path, registry: PluginRegistry, *lines: str) -> list[Monitor]:
    return load_config(configure(seed_dir, *lines), registry, "node1").monitors


def problems(seed_dir: Path, registry: PluginRegistry, *lines: str) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_config(configure(seed_dir, *lines), registry, "node1")
    return [str(problem) for problem in caught.value.problems]


def test_no_monitor_line_monitors_nothing(seed_dir: Path, registry: PluginRegistry) -> None:
    assert monitors(seed_dir, registry) == []


def test_defaults_and_every_option(seed_dir: Path, registry: PluginRegistry) -> None:
    got = monitors(
        seed_dir,
        registry,
        "monitor httpd",
        "monitor IPaddr::10.0.0.60 interval=500ms timeout=2 restarts=0 window=1.5",
    )
    hacf = seed_dir / "ha.cf"
    lines = len(hacf.read_text().splitlines())
    assert got == [
        Monitor(
            "IPaddr::10.0.0.60/24/eth0",
            1,
            "httpd",
            MonitorSettings(10_000, 20_000, 3, 3_600_000),
            SourceLocation(hacf, lines - 1),
        ),
        Monitor(
            "IPaddr::10.0.0.60/24/eth0",
            0,
            "IPaddr::10.0.0.60/24/eth0",
            MonitorSettings(500, 2000, 0, 1500),
            SourceLocation(hacf, lines),
        ),
    ]


@pytest.mark.parametrize(
    ("name", "group", "index"),
    [
        ("10.0.0.61", "10.0.0.61", 0),  # the token as written
        ("IPaddr::10.0.0.61", "10.0.0.61", 0),  # its expanded spec
        ("IPaddr::10.0.0.60", "IPaddr::10.0.0.60/24/eth0", 0),  # a prefix ending at /
        ("OCF::Dummy", "10.0.0.61", 1),  # a prefix ending at ::
        ("OCF::Stateful::x=1", "10.0.0.61", 2),
    ],
)
def test_resource_named_as_in_haresources(
    seed_dir: Path, registry: PluginRegistry, name: str, group: str, index: int
) -> None:
    (monitor,) = monitors(seed_dir, registry, f"monitor {name}")
    assert (monitor.group, monitor.index) == (group, index)


def test_check_shows_the_monitors(seed_dir: Path, registry: PluginRegistry) -> None:
    configure(seed_dir, "monitor httpd interval=5 timeout=2 restarts=1 window=60")
    out, err = io.StringIO(), io.StringIO()
    assert run_check(seed_dir, "node1", registry=registry, out=out, err=err) == 0, err.getvalue()
    text = out.getvalue().splitlines()
    at = text.index("Monitoring:")
    assert text[at + 1] == (
        "  httpd  (group IPaddr::10.0.0.60/24/eth0): every 5 s, timeout 2 s, "
        "1 restart within 60 s, then fail over"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("monitor", "monitor needs a resource as named in haresources (usage: monitor RESOURCE"),
        ("monitor interval=5", "monitor needs a resource as named in haresources"),
        ("monitor httpd interval=10s", "monitor httpd: interval [10s] has an unknown unit"),
        ("monitor httpd timeout=fast", "monitor httpd: timeout [fast] is not a time"),
        ("monitor httpd interval=50ms", "monitor httpd: interval [50ms] must be at least 100 ms"),
        ("monitor httpd restarts=-1", "monitor httpd: restarts [-1] is out of range (0..1000)"),
        ("monitor httpd restarts=two", "monitor httpd: restarts [two] is not an integer"),
        ("monitor httpd retries=2", "monitor httpd: unknown option [retries=2]: expected"),
        ("monitor httpd 5", "monitor httpd: unknown option [5]"),
        ("monitor httpd restarts=1 restarts=2", "monitor httpd: restarts is given twice"),
        (
            "monitor httpd interval=60 window=30",
            "monitor httpd: window [30 s] is shorter than the interval [60 s]",
        ),
    ],
)
def test_bad_lines_name_the_line(
    seed_dir: Path, registry: PluginRegistry, line: str, message: str
) -> None:
    hacf = seed_dir / "ha.cf"
    at = len(hacf.read_text().splitlines()) + 1
    (problem,) = problems(seed_dir, registry, line)
    assert problem.startswith(f"{hacf}:{at}: {message}"), problem


def test_unknown_ambiguous_and_twice_monitored_resources(
    seed_dir: Path, registry: PluginRegistry
) -> None:
    hacf = seed_dir / "ha.cf"
    at = len(hacf.read_text().splitlines())
    got = problems(
        seed_dir,
        registry,
        "monitor apache2",
        "monitor IPaddr",
        "monitor httpd",
        "monitor httpd interval=1",
    )
    assert got == [
        f"{hacf}:{at + 1}: monitor apache2: no such resource in haresources (resources: "
        "IPaddr::10.0.0.60/24/eth0 httpd 10.0.0.61 OCF::Dummy::state=/run/d "
        "OCF::Stateful::x=1)",
        f"{hacf}:{at + 2}: monitor IPaddr: names several resources "
        "(IPaddr::10.0.0.60/24/eth0, IPaddr::10.0.0.61): write it as in haresources",
        f"{hacf}:{at + 4}: monitor httpd: httpd is monitored twice (already at line {at + 3})",
    ]


def test_monitor_problems_are_found_with_the_other_ha_cf_problems(
    seed_dir: Path, registry: PluginRegistry
) -> None:
    """A bad monitor line is an ha.cf problem: reported with the file's other problems."""
    got = problems(seed_dir, registry, "monitor httpd window=x", "keepalive never")
    assert [p.split(": ", 1)[1] for p in got] == [
        "monitor httpd: window [x] is not a time: it must start with a number",
        "keepalive [never] is not a time: it must start with a number",
    ]
