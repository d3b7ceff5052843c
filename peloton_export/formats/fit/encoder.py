"""Our FIT encoder: ``(message name, fields)`` pairs -> the bytes of one FIT file.

It writes the same bytes as ``garmin_fit_sdk.Encoder`` for the same messages (the SDK stays
the oracle: ``tests/unit/test_fit_encoder.py`` compares both encoders' files byte for byte
and through the SDK decoder and fitparse, for every demo kind, recorded fixture and golden
input), about ten times faster:

* the layout of each local message definition (field numbers, sizes, base types, and a
  precompiled :class:`struct.Struct`) is computed once per distinct set of fields;
* a run of consecutive messages with the same fields (the ``record`` stream) is converted
  column by column (scale and offset, FIT timestamps, enum names) and packed with one
  ``Struct.pack`` per message, without a Python call per field;
* the file CRC is computed once over the whole buffer, two bytes per step through a
  65,536-entry table (:func:`crc16`).

What the SDK does, this does too: ``None`` values are left out (a field only some messages
have gives another local definition), local message numbers are handed out 0..15 in turn
and a definition is reused when a later message has the same fields (in any order), names
the profile does not know are dropped, scaled values are ``round((value + offset) *
scale)``, a ``datetime`` is ``int(timestamp()) - FIT epoch``, an enum name is its profile
number, integers are masked to the field's width. Checking values (ranges, kinds, names) is
:class:`peloton_export.formats.fit.adapter.FitWriter`'s job, before this.

No developer fields and no compressed timestamps: the files stay the SDK's, byte for byte.

:raises ValueError: (from :func:`encode_messages`) an unknown message, a message without a
    value, a value of a kind its field cannot take, or a field larger than 255 bytes.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import repeat
from typing import Any

__all__ = ["FIT_EPOCH_S", "crc16", "encode_messages"]

FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z, the FIT epoch, in Unix seconds
_HEADER_SIZE = 14
_MAX_FIELD_SIZE = 255
_LOCAL_NUMS = 16

# base type name -> (base type number, size in bytes, struct code, signed, invalid value)
_BASE_TYPES: dict[str, tuple[int, int, str, bool, int]] = {
    "enum": (0x00, 1, "B", False, 0xFF),
    "sint8": (0x01, 1, "b", True, 0x7F),
    "uint8": (0x02, 1, "B", False, 0xFF),
    "sint16": (0x83, 2, "h", True, 0x7FFF),
    "uint16": (0x84, 2, "H", False, 0xFFFF),
    "sint32": (0x85, 4, "i", True, 0x7FFFFFFF),
    "uint32": (0x86, 4, "I", False, 0xFFFFFFFF),
    "string": (0x07, 1, "s", False, 0x00),
    "float32": (0x88, 4, "f", True, 0xFFFFFFFF),
    "float64": (0x89, 8, "d", True, 0xFFFFFFFFFFFFFFFF),
    "uint8z": (0x0A, 1, "B", False, 0x00),
    "uint16z": (0x8B, 2, "H", False, 0x0000),
    "uint32z": (0x8C, 4, "I", False, 0x00000000),
    "byte": (0x0D, 1, "B", False, 0xFF),
    "sint64": (0x8E, 8, "q", True, 0x7FFFFFFFFFFFFFFF),
    "uint64": (0x8F, 8, "Q", False, 0xFFFFFFFFFFFFFFFF),
    "uint64z": (0x90, 8, "Q", False, 0x0000000000000000),
}
_NUMERIC_TYPES = frozenset(n for n in _BASE_TYPES if n not in ("enum", "string"))
_FLOAT_TYPES = frozenset({"float32", "float64"})

# How a field's values become stored values.
_PLAIN, _SCALED, _SCALED_FLOAT, _DATE, _STRING, _ENUM = range(6)


# -- the CRC -------------------------------------------------------------------------------


@cache
def _crc_tables() -> tuple[list[int], list[int]]:
    """The byte table of FIT's CRC-16 (reflected polynomial 0xA001, CRC-16/ARC) and the
    two-byte table derived from it (built on first use, about 10 ms)."""
    byte_table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        byte_table.append(crc)
    # For a 16-bit register, two bytes w = b0 | b1 << 8 fed to state c give a state that
    # depends on x = c ^ w only: (T[x & 255] >> 8) ^ T[((x >> 8) ^ T[x & 255]) & 255].
    t = byte_table
    word_table = [(t[x & 255] >> 8) ^ t[((x >> 8) ^ t[x & 255]) & 255] for x in range(65536)]
    return byte_table, word_table


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """FIT's CRC-16 of ``data`` (continuing from ``crc``), as the FIT SDK computes it."""
    byte_table, word_table = _crc_tables()
    view = memoryview(data).cast("B")
    even = len(view) & ~1
    words = array("H")
    words.frombytes(view[:even])
    if sys.byteorder == "big":
        words.byteswap()
    for word in words:
        crc = word_table[crc ^ word]
    if even != len(view):
        crc = (crc >> 8) ^ byte_table[(crc ^ view[even]) & 0xFF]
    return crc


