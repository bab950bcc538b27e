"""Heartbeat's message: an ordered list of typed fields.

Order matters on the wire and for signatures, so this is a list, not a dict. Values
are ``str`` (type 0), ``bytes`` (type 1, e.g. uuids), a nested ``Message`` (type 2),
or a ``list[str]`` (type 3). Compressed fields (4/5) are decoded by the codec into
their nested message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass


class FieldType(enum.IntEnum):
    STRING = 0
    BINARY = 1
    STRUCT = 2
    LIST = 3
    COMPRESS = 4
    UNCOMPRESS = 5


@dataclass
class Field:
    name: str
    value: str | bytes | Message | list[str]
    type: FieldType = FieldType.STRING


def _type_of(value: str | bytes | Message | list[str]) -> FieldType:
    if isinstance(value, str):
        return FieldType.STRING
    if isinstance(value, bytes):
        return FieldType.BINARY
    if isinstance(value, Message):
        return FieldType.STRUCT
    return FieldType.LIST


class Message:
    """An ordered, typed field list with Heartbeat's add/modify semantics."""

    __slots__ = ("fields",)

    def __init__(self, *pairs: tuple[str, str | bytes | Message | list[str]]) -> None:
        self.fields: list[Field] = [Field(n, v, _type_of(v)) for n, v in pairs]

    def add(self, name: str, value: str | bytes | Message | list[str]) -> Message:
        """Append a field (even if one of that name exists)."""
        self.fields.append(Field(name, value, _type_of(value)))
        return self

    def set(self, name: str, value: str | bytes | Message | list[str]) -> Message:
        """Replace the first field of that name in place, or append it."""
        for f in self.fields:
            if f.name == name:
                f.value = value
                f.type = _type_of(value)
                return self
        return self.add(name, value)

    def remove(self, name: str) -> None:
        self.fields = [f for f in self.fields if f.name != name]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The string value of the first field ``name`` (None if absent or not a string)."""
        for f in self.fields:
            if f.name == name:
                return f.value if isinstance(f.value, str) else default
        return default

    def get_bytes(self, name: str) -> bytes | None:
        for f in self.fields:
            if f.name == name and isinstance(f.value, bytes):
                return f.value
        return None

    def __contains__(self, name: object) -> bool:
        return any(f.name == name for f in self.fields)

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return [(f.name, f.type, f.value) for f in self.fields] == [
            (f.name, f.type, f.value) for f in other.fields
        ]

    def __hash__(self) -> int:  # mutable: identity hash would lie about equality
        raise TypeError("Message is mutable and unhashable")

    def copy(self) -> Message:
        m = Message()
        m.fields = [Field(f.name, f.value, f.type) for f in self.fields]
        return m

    @property
    def type(self) -> str | None:
        return self.get("t")

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={f.value!r}" for f in self.fields)
        return f"Message({inner})"
