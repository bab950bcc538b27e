"""haresources: ResourceManager's splitting, continuations, node check, keys."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacore.api import SourceLocation
from hacore.config.haresources import parse_haresources, split_resource
from hacore.config.model import ConfigErrors, ConfigWarning, ResourceGroup
from hacore.plugins import PluginRegistry

NODES = ["node1", "node2"]


def parse(
    tmp_path: Path,
    text: str,
    registry: PluginRegistry | None = None,
    warnings: list[ConfigWarning] | None = None,
) -> list[ResourceGroup]:
    path = tmp_path / "haresources"
    path.write_text(text)
    return parse_haresources(path, NODES, registry, warnings=warnings)


def messages(tmp_path: Path, text: str, registry: PluginRegistry | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        parse(tmp_path, text, registry)
    return [p.message for p in caught.value.problems]


def test_seed_haresources(seed_dir: Path, registry: PluginRegistry) -> None:
    (group,) = parse_haresources(seed_dir / "haresources", NODES, registry)
    assert group.node == "node1"
    assert group.key == "IPaddr::10.0.0.60"
    assert [(r.name, r.args) for r in group.resources] == [
        ("IPaddr", ("10.0.0.60",)),
        ("httpd", ()),
    ]
    assert group.location == SourceLocation(seed_dir / "haresources", 1)


@pytest.mark.parametrize(
    ("token", "name", "args", "spec"),
    [
        (
            "IPaddr::10.0.0.60/24/eth0",
            "IPaddr",
            ("10.0.0.60/24/eth0",),
            "IPaddr::10.0.0.60/24/eth0",
        ),
        ("10.0.0.60/24/eth0", "IPaddr", ("10.0.0.60/24/eth0",), "IPaddr::10.0.0.60/24/eth0"),
        ("10.0.0.60", "IPaddr", ("10.0.0.60",), "IPaddr::10.0.0.60"),
        (
            "Filesystem::/dev/sda1::/data1::ext2",
            "Filesystem",
            ("/dev/sda1", "/data1", "ext2"),
            None,
        ),
        ("httpd", "httpd", (), None),
        ("a::::b", "a", ("b",), None),
        ("a:::b", "a", (":b",), None),
        ("drbddisk::r0", "drbddisk", ("r0",), None),
        ("1.2.3", "1.2.3", (), None),  # three parts: not the IP shorthand
    ],
)
def test_split_like_resource_manager(
    token: str, name: str, args: tuple[str, ...], spec: str | None
) -> None:
    resource = split_resource(token)
    assert (resource.name, resource.args, resource.spec) == (name, args, spec or token)
    assert resource.token == token


def test_group_key_is_the_first_token_as_written(tmp_path: Path) -> None:
    (group,) = parse(tmp_path, "node1 10.0.0.60 httpd\n")
    assert group.key == "10.0.0.60"
    assert group.resources[0].spec == "IPaddr::10.0.0.60"


def test_several_groups_comments_continuations(tmp_path: Path) -> None:
    text = (
        "# the preferred node comes first\n"
        "NODE1   IPaddr::10.0.0.60 \\\n"
        "\t  httpd   # the web server\n"
        "\n"
        "node2 10.0.0.61 Filesystem::/dev/sdb1::/srv::ext4 \\\n"
        "  mysql\\\n"
        "d\n"
        "  # indented comment\n"
    )
    groups = parse(tmp_path, text)
    assert [(g.node, [r.token for r in g.resources]) for g in groups] == [
        ("node1", ["IPaddr::10.0.0.60", "httpd"]),
        ("node2", ["10.0.0.61", "Filesystem::/dev/sdb1::/srv::ext4", "mysqld"]),
    ]
    assert [g.location.line for g in groups if g.location] == [2, 5]


def test_unknown_node(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_haresources(
            _write(tmp_path, "node1 a\nnodeZ b\nnode3 c\n"),
            NODES,
            shown_as="/etc/ha.d//haresources",
        )
    assert [
        (p.message, p.location.line if p.location else None) for p in caught.value.problems
    ] == [
        ("Bad nodename in /etc/ha.d//haresources [nodeZ]", 2),
        ("Bad nodename in /etc/ha.d//haresources [node3]", 3),
    ]


def test_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "haresources"
    assert messages(tmp_path, "node1 10.0.0.60 a\nnode2 10.0.0.60 b\n") == [
        f"Duplicate resource group key [10.0.0.60] in {path} (first used at line 1)"
    ]


def test_nameless_resource(tmp_path: Path) -> None:
    assert messages(tmp_path, "node1 ::x\n") == ["Resource [::x] has no script name before '::'"]


def test_node_without_resources_is_skipped_with_a_warning(tmp_path: Path) -> None:
    warnings: list[ConfigWarning] = []
    assert parse(tmp_path, "node1\nnode2 b\n", warnings=warnings)[0].node == "node2"
    assert [w.message for w in warnings] == ["Node [node1] has no resources listed"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_haresources(tmp_path / "haresources", NODES, shown_as="/etc/ha.d//haresources")
    assert caught.value.lines()[:3] == [
        "ERROR: Cannot open resources file [/etc/ha.d//haresources]",
        "info: An annotated sample /etc/ha.d//haresources file is provided in the documentation.",
        "info: Please copy it to /etc/ha.d//haresources, read it, customize it, and try again.",
    ]


def test_resource_types_validate(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "haresources"
    with pytest.raises(ConfigErrors) as caught:
        parse(tmp_path, "node1 httpd\nnode2 IPaddr::10.0.0.300/24\n", registry)
    (problem,) = caught.value.problems
    assert problem.message == "IPaddr: [10.0.0.300] is not an IPv4 address"
    assert problem.location == SourceLocation(path, 2)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "haresources"
    path.write_text(text)
    return path


# ---- properties -----------------------------------------------------------------------

_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,15}", fullmatch=True)
_arg = st.from_regex(r"[A-Za-z0-9_/.,=+%-][A-Za-z0-9_/.,=+%:-]{0,20}", fullmatch=True).filter(
    lambda a: "::" not in a and not a.endswith(":")
)


@given(_name, st.lists(_arg, max_size=4))
def test_any_name_and_args_round_trip(name: str, args: list[str]) -> None:
    resource = split_resource("::".join([name, *args]))
    assert (resource.name, resource.args) == (name, tuple(args))


@given(
    st.tuples(*[st.integers(0, 255)] * 4),
    st.sampled_from(["", "/24", "/24/eth0", "/16/eth1/10.0.255.255"]),
)
def test_ip_shorthand(octets: tuple[int, ...], suffix: str) -> None:
    token = ".".join(map(str, octets)) + suffix
    resource = split_resource(token)
    assert (resource.name, resource.args, resource.token) == ("IPaddr", (token,), token)


_resource = st.builds(lambda n, a: "::".join([n, *a]), _name, st.lists(_arg, max_size=2))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["node1", "Node2", "NODE1"]),
            st.lists(_resource, min_size=1, max_size=4),
        ),
        max_size=5,
    ),
    st.sampled_from([" ", "\t", "  \t "]),
    st.booleans(),
)
def test_files_parse_back_to_their_groups(
    lines: list[tuple[str, list[str]]], gap: str, continued: bool
) -> None:
    first_by_key: dict[str, tuple[str, list[str]]] = {}
    for node, resources in lines:
        first_by_key.setdefault(resources[0], (node, resources))  # keys must be unique
    unique = list(first_by_key.values())
    joiner = f"{gap}\\\n{gap}" if continued else gap
    text = "".join(f"{gap}{n}{gap}{joiner.join(rs)}{gap}# note\n" for n, rs in unique)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "haresources"
        path.write_text(text)
        groups = parse_haresources(path, NODES)
    assert [(g.node, [r.token for r in g.resources]) for g in groups] == [
        (n.lower(), rs) for n, rs in unique
    ]
