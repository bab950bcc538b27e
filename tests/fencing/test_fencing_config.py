"""ha.cf's stonith, stonith_host, watchdog, realtime, rtprio and the fencing extensions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hacore.config.loader import load_config
from hacore.config.model import ConfigErrors
from hacore.plugins import load_plugins
from halab.configs import seed_template


@pytest.fixture
def config_dir(tmp_path: Path) -> Callable[..., Path]:
    """``config_dir("stonith_host * null node2", ...)``: seed ha.cf plus these lines."""

    def make(*extra: str) -> Path:
        files = seed_template(["node1", "node2"])
        files["ha.cf"] = files["ha.cf"].replace("ucast eth1 172.16.0.51", "ucast lo 127.0.0.1")
        files["ha.cf"] += "".join(f"{line}\n" for line in extra)
        directory = tmp_path / "ha.d"
        directory.mkdir(exist_ok=True)
        for name, text in files.items():
            (directory / name).write_text(text)
        (directory / "authkeys").chmod(0o600)
        return directory

    return make


def _load(directory: Path, node: str = "node1"):  # type: ignore[no-untyped-def]
    return load_config(directory, load_plugins(), node_name=node)


def test_stonith_host_lines_apply_by_from_host(config_dir: Callable[..., Path]) -> None:
    directory = config_dir(
        "stonith_host node1 null node2",
        "stonith_host node2 fence_dummy type=file",
    )
    one, two = _load(directory, "node1"), _load(directory, "node2")
    assert one.stonith is not None and two.stonith is not None
    assert (one.stonith.type, one.stonith.params) == ("null", "node2")
    assert (two.stonith.type, two.stonith.params) == ("fence_dummy", "type=file")
    assert one.warnings == two.warnings == []


def test_star_applies_everywhere_and_the_last_line_wins(config_dir: Callable[..., Path]) -> None:
    cfg = _load(config_dir("stonith_host * null node1 node2", "stonith_host * null node9"))
    assert cfg.stonith is not None and cfg.stonith.params == "node9"
    assert any("only the last one is used" in str(w) for w in cfg.warnings)


def test_stonith_with_a_config_file(config_dir: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "null.cfg").write_text("node2\n")
    cfg = _load(config_dir(f"stonith null {tmp_path / 'null.cfg'}"))
    assert cfg.stonith is not None
    assert (cfg.stonith.file, cfg.stonith.source) == (tmp_path / "null.cfg", None)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("stonith_host * nosuchdevice x", "Invalid Stonith type [nosuchdevice]"),
        ("stonith_host * fence_nosuch ip=1", "Invalid Stonith type [fence_nosuch]"),
        ("stonith_host * fence_dummy notakeyvalue", "Invalid Stonith configuration parameter"),
        ("stonith_host * powersocket relative/path", "one optional absolute socket path"),
        ("stonith null /nonexistent/file", "Invalid Stonith config file [/nonexistent/file]"),
        ("stonith_host *", "No Stonith type given"),
        ("tiebreaker 10.9.9.9", "tiebreaker [10.9.9.9] must name a ping or ping_group node"),
        ("fence_delay soon", "fence_delay"),
        ("watchdog dev/watchdog", "Watchdog device [dev/watchdog] must be an absolute path"),
        ("rtprio 0", "Illegal realtime priority [0]"),
    ],
)
def test_bad_lines_name_what_and_where(
    config_dir: Callable[..., Path], line: str, message: str
) -> None:
    with pytest.raises(ConfigErrors) as err:
        _load(config_dir(line))
    assert message in str(err.value)
    assert "ha.cf:" in str(err.value), "the error names the line"


def test_a_device_for_another_node_is_not_built_here(config_dir: Callable[..., Path]) -> None:
    cfg = _load(config_dir("stonith_host node2 nosuchdevice x"))
    assert cfg.stonith is None


def test_watchdog_realtime_and_extensions(config_dir: Callable[..., Path]) -> None:
    cfg = _load(
        config_dir(
            "watchdog /dev/watchdog",
            "realtime off",
            "rtprio 7",
            "fence_delay 1500ms",
            "tiebreaker 10.0.0.2",
        )
    )
    hacf = cfg.hacf
    assert (hacf.watchdog, hacf.realtime, hacf.rtprio) == (Path("/dev/watchdog"), False, 7)
    assert (hacf.extensions.fence_delay_ms, hacf.extensions.tiebreaker) == (1500, "10.0.0.2")
    assert _load(config_dir()).hacf.realtime is True, "Heartbeat's default: realtime on"