# -- the profile, per field ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """How one profile field is stored."""

    name: str
    num: int
    base: int  # base type number with the endian flag, as written in a definition
    unit: int  # bytes per value
    code: str  # struct code of one value
    signed: bool
    kind: int
    scale: float
    offset: float
    enum: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class _Message:
    num: int
    fields: Mapping[str, _Field]


def _first(value: object, default: float) -> float:
    if isinstance(value, list):
        value = value[0] if value else None
    return default if value is None else value  # type: ignore[return-value]


def _profile_field(field: Mapping[str, Any], types: Mapping[str, Mapping[int, str]]) -> _Field:
    """One profile field as the SDK's message definition and value transform see it."""
    base_name = str(field["base_type"])
    base, unit, code, signed, _invalid = _BASE_TYPES[base_name]
    field_type = str(field["type"])
    if len(field["components"]) > 1:
        scale, offset = 1.0, 0.0
    else:
        scale, offset = _first(field["scale"], 1), _first(field["offset"], 0)
    enum: dict[str, int] = {}
    if field_type in _NUMERIC_TYPES:
        if scale != 1 or offset != 0:
            kind = _SCALED_FLOAT if field_type in _FLOAT_TYPES else _SCALED
        else:
            kind = _PLAIN
    elif field_type in ("date_time", "local_date_time"):
        kind = _DATE
    elif field_type == "string":
        kind = _STRING
    else:
        kind = _ENUM
        for number, label in types.get(field_type, {}).items():
            enum.setdefault(label, number)  # the SDK takes the first number with the name
    return _Field(str(field["name"]), int(field["num"]), base, unit, code, signed, kind, scale, offset, enum)


@cache
def _message(name: str) -> _Message:
    """The profile of message ``name`` (``"record"``); :exc:`KeyError` when there is none."""
    from garmin_fit_sdk import Profile

    num = Profile["mesg_num"][name.upper()]
    types = Profile["types"]
    fields = {str(f["name"]): _profile_field(f, types) for f in Profile["messages"][num]["fields"].values()}
    return _Message(num, fields)


@cache
def _profile_version() -> int:
    from garmin_fit_sdk import Profile

    version = Profile["version"]
    return int(version["major"]) * 1000 + int(version["minor"])


# -- values --------------------------------------------------------------------------------


def _value(field: _Field, value: object) -> object:
    """One value as stored (the SDK's transform), before masking."""
    if value is None or not isinstance(value, int | float | str | datetime):
        raise ValueError(f"field {field.name!r}: {value!r} is not a number, string or date")
    kind = field.kind
    if kind in (_PLAIN, _SCALED, _SCALED_FLOAT):
        if isinstance(value, bool | str | datetime):
            raise ValueError(f"field {field.name!r}: {value!r} is not a number")
        if kind == _PLAIN:
            return value
        scaled = (value + field.offset) * field.scale
        return scaled if kind == _SCALED_FLOAT else round(scaled)
    if kind == _DATE:
        if isinstance(value, datetime):
            return int(value.timestamp()) - FIT_EPOCH_S
        if isinstance(value, str | bool):
            raise ValueError(f"field {field.name!r}: {value!r} is not a date")
        return value
    if kind == _STRING:
        if not isinstance(value, str):
            raise ValueError(f"field {field.name!r}: {value!r} is not a string")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value in field.enum:
        return field.enum[value]
    raise ValueError(f"field {field.name!r}: {value!r} is not a name of its profile type")


