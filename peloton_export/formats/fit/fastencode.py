"""Our own FIT encoder for the messages peloton-export writes, checked by Garmin's.

:class:`FastFitWriter` takes the same ``(message name, fields)`` pairs as the checked SDK
wrapper :class:`peloton_export.formats.fit.adapter.FitWriter` and gives a file that Garmin's SDK
decoder and fitparse read to the same messages and field values (``tests/test_fit_fast.py``
checks every demo kind, every recorded fixture, the golden inputs and field edge cases
against the SDK's ``Encoder``), no larger. It refuses exactly what ``FitWriter`` refuses,
with the same :class:`~peloton_export.formats.fit.adapter.FitEncodeError` (workout, message, field).

How it is fast (about 10x and more the SDK's encoder on an hour of 1 Hz records, see
``benchmarks/bench_fit.py``):

* one layout per local message definition, computed once per process and kept: the
  definition's bytes, one precompiled ``struct.Struct`` for its data message, and per field
  the conversion (FIT epoch seconds, ``round((value + offset) * scale)``, enum name to
  number) and the range check of :mod:`peloton_export.formats.fit.adapter`;
* consecutive messages with the same fields (the record stream) are a run: each field is
  converted and checked as one column (type set, ``min``/``max`` against the adapter's
  bounds, a finite sum), and the run is packed with one ``struct`` call per message, so no
  Python code runs per value; a column that fails the quick test is checked value by value
  with the adapter's own rules, which name the bad value;
* the CRC (FIT's CRC-16) is computed once over the finished buffer, two bytes per step
  with a 65,536-entry table built on first use.

Local message numbers are given as the SDK gives them (0..15 in turn, an identical
definition reused), so the files have the same definitions and sizes. Compressed
timestamp headers and developer fields are not used: compressed timestamps would save
4 bytes a record but limit a file to 4 local definitions and are ignored or misread by
some third-party FIT readers, and peloton-export writes no value that needs a developer
field. ``fit.encoder=sdk`` (see :class:`peloton_export.formats.fit.encode.FitOptions`) writes
through Garmin's ``Encoder`` instead.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from garmin_fit_sdk import Profile
from garmin_fit_sdk import fit as _sdk_fit

from peloton_export.formats.fit.adapter import FIT_EPOCH_S, FitEncodeError, _rules

__all__ = ["FastFitWriter", "fit_crc"]

_HEADER_SIZE = 14
_MIN_DATE_TIME = 0x10000000
_MAX_DATE_TIME = 0xFFFFFFFE
_FLOAT32_MAX = 3.4028234663852886e38

# -- CRC -------------------------------------------------------------------------------------

_CRC_NIBBLES = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def _crc_byte(crc: int, byte: int) -> int:
    """FIT's CRC-16 (the SDK's nibble algorithm) advanced by one byte."""
    tmp = _CRC_NIBBLES[crc & 0xF]
    crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_NIBBLES[byte & 0xF]
    tmp = _CRC_NIBBLES[crc & 0xF]
    return ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_NIBBLES[(byte >> 4) & 0xF]


_CRC8: list[int] = [_crc_byte(0, b) for b in range(256)]  # a 256-entry table: cheap
_CRC16: list[int] = []


def _crc16_table() -> list[int]:
    """The 65,536-entry table: the CRC register after two bytes, indexed by register ^ word.

    FIT's CRC is reflected, so after XOR-ing a little-endian 16-bit word into the register
    the next 16 steps depend on that value alone; built once per process (about 20 ms).
    """
    if not _CRC16:
        step = _CRC8
        first = [(x >> 8) ^ step[x & 0xFF] for x in range(256)]  # one zero byte after x's low byte
        _CRC16.extend(
            (first[lo] >> 8) ^ step[(first[lo] ^ hi) & 0xFF] for hi in range(256) for lo in range(256)
        )
    return _CRC16


def fit_crc(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """FIT's CRC-16 of ``data`` (continuing from ``crc``), as the SDK's ``CrcCalculator``."""
    view = memoryview(data).cast("B")
    even = len(view) & ~1
    if even >= 512:
        table = _crc16_table()
        words = view[:even].cast("H") if _LITTLE else struct.unpack(f"<{even // 2}H", view[:even])
        for word in words:
            crc = table[crc ^ word]
    else:
        even = 0
    table8 = _CRC8
    for byte in view[even:]:
        crc = (crc >> 8) ^ table8[(crc ^ byte) & 0xFF]
    return crc


_LITTLE = struct.pack("=H", 1) == b"\x01\x00"

# -- field layouts ----------------------------------------------------------------------------

# kinds of conversion
_INT, _SCALED, _FLOAT, _DATE_TIME, _ENUM, _STRING = range(6)


class _Field:
    """How one profile field is defined, converted and checked."""

    __slots__ = (
        "array",
        "base",
        "check",
        "code",
        "enum",
        "hi",
        "kind",
        "lo",
        "name",
        "num",
        "offset",
        "scale",
        "size",
    )

    def __init__(self, message: str, profile: Mapping[str, Any]) -> None:
        self.name = str(profile["name"])
        self.num = int(profile["num"])
        base_name = str(profile["base_type"])
        self.base = _sdk_fit.FIELD_TYPE_TO_BASE_TYPE[base_name]
        definition = _sdk_fit.BASE_TYPE_DEFINITIONS[self.base]
        self.size = int(definition["size"])
        self.code = str(definition["type_code"])
        self.array = profile.get("array") == "true"
        rules = _rules(message)
        assert rules is not None
        self.check = rules.checks[self.name]
        field_type = str(profile["type"])
        if len(profile.get("components") or []) > 1:
            scale, offset = 1.0, 0.0
        else:
            scale, offset = _first(profile.get("scale"), 1), _first(profile.get("offset"), 0)
        self.scale, self.offset = scale, offset
        self.enum: dict[str, int] = {}
        self.lo, self.hi = -math.inf, math.inf
        lo, hi = _BOUNDS.get(base_name, (0, 0xFE))
        if field_type == "date_time":
            self.kind = _DATE_TIME
        elif field_type == "string":
            self.kind = _STRING
        elif field_type == "local_date_time":
            self.kind, self.lo, self.hi = _INT, 0, 0xFFFFFFFE
        elif field_type in Profile["types"] and field_type not in _BOUNDS:
            self.kind = _ENUM
            self.enum = {str(v): int(k) for k, v in Profile["types"][field_type].items()}
        elif base_name in ("float32", "float64"):
            self.kind = _FLOAT
            limit = _FLOAT32_MAX if base_name == "float32" else math.inf
            self.lo, self.hi = -limit, limit
        elif scale == 1 and offset == 0:
            self.kind, self.lo, self.hi = _INT, lo, hi
        else:
            self.kind = _SCALED
            self.lo, self.hi = lo / scale - offset, hi / scale - offset

    def stored(self, value: Any) -> Any:
        """One checked value as the SDK stores it (a list for an array field)."""
        if self.kind == _STRING:
            values = value if type(value) is list else [value]
            return b"".join(v.encode("utf-8") + b"\x00" for v in values)
        if type(value) is list:
            return [self._one(v) for v in value]
        return self._one(value)

    def _one(self, value: Any) -> Any:
        kind = self.kind
        if kind == _DATE_TIME:
            return int(value.timestamp()) - FIT_EPOCH_S if type(value) is datetime else value
        if kind == _SCALED:
            return round((value + self.offset) * self.scale)
        if kind == _FLOAT:
            return value if self.scale == 1 and self.offset == 0 else (value + self.offset) * self.scale
        if kind == _ENUM:
            return self.enum[value] if type(value) is str else value
        return value


def _first(value: object, default: float) -> float:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int | float) else default


# stored range (excluding the invalid value) per base type, as the adapter's
_BOUNDS: dict[str, tuple[int, int]] = {
    "enum": (0, 0xFE),
    "sint8": (-0x80, 0x7E),
    "uint8": (0, 0xFE),
    "sint16": (-0x8000, 0x7FFE),
    "uint16": (0, 0xFFFE),
    "sint32": (-0x80000000, 0x7FFFFFFE),
    "uint32": (0, 0xFFFFFFFE),
    "uint8z": (1, 0xFF),
    "uint16z": (1, 0xFFFF),
    "uint32z": (1, 0xFFFFFFFF),
    "byte": (0, 0xFE),
    "sint64": (-0x8000000000000000, 0x7FFFFFFFFFFFFFFE),
    "uint64": (0, 0xFFFFFFFFFFFFFFFE),
    "uint64z": (1, 0xFFFFFFFFFFFFFFFF),
}


class _MessageType:
    """The fields of one profile message, by name (built once per process)."""

    __slots__ = ("fields", "known", "name", "num", "variable")

    def __init__(self, name: str) -> None:
        rules = _rules(name)
        if rules is None:
            raise KeyError(name)
        self.name = name
        self.num = rules.num
        profile = Profile["messages"][self.num]["fields"].values()
        self.fields = {str(p["name"]): _Field(name, p) for p in profile}
        #: fields whose size depends on the value (strings, arrays)
        self.variable = frozenset(n for n, f in self.fields.items() if f.array or f.kind == _STRING)
        #: key tuples whose names were checked
        self.known: set[tuple[str, ...]] = set()


_TYPES: dict[str, _MessageType] = {}

#: consecutive messages with the same fields: type, names, sizes (strings, arrays), the messages
_Run = tuple[_MessageType, tuple[str, ...], tuple[int, ...], list[Mapping[str, object]]]


class _Layout:
    """One local message definition: its bytes, its data ``struct`` and its fields in order."""

    __slots__ = ("definition", "fields", "identity", "packer", "simple")

    def __init__(self, mtype: _MessageType, names: tuple[str, ...], sizes: tuple[int, ...]) -> None:
        self.fields = tuple(mtype.fields[n] for n in names)
        body = bytearray((0, 0))  # reserved, little-endian architecture
        body += struct.pack("<HB", mtype.num, len(names))
        codes = ["<B"]
        for field, size in zip(self.fields, sizes, strict=True):
            body += bytes(
                (field.num, size, field.base | _sdk_fit.BASE_TYPE_DEFINITIONS[field.base]["endian_flag"])
            )
            codes.append(f"{size}s" if field.kind == _STRING else field.code * (size // field.size))
        self.definition = bytes(body)
        self.packer = struct.Struct("".join(codes))
        #: the SDK reuses a local definition with the same global number and field set
        self.identity = (
            mtype.num,
            frozenset((f.num, s, f.base) for f, s in zip(self.fields, sizes, strict=True)),
        )
        self.simple = not any(f.array and f.kind != _STRING for f in self.fields)


_LAYOUTS: dict[tuple[str, tuple[str, ...], tuple[int, ...]], _Layout] = {}


def _message_type(name: str) -> _MessageType | None:
    mtype = _TYPES.get(name)
    if mtype is None:
        try:
            mtype = _TYPES[name] = _MessageType(name)
        except KeyError:
            return None
    return mtype


def _field_size(field: _Field, value: Any) -> int:
    if field.kind == _STRING:
        values = value if type(value) is list else [value]
        return sum(len(v.encode("utf-8")) + 1 for v in values)
    return field.size * (len(value) if type(value) is list else 1)


# -- the writer -----------------------------------------------------------------------------


class FastFitWriter:
    """Encodes checked messages into one FIT file, as :class:`~peloton_export.formats.fit.adapter.FitWriter`.

    Usage::

        writer = FastFitWriter(workout_id="abc")
        writer.write("file_id", {"type": "activity", ...})
        data = writer.close()

    ``write`` checks the message's field names (and that it has a value); the values are
    converted and checked when the file is encoded in :meth:`close`, column by column.

    :raises FitEncodeError: from :meth:`write` for an unknown message or field name or a
        message without a value, from :meth:`close` for a value out of range or of the
        wrong kind (the same rules and wording as ``FitWriter``).
    """

    def __init__(self, workout_id: str) -> None:
        self.workout_id = workout_id
        self._runs: list[_Run] = []
        self._last: tuple[str, tuple[str, ...], tuple[int, ...]] | None = None
        # the message and keys of the last message when it had no None and no string or
        # array: the same keys again extend its run at once (the record stream)
        self._plain: tuple[str, tuple[str, ...]] | None = None
        self._rows: list[Mapping[str, object]] = []
        self._closed = False

    def _fail(self, reason: str, message: str, field: str | None = None) -> FitEncodeError:
        return FitEncodeError(reason, workout_id=self.workout_id, message=message, field=field)

    def write(self, message: str, fields: Mapping[str, object]) -> None:
        """Queue one message (``None`` values are left out, as the SDK does)."""
        plain = self._plain
        if (
            plain is not None
            and plain[1] == tuple(fields)
            and plain[0] == message
            and None not in fields.values()
        ):
            self._rows.append(fields)
            return
        self._write(message, fields)

    def _write(self, message: str, fields: Mapping[str, object]) -> None:
        if self._closed:
            raise self._fail("the file is already closed", message)
        mtype = _TYPES.get(message) or _message_type(message)
        if mtype is None:
            raise self._fail("no such message in the FIT profile", message)
        keys = names = tuple(fields)
        if names not in mtype.known:
            self._check_names(mtype, names)
        if None in fields.values():
            names = tuple(k for k, v in fields.items() if v is not None)
            if not names:
                raise self._fail("the message has no value to write", message)
        sizes: tuple[int, ...] = ()
        if mtype.variable and not mtype.variable.isdisjoint(names):
            sizes = tuple(self._size(mtype, n, fields[n]) for n in names)
        self._plain = (message, keys) if names is keys and not sizes else None
        key = (message, names, sizes)
        if key == self._last:
            self._rows.append(fields)
        else:
            self._last = key
            self._rows = [fields]
            self._runs.append((mtype, names, sizes, self._rows))

    def _check_names(self, mtype: _MessageType, names: tuple[str, ...]) -> None:
        for key in names:
            if key not in mtype.fields:
                raise self._fail("no such field in the FIT profile (the SDK would drop it)", mtype.name, key)
        if not names:
            raise self._fail("the message has no value to write", mtype.name)
        mtype.known.add(names)

    def _size(self, mtype: _MessageType, name: str, value: object) -> int:
        field = mtype.fields[name]
        if name not in mtype.variable:
            return field.size
        problem = field.check(value)
        if problem is not None:
            raise self._fail(problem, mtype.name, name)
        return _field_size(field, value)

    def close(self) -> bytes:
        """Encode every message; return the file (header, definitions, data, CRC)."""
        self._closed = True
        self._plain = None
        out = bytearray(_HEADER_SIZE)
        slots: list[tuple[Any, ...] | None] = [None] * 16
        active: dict[tuple[Any, ...], tuple[int, _Layout]] = {}
        next_local = 0
        for mtype, names, sizes, rows in self._runs:
            layout_key = (mtype.name, names, sizes or tuple(mtype.fields[n].size for n in names))
            layout = _LAYOUTS.get(layout_key)
            if layout is None:
                layout = _LAYOUTS[layout_key] = _Layout(mtype, names, layout_key[2])
            found = active.get(layout.identity)
            if found is None:
                local = next_local & 0x0F
                next_local += 1
                old = slots[local]
                if old is not None:
                    del active[old]
                slots[local] = layout.identity
                active[layout.identity] = (local, layout)
                out.append(0x40 | local)
                out += layout.definition
            else:
                local, layout = found  # the SDK writes values in the kept definition's order
            out += self._pack(mtype.name, local, layout, rows)
        self._runs = []
        data_size = len(out) - _HEADER_SIZE
        header = struct.pack("<BBHI4s", _HEADER_SIZE, 0x20, _PROFILE_VERSION, data_size, b".FIT")
        out[0:12] = header
        out[12:14] = struct.pack("<H", fit_crc(header))
        out += struct.pack("<H", fit_crc(out))
        return bytes(out)

    def _pack(self, message: str, local: int, layout: _Layout, rows: Sequence[Mapping[str, object]]) -> bytes:
        fields = layout.fields
        by_field: Iterator[Sequence[Any]]
        if len(fields) > 1:
            by_field = zip(*map(itemgetter(*(f.name for f in fields)), rows), strict=True)
        else:
            by_field = iter([tuple(row[fields[0].name] for row in rows)])
        columns = [
            self._column(message, field, values) for field, values in zip(fields, by_field, strict=False)
        ]
        pack = layout.packer.pack
        if layout.simple:
            return b"".join(map(pack, repeat(local, len(rows)), *columns))
        out = []
        for values in zip(*columns, strict=True):
            flat: list[Any] = [local]
            for value in values:
                if type(value) is list:
                    flat.extend(value)
                else:
                    flat.append(value)
            out.append(pack(*flat))
        return b"".join(out)

    def _column(self, message: str, field: _Field, values: Sequence[Any]) -> Sequence[Any]:
        """The stored values of one field over a run, checked (quickly when the column allows)."""
        kind = field.kind
        if not field.array and kind != _STRING:
            try:
                stored = _QUICK[kind](field, values)
            except (ValueError, OverflowError, TypeError, AttributeError):
                stored = None
            if stored is not None:
                return stored
        check = field.check
        for value in values:
            problem = check(value)
            if problem is not None:
                raise self._fail(problem, message, field.name)
        try:
            return [field.stored(v) for v in values]
        except (ValueError, OverflowError, TypeError, KeyError) as exc:  # pragma: no cover - checked above
            raise self._fail(str(exc), message, field.name) from exc


_PROFILE_VERSION = int(Profile["version"]["major"]) * 1000 + int(Profile["version"]["minor"])

_NUMBERS = frozenset((int, float))


def _quick_int(field: _Field, values: Sequence[Any]) -> Sequence[Any] | None:
    if set(map(type, values)) != {int} or min(values) < field.lo or max(values) > field.hi:
        return None
    return values


def _quick_scaled(field: _Field, values: Sequence[Any]) -> Sequence[Any] | None:
    if not set(map(type, values)) <= _NUMBERS or not math.isfinite(sum(values)):
        return None
    if min(values) < field.lo or max(values) > field.hi:
        return None
    offset, scale = field.offset, field.scale
    if offset == 0:
        return [round(v * scale) for v in values]
    return [round((v + offset) * scale) for v in values]


def _quick_float(field: _Field, values: Sequence[Any]) -> Sequence[Any] | None:
    if not set(map(type, values)) <= _NUMBERS or not math.isfinite(sum(values)):
        return None
    if min(values) < field.lo or max(values) > field.hi:
        return None
    if field.scale == 1 and field.offset == 0:
        return values
    return [(v + field.offset) * field.scale for v in values]


def _quick_date_time(field: _Field, values: Sequence[Any]) -> Sequence[Any] | None:
    if set(map(type, values)) != {datetime} or any(v.tzinfo is None for v in values):
        return None
    seconds = [v.timestamp() for v in values]
    if min(seconds) - FIT_EPOCH_S < _MIN_DATE_TIME or max(seconds) - FIT_EPOCH_S > _MAX_DATE_TIME:
        return None
    return [int(s) - FIT_EPOCH_S for s in seconds]


def _quick_none(field: _Field, values: Sequence[Any]) -> Sequence[Any] | None:
    return None  # enums and strings: value by value (few messages carry them)


_QUICK: dict[int, Callable[[_Field, Sequence[Any]], Sequence[Any] | None]] = {
    _INT: _quick_int,
    _SCALED: _quick_scaled,
    _FLOAT: _quick_float,
    _DATE_TIME: _quick_date_time,
    _ENUM: _quick_none,
    _STRING: _quick_none,
}
