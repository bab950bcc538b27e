"""authkeys: Heartbeat's syntax, permission check and messages (docs/protocol.md §3.5)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from hacore.api import SourceLocation
from hacore.config.authkeys import AUTH_FAILED, parse_authkeys
from hacore.config.model import NOT_STARTED, AuthKeys, ConfigErrors
from hacore.plugins import PluginRegistry

SHOWN = "/etc/ha.d//authkeys"
NOT_FOUND_1 = f"Auth Key [1] not found in keyfile [{SHOWN}]"


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "authkeys"
    path.write_bytes(text.encode("latin-1"))
    path.chmod(mode)
    return path


def parse(tmp_path: Path, registry: PluginRegistry, text: str) -> AuthKeys:
    return parse_authkeys(write(tmp_path, text), registry, shown_as=SHOWN)


def messages(tmp_path: Path, registry: PluginRegistry, text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        parse(tmp_path, registry, text)
    return [p.message for p in caught.value.problems]


def test_seed_authkeys(seed_dir: Path, registry: PluginRegistry) -> None:
    keys = parse_authkeys(seed_dir / "authkeys", registry)
    assert keys.active == 1
    assert list(keys.keys) == [1]
    assert keys.signer.method.name == "crc"
    assert keys.signer.key is None
    assert keys.signer.location == SourceLocation(seed_dir / "authkeys", 2)


def test_several_keys_and_heartbeat_token_rules(tmp_path: Path, registry: PluginRegistry) -> None:
    text = "  # comment\n\nauth 2\n1 crc\n2sha1 Hello!#not-a-comment trailing words\r\n15\tmd5\tk\n"
    keys = parse(tmp_path, registry, text)
    assert keys.active == 2
    assert sorted(keys.keys) == [1, 2, 15]
    assert keys.signer.key == b"Hello!#not-a-comment"
    assert keys.keys[15].method.name == "md5"
    signature = keys.signer.method.digest(keys.signer.key, b"data")
    assert signature == hmac.new(b"Hello!#not-a-comment", b"data", hashlib.sha1).hexdigest()


def test_index_zero_is_accepted(tmp_path: Path, registry: PluginRegistry) -> None:
    assert parse(tmp_path, registry, "auth 0\n0 crc\n").active == 0


def test_keys_keep_their_bytes(tmp_path: Path, registry: PluginRegistry) -> None:
    keys = parse(tmp_path, registry, "auth 3\n3 md5 s\xe9cret\n")
    assert keys.signer.key == b"s\xe9cret"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_group_or_other_readable_is_refused(
    tmp_path: Path, registry: PluginRegistry, mode: int
) -> None:
    path = write(tmp_path, "auth 1\n1 crc\n", mode)
    with pytest.raises(ConfigErrors) as caught:
        parse_authkeys(path, registry, shown_as=SHOWN)
    assert caught.value.lines() == [
        f"ERROR: Bad permissions on keyfile [{SHOWN}], 600 recommended.",
        f"ERROR: {AUTH_FAILED}",
        f"ERROR: {NOT_STARTED}",
    ]
    assert AUTH_FAILED == "Authentication configuration error."


def test_write_bits_are_not_checked(tmp_path: Path, registry: PluginRegistry) -> None:
    path = write(tmp_path, "auth 1\n1 crc\n", 0o622)
    assert parse_authkeys(path, registry).active == 1


def test_missing_file(tmp_path: Path, registry: PluginRegistry) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_authkeys(tmp_path / "authkeys", registry, shown_as=SHOWN)
    assert caught.value.lines()[0] == f"ERROR: Cannot open keyfile [{SHOWN}].  Stop."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auth 1\n1 foo\n", ["Invalid authtype [foo] (known: crc, md5, sha1)", NOT_FOUND_1]),
        ("auth 1\n1 crc secret\n", ["Auth method [crc] doesn't use a key", NOT_FOUND_1]),
        ("auth 1\n1 md5\n", ["Auth method [md5] requires a key", NOT_FOUND_1]),
        (
            "auth 2\n1 crc\n2 sha1\n",
            ["Auth method [sha1] requires a key", f"Auth Key [2] not found in keyfile [{SHOWN}]"],
        ),
        (
            "auth 16\n16 crc\n",
            [f"Invalid authnum [16] in {SHOWN}", f"Auth Key [16] not found in keyfile [{SHOWN}]"],
        ),
        ("auth 1\n-1 crc\n1 crc\n", [f"Invalid authnum [-1] in {SHOWN}"]),
        ("1 crc\n", [f"Missing auth directive in keyfile [{SHOWN}]"]),
        ("#auth 1\n#1 crc\n", [f"Missing auth directive in keyfile [{SHOWN}]"]),
        ("auth 2\n1 crc\n", [f"Auth Key [2] not found in keyfile [{SHOWN}]"]),
        (
            "authentic 1\n1 crc\n",
            [
                f"Invalid auth line [authentic 1] in {SHOWN}",
                f"Missing auth directive in keyfile [{SHOWN}]",
            ],
        ),
        ("auth 1\n1 crc\nkey 1 crc\n", ["Auth line [key 1 crc] is invalid."]),
        ("auth 1\n1 crc\n7\n", ["Auth line [7] is invalid."]),
    ],
)
def test_errors(tmp_path: Path, registry: PluginRegistry, text: str, expected: list[str]) -> None:
    assert messages(tmp_path, registry, text) == expected


def test_errors_carry_their_line(tmp_path: Path, registry: PluginRegistry) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse(tmp_path, registry, "auth 1\n1 crc\n\n2 md5\n")
    (problem,) = caught.value.problems
    assert problem.location == SourceLocation(tmp_path / "authkeys", 4)
    assert caught.value.lines()[-2:] == [f"ERROR: {AUTH_FAILED}", f"ERROR: {NOT_STARTED}"]


def test_auth_line_must_come_first(tmp_path: Path, registry: PluginRegistry) -> None:
    """Heartbeat selects the key while reading it, so a later 'auth' line finds nothing."""
    (message,) = messages(tmp_path, registry, "1 crc\nauth 1\n")
    assert message.startswith(f"Auth Key [1] not found in keyfile [{SHOWN}]")
    assert "must come before" in message


def test_a_later_auth_line_without_its_key_keeps_the_first(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    assert parse(tmp_path, registry, "auth 1\n1 crc\nauth 2\n").active == 1
    assert parse(tmp_path, registry, "auth 1\n1 crc\nauth 2\n2 sha1 k\n").active == 2