def _masked(field: _Field, value: object) -> object:
    """An integer cut to the field's width, as the SDK's output stream does."""
    if field.code in "fd":
        return value
    bits = field.unit * 8
    masked = int(value) & ((1 << bits) - 1)  # type: ignore[call-overload]
    if field.signed and masked >= 1 << (bits - 1):
        masked -= 1 << bits
    return masked


def _column(field: _Field, values: list[Any]) -> list[Any]:
    """A run's values of one field as stored: the fast path of :func:`_value`."""
    kind = field.kind
    if kind == _PLAIN:
        return values
    if kind == _SCALED:
        scale, offset = field.scale, field.offset
        if offset:
            return [round((v + offset) * scale) for v in values]
        return [round(v * scale) for v in values]
    if kind == _DATE:
        return [int(v.timestamp()) - FIT_EPOCH_S if type(v) is datetime else v for v in values]
    if kind == _ENUM:
        enum = field.enum
        return [enum[v] if type(v) is str else v for v in values]
    return [_value(field, v) for v in values]


def _field_size(field: _Field, value: object) -> int:
    values = value if isinstance(value, list) else [value]
    if field.kind == _STRING:
        return sum(len(str(v).encode("utf-8")) + 1 for v in values)
    return field.unit * len(values)


# -- definitions and layouts ---------------------------------------------------------------

#: A local definition's identity, as the SDK compares them: message number and the set of
#: (field number, size, base type).
_DefKey = tuple[int, frozenset[tuple[int, int, int]]]


@dataclass(frozen=True, slots=True)
class _Layout:
    """The fields of one local definition, in its order, and their sizes."""

    fields: tuple[tuple[_Field, int], ...]
    fixed: bool  # no strings, no arrays: every message packs with one Struct
    row: struct.Struct | None  # header byte + every field, for fixed layouts

    def definition(self, mesg_num: int, local: int) -> bytes:
        """The definition message for local number ``local``."""
        head = struct.pack("<BBBHB", 0x40 | local, 0, 0, mesg_num, len(self.fields))
        return head + b"".join(bytes((f.num, size, f.base & 0xFF)) for f, size in self.fields)


def _layout(fields: tuple[tuple[_Field, int], ...]) -> _Layout:
    fixed = all(f.kind != _STRING and size == f.unit for f, size in fields)
    row = struct.Struct("<B" + "".join(f.code for f, _ in fields)) if fixed else None
    return _Layout(fields, fixed, row)


def _pack_one(local: int, layout: _Layout, fields: Mapping[str, object]) -> bytes:
    """One data message, value by value (strings, arrays, values the fast path refused)."""
    parts = [bytes((local,))]
    for field, size in layout.fields:
        value = fields.get(field.name)
        if field.kind == _STRING:
            items = value if isinstance(value, list) else [value]
            text = "\x00".join(str(_value(field, v)) for v in items).encode("utf-8") + b"\x00"
            parts.append(struct.pack(f"{size}s", text))
            continue
        items = value if isinstance(value, list) else [value]
        stored = [_masked(field, _value(field, v)) for v in items]
        parts.append(struct.pack(f"<{len(stored)}{field.code}", *stored))
    return b"".join(parts)


class _Definitions:
    """The 16 local message numbers, handed out and reused as the SDK does."""

    def __init__(self, out: bytearray) -> None:
        self._out = out
        self._slots: list[_DefKey | None] = [None] * _LOCAL_NUMS
        self._active: dict[_DefKey, tuple[int, _Layout]] = {}
        self._next = 0

    def plan(
        self, mesg_num: int, fields: tuple[tuple[_Field, int], ...]
    ) -> tuple[_DefKey, int, _Layout, bool]:
        """The definition a message with ``fields`` uses: its key, local number, layout and
        whether it is new (nothing is written until :meth:`use`)."""
        key: _DefKey = (mesg_num, frozenset((f.num, size, f.base & 0x1F) for f, size in fields))
        found = self._active.get(key)
        if found is not None:
            return key, found[0], found[1], False
        for field, size in fields:
            if size > _MAX_FIELD_SIZE:
                raise ValueError(f"field {field.name!r} is larger than {_MAX_FIELD_SIZE} bytes")
        return key, self._next & 0x0F, _layout(fields), True

    def use(self, key: _DefKey, local: int, layout: _Layout, new: bool) -> None:
        """Write the definition :meth:`plan` gave, when it is new."""
        if not new:
            return
        self._next += 1
        old = self._slots[local]
        if old is not None:
            del self._active[old]
        self._slots[local] = key
        self._active[key] = (local, layout)
        self._out += layout.definition(key[0], local)

    def write_one(self, message: _Message, fields: Mapping[str, object]) -> None:
        """One message, value by value, with its definition when that is new."""
        key, local, layout, new = self.plan(message.num, _present(message, fields))
        data = _pack_one(local, layout, fields)
        self.use(key, local, layout, new)
        self._out += data


