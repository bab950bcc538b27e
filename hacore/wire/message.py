"""Heartbeat's message: an ordered list of typed fields.

Order matters on the wire and for signatures, so this is a list, not a dict. Values
are ``str`` (type 0), ``bytes`` (type 1, e.g. uuids), a nested ``Message`` (type 2),
or a ``list[str]`` (type 3). Compressed fields (4/5) are decoded by the codec into
their nested message.

A message decoded from a flat packet (string and binary fields only: every heartbeat)
starts as its raw values and their shared :class:`WireLayout`: reading a field finds it
through the layout's name index and decodes only that value, so a status whose fields
are read a few times each never builds the field list. The first use of :attr:`Message.fields`
(iteration, any change, a copy's change) turns the view into the ordinary list, once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass


class FieldType(enum.IntEnum):
    STRING = 0
    BINARY = 1
    STRUCT = 2
    LIST = 3
    COMPRESS = 4
    UNCOMPRESS = 5


@dataclass(slots=True)
class Field:
    name: str
    value: str | bytes | Message | list[str]
    type: FieldType = FieldType.STRING


def _type_of(value: str | bytes | Message | list[str]) -> FieldType:
    if value.__class__ is str:
        return FieldType.STRING
    if isinstance(value, str):
        return FieldType.STRING
    if isinstance(value, bytes):
        return FieldType.BINARY
    if isinstance(value, Message):
        return FieldType.STRUCT
    return FieldType.LIST


class WireLayout:
    """The shape of a flat message off the wire: field names (distinct) in wire order,
    which are binary (the others are strings), and where each name is. Shared by every
    message of that shape, never changed."""

    __slots__ = ("binary", "index", "names", "strings")

    def __init__(self, names: Sequence[str], binary: AbstractSet[str]) -> None:
        self.names = tuple(names)
        self.binary = frozenset(binary)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.strings = {name: i for name, i in self.index.items() if name not in self.binary}

    def build(self, raws: Sequence[bytes]) -> list[Field]:
        binary = self.binary
        return [
            Field(name, raw, FieldType.BINARY)
            if name in binary
            else Field(name, raw.decode("utf-8", "surrogateescape"), FieldType.STRING)
            for name, raw in zip(self.names, raws, strict=True)
        ]


class Message:
    """An ordered, typed field list with Heartbeat's add/modify semantics."""

    __slots__ = ("_fields", "_raws", "_wire")

    def __init__(self, *pairs: tuple[str, str | bytes | Message | list[str]]) -> None:
        self._fields: list[Field] | None = [Field(n, v, _type_of(v)) for n, v in pairs]
        self._wire: WireLayout | None = None
        self._raws: Sequence[bytes] = ()

    @classmethod
    def of_strings(cls, pairs: Sequence[tuple[str, str]]) -> Message:
        """A message of string fields only (our heartbeat's own, built every keepalive)."""
        msg = cls.__new__(cls)
        msg._fields = [Field(name, value, FieldType.STRING) for name, value in pairs]
        msg._wire = None
        msg._raws = ()
        return msg

    @classmethod
    def from_wire(cls, layout: WireLayout, raws: Sequence[bytes]) -> Message:
        """A message read from the wire: ``raws`` are the values of ``layout``'s fields."""
        msg = cls.__new__(cls)
        msg._fields = None
        msg._wire = layout
        msg._raws = raws
        return msg

    @property
    def fields(self) -> list[Field]:
        fields = self._fields
        if fields is None:
            assert self._wire is not None
            fields = self._fields = self._wire.build(self._raws)
            self._wire, self._raws = None, ()  # from now on the list is the message
        return fields

    @fields.setter
    def fields(self, fields: list[Field]) -> None:
        self._fields = fields
        self._wire, self._raws = None, ()

    def add(self, name: str, value: str | bytes | Message | list[str]) -> Message:
        """Append a field (even if one of that name exists)."""
        fields = self._fields
        (self.fields if fields is None else fields).append(Field(name, value, _type_of(value)))
        return self

    def set(self, name: str, value: str | bytes | Message | list[str]) -> Message:
        """Replace the first field of that name in place, or append it."""
        fields = self._fields
        for f in self.fields if fields is None else fields:
            if f.name == name:
                f.value = value
                f.type = _type_of(value)
                return self
        return self.add(name, value)

    def remove(self, name: str) -> None:
        self.fields = [f for f in self.fields if f.name != name]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The string value of the first field ``name`` (None if absent or not a string)."""
        wire = self._wire
        if wire is not None:
            i = wire.strings.get(name)
            return default if i is None else self._raws[i].decode("utf-8", "surrogateescape")
        for f in self._fields or ():
            if f.name == name:
                return f.value if isinstance(f.value, str) else default
        return default

    def strings(self, *names: str) -> list[str | None]:
        """:meth:`get` of each of ``names``, in one call (the receive path reads several)."""
        wire = self._wire
        if wire is None:
            return [self.get(name) for name in names]
        at, raws = wire.strings.get, self._raws
        return [
            None if (i := at(name)) is None else raws[i].decode("utf-8", "surrogateescape")
            for name in names
        ]

    def get_bytes(self, name: str) -> bytes | None:
        wire = self._wire
        if wire is not None:
            i = wire.index.get(name)
            return None if i is None or name not in wire.binary else self._raws[i]
        for f in self._fields or ():
            if f.name == name and isinstance(f.value, bytes):
                return f.value
        return None

    def __contains__(self, name: object) -> bool:
        wire = self._wire
        if wire is not None:
            return name in wire.index
        return any(f.name == name for f in self._fields or ())

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        wire = self._wire
        return len(wire.names) if wire is not None else len(self.fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return [(f.name, f.type, f.value) for f in self.fields] == [
            (f.name, f.type, f.value) for f in other.fields
        ]

    def __hash__(self) -> int:  # mutable: identity hash would lie about equality
        raise TypeError("Message is mutable and unhashable")

    def copy(self) -> Message:
        if self._wire is not None:
            return Message.from_wire(self._wire, self._raws)  # neither ever changes
        m = Message()
        m._fields = [Field(f.name, f.value, f.type) for f in self.fields]
        return m

    @property
    def type(self) -> str | None:
        return self.get("t")

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}={f.value!r}" for f in self.fields)
        return f"Message({inner})"