def _present(message: _Message, fields: Mapping[str, object]) -> tuple[tuple[_Field, int], ...]:
    """The profile fields of ``fields`` that have a value, with their sizes, in key order."""
    known = message.fields
    found = []
    for name, value in fields.items():
        if value is None:
            continue
        field = known.get(name)
        if field is not None:
            found.append((field, _field_size(field, value)))
    if not found:
        raise ValueError("the message has no field with a value")
    return tuple(found)


def encode_messages(messages: Iterable[tuple[str, Mapping[str, object]]]) -> bytes:
    """The FIT file (header, data, CRC) of ``messages``, the same bytes the SDK writes.

    :raises ValueError: an unknown message name, a message without a value, a value its
        field cannot take, a field over 255 bytes.
    """
    items: Sequence[tuple[str, Mapping[str, object]]] = (
        messages if isinstance(messages, Sequence) else list(messages)
    )
    out = bytearray(_HEADER_SIZE)
    defs = _Definitions(out)
    # (name, key tuple) -> the fields (and sizes) of messages with exactly these keys, no
    # None, no string and no list: what a run of records shares
    shapes: dict[tuple[str, tuple[str, ...]], tuple[tuple[_Field, int], ...]] = {}
    count = len(items)
    i = 0
    while i < count:
        name, fields = items[i]
        try:
            message = _message(name)
        except KeyError:
            raise ValueError(f"no message {name!r} in the FIT profile") from None
        keys = tuple(fields)
        present = shapes.get((name, keys))
        if present is None:
            if None in fields.values():
                defs.write_one(message, fields)
                i += 1
                continue
            present = _present(message, fields)
            if not all(f.kind != _STRING and size == f.unit for f, size in present):
                defs.write_one(message, fields)
                i += 1
                continue
            shapes[(name, keys)] = present  # no None, strings or lists: sizes are fixed
        # the run of following messages with the same name and keys
        j = i + 1
        while j < count:
            other_name, other = items[j]
            if other_name != name or len(other) != len(keys) or tuple(other) != keys:
                break
            j += 1
        run = [m for _, m in items[i:j]]
        key, local, layout, new = defs.plan(message.num, present)
        data = _pack_run(local, layout, run)
        if data is None:  # a None, a list, a value out of range: the SDK's way, one by one
            for fields in run:
                defs.write_one(message, fields)
        else:
            defs.use(key, local, layout, new)
            out += data
        i = j
    return _finish(out)


def _pack_run(local: int, layout: _Layout, run: list[Mapping[str, object]]) -> bytes | None:
    """Data messages of one fixed layout, converted per column and packed per message;
    ``None`` when a value needs the value-by-value path (a ``None`` or a list, which change
    the definition; a value to mask; a float in an integer field; a bad value, whose error
    that path raises)."""
    row = layout.row
    assert row is not None
    try:
        columns = [_column(field, [m[field.name] for m in run]) for field, _ in layout.fields]
        return b"".join(map(row.pack, repeat(local, len(run)), *columns))
    except (struct.error, TypeError, ValueError, KeyError, AttributeError, OverflowError):
        return None


def _finish(out: bytearray) -> bytes:
    """Fill in the header (with its CRC) and append the file CRC."""
    header = struct.pack("<BBHI4s", _HEADER_SIZE, 0x20, _profile_version(), len(out) - _HEADER_SIZE, b".FIT")
    out[:12] = header
    out[12:14] = struct.pack("<H", crc16(header))
    out += struct.pack("<H", crc16(out))
    return bytes(out)
