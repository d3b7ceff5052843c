"""The checked FIT writer: every value checked against the profile, then our encoder.

The official SDK silently masks out-of-range integers to the field's width (power 70,000 W
is stored as 4,464 W) and silently drops keys that are not in its profile (a typo such as
``heartrate`` vanishes). :class:`FitWriter` refuses both: every message's field names are
checked against ``garmin_fit_sdk.Profile`` and every value against the range its base type,
scale and offset allow. A failure raises :class:`FitEncodeError`, whose message names the
workout, the message and the field. Nothing is clamped or rounded away silently.

Rules per field kind:

* integer fields without scale or offset take an ``int`` (not a ``bool``, not a ``float``:
  the SDK would truncate 120.7 to 120); callers round first;
* scaled fields and ``float32``/``float64`` fields take an ``int`` or a finite ``float``;
* the valid range excludes the base type's "invalid" value (``0xFF`` for ``uint8``, ``0`` for
  the ``z`` types); scaled ranges are expressed in physical units (altitude -500..12,606.8 m);
* enum fields take a profile name (``"indoor_cycling"``) or an ``int`` in the base-type range;
* ``date_time`` fields take a timezone-aware ``datetime`` (a naive one would be read as the
  host's local time) or an ``int`` FIT timestamp; both must be on or after 1998-07-05
  (``0x10000000``, below which FIT reads a value as a relative system time);
* ``local_date_time`` takes an ``int``; ``string`` takes a ``str`` without NUL of at most
  254 UTF-8 bytes;
* array fields take a list of values that each follow the rules above.

Cost: field names are checked once per distinct key tuple of each message type; values are
checked with a precomputed rule per field, so the checks add a few milliseconds to an hour
of 1 Hz records. The checked messages are encoded by :mod:`peloton_export.formats.fit.encoder`
(the same bytes as ``garmin_fit_sdk.Encoder``, which the tests keep as the oracle).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from garmin_fit_sdk import Profile

from peloton_export.errors import ExportError
from peloton_export.formats.fit.encoder import FIT_EPOCH_S, encode_messages

__all__ = ["FIT_EPOCH_S", "FitEncodeError", "FitWriter", "field_names"]

_MIN_DATE_TIME = 0x10000000
_MAX_FIELD_BYTES = 255

# base type name -> (smallest valid stored value, largest valid stored value, is float)
_BASE_RANGES: dict[str, tuple[int, int, bool]] = {
    "enum": (0, 0xFE, False),
    "sint8": (-0x80, 0x7E, False),
    "uint8": (0, 0xFE, False),
    "sint16": (-0x8000, 0x7FFE, False),
    "uint16": (0, 0xFFFE, False),
    "sint32": (-0x80000000, 0x7FFFFFFE, False),
    "uint32": (0, 0xFFFFFFFE, False),
    "uint8z": (1, 0xFF, False),
    "uint16z": (1, 0xFFFF, False),
    "uint32z": (1, 0xFFFFFFFF, False),
    "byte": (0, 0xFE, False),
    "sint64": (-0x8000000000000000, 0x7FFFFFFFFFFFFFFE, False),
    "uint64": (0, 0xFFFFFFFFFFFFFFFE, False),
    "uint64z": (1, 0xFFFFFFFFFFFFFFFF, False),
    "float32": (0, 0, True),
    "float64": (0, 0, True),
}
_FLOAT32_MAX = 3.4028234663852886e38
_SIZES = {
    "sint16": 2,
    "uint16": 2,
    "uint16z": 2,
    "sint32": 4,
    "uint32": 4,
    "uint32z": 4,
    "float32": 4,
    "float64": 8,
    "sint64": 8,
    "uint64": 8,
    "uint64z": 8,
}

Check = Callable[[object], str | None]


class FitEncodeError(ExportError):
    """A value or field name the FIT profile cannot hold; names workout, message and field."""

    def __init__(self, reason: str, *, workout_id: str, message: str, field: str | None = None):
        self.workout_id = workout_id
        self.message = message
        self.field = field
        where = f"workout {workout_id}, FIT message {message!r}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


def _first(value: object, default: float) -> float:
    if isinstance(value, list):
        value = value[0] if value else None
    return float(value) if isinstance(value, int | float) else default


def _fmt(value: float) -> str:
    return f"{value:g}" if math.isfinite(value) else str(value)


def _int_check(lo: int, hi: int, units: str) -> Check:
    def check(value: object) -> str | None:
        if type(value) is int and lo <= value <= hi:
            return None
        if type(value) is not int:
            return f"expected an int, got {type(value).__name__} {value!r}"
        return f"value {value} is outside {lo}..{hi}{units}"

    return check


def _scaled_check(lo: float, hi: float, units: str) -> Check:
    def check(value: object) -> str | None:
        kind = type(value)
        if (kind is float or kind is int) and lo <= value <= hi:  # type: ignore[operator]
            return None
        if kind is not float and kind is not int:
            return f"expected a number, got {kind.__name__} {value!r}"
        return f"value {_fmt(float(value))} is outside {_fmt(lo)}..{_fmt(hi)}{units}"  # type: ignore[arg-type]

    return check


def _enum_check(type_name: str, names: frozenset[str], lo: int, hi: int) -> Check:
    def check(value: object) -> str | None:
        if type(value) is str:
            if value in names:
                return None
            return f"{value!r} is not a {type_name} name in the FIT profile"
        if type(value) is int and lo <= value <= hi:
            return None
        return f"expected a {type_name} name or an int in {lo}..{hi}, got {value!r}"

    return check


def _date_time_check(value: object) -> str | None:
    if type(value) is datetime:
        if value.tzinfo is None:
            return f"naive datetime {value.isoformat()} (it would be read as the host's local time)"
        seconds = value.timestamp() - FIT_EPOCH_S
        if _MIN_DATE_TIME <= seconds <= 0xFFFFFFFE:
            return None
        return f"datetime {value.isoformat()} is outside the FIT date_time range"
    if type(value) is int:
        if _MIN_DATE_TIME <= value <= 0xFFFFFFFE:
            return None
        return f"FIT timestamp {value} is outside {_MIN_DATE_TIME}..{0xFFFFFFFE}"
    return f"expected a timezone-aware datetime or an int, got {type(value).__name__}"


def _string_check(value: object) -> str | None:
    if type(value) is not str:
        return f"expected a str, got {type(value).__name__}"
    if "\x00" in value:
        return "the string contains a NUL character"
    if len(value.encode("utf-8")) + 1 > _MAX_FIELD_BYTES:
        return f"the string is longer than {_MAX_FIELD_BYTES - 1} UTF-8 bytes"
    return None


def _array_check(element: Check, size: int) -> Check:
    def check(value: object) -> str | None:
        values = value if type(value) is list else [value]
        if not values:
            return "an empty list"
        if size * len(values) > _MAX_FIELD_BYTES:
            return f"{len(values)} values do not fit in one FIT field"
        for item in values:
            if item is None:
                return "a list item is None"
            problem = element(item)
            if problem is not None:
                return f"item {item!r}: {problem}"
        return None

    return check


def _field_check(field: Mapping[str, Any]) -> Check:
    base = str(field["base_type"])
    field_type = str(field["type"])
    lo_raw, hi_raw, is_float = _BASE_RANGES.get(base, (0, 0xFE, False))
    units_value = field.get("units")
    units = units_value[0] if isinstance(units_value, list) and units_value else units_value
    unit_text = f" {units}" if isinstance(units, str) and units else ""
    check: Check
    if field_type in ("date_time",):
        check = _date_time_check
    elif field_type == "local_date_time":
        check = _int_check(0, 0xFFFFFFFE, "")
    elif field_type == "string":
        check = _string_check
    elif field_type in Profile["types"] and field_type not in _BASE_RANGES:
        names = frozenset(str(v) for v in Profile["types"][field_type].values())
        check = _enum_check(field_type, names, lo_raw, hi_raw)
    else:
        if len(field.get("components") or []) > 1:
            scale, offset = 1.0, 0.0
        else:
            scale, offset = _first(field.get("scale"), 1.0), _first(field.get("offset"), 0.0)
        if is_float:
            limit = _FLOAT32_MAX if base == "float32" else math.inf
            check = _scaled_check(-limit, limit, unit_text)
        elif scale == 1.0 and offset == 0.0:
            check = _int_check(lo_raw, hi_raw, unit_text)
        else:
            check = _scaled_check(lo_raw / scale - offset, hi_raw / scale - offset, unit_text)
    if field.get("array") == "true":
        return _array_check(check, _SIZES.get(base, 1))
    return check


class _MessageRules:
    """Precomputed checks of one FIT message type."""

    __slots__ = ("checks", "known_keys", "name", "num")

    def __init__(self, name: str) -> None:
        self.name = name
        try:
            self.num: int = Profile["mesg_num"][name.upper()]
        except KeyError:
            raise KeyError(name) from None
        fields = Profile["messages"][self.num]["fields"].values()
        self.checks: dict[str, Check] = {str(f["name"]): _field_check(f) for f in fields}
        self.known_keys: set[tuple[str, ...]] = set()


_RULES: dict[str, _MessageRules] = {}


def _rules(message: str) -> _MessageRules | None:
    rules = _RULES.get(message)
    if rules is None:
        try:
            rules = _RULES[message] = _MessageRules(message)
        except KeyError:
            return None
    return rules


def field_names(message: str) -> frozenset[str]:
    """The field names the FIT profile defines for ``message`` (for example ``"record"``)."""
    rules = _rules(message)
    return frozenset(rules.checks) if rules else frozenset()


class FitWriter:
    """Encodes checked messages into one FIT file.

    Usage::

        writer = FitWriter(workout_id="abc")
        writer.write("file_id", {"type": "activity", ...})
        data = writer.close()

    :raises FitEncodeError: from :meth:`write` for an unknown message or field name, a value
        out of range or of the wrong kind, or anything the SDK itself refuses.
    """

    def __init__(self, workout_id: str) -> None:
        self.workout_id = workout_id
        self._messages: list[tuple[str, Mapping[str, object]]] = []
        self._closed = False

    def _fail(self, reason: str, message: str, field: str | None = None) -> FitEncodeError:
        return FitEncodeError(reason, workout_id=self.workout_id, message=message, field=field)

    def check(self, message: str, fields: Mapping[str, object]) -> int:
        """Check ``fields`` for ``message`` without writing; return the message number."""
        rules = _rules(message)
        if rules is None:
            raise self._fail("no such message in the FIT profile", message)
        keys = tuple(fields)
        if keys not in rules.known_keys:
            checks = rules.checks
            for key in keys:
                if key not in checks:
                    raise self._fail("no such field in the FIT profile (the SDK would drop it)", message, key)
            rules.known_keys.add(keys)
        checks = rules.checks
        present = False
        for key, value in fields.items():
            if value is not None:
                present = True
                problem = checks[key](value)
                if problem is not None:
                    raise self._fail(problem, message, key)
        if not present:
            raise self._fail("the message has no value to write", message)
        return rules.num

    def write(self, message: str, fields: Mapping[str, object]) -> None:
        """Check one message and queue it (``None`` values are left out, as the SDK does).

        The caller must not change ``fields`` before :meth:`close`."""
        if self._closed:
            raise self._fail("the file is already closed", message)
        self.check(message, fields)
        self._messages.append((message, fields))

    def close(self) -> bytes:
        """Encode the messages written (header, data, CRC) and return the file's bytes."""
        self._closed = True
        messages, self._messages = self._messages, []
        try:
            return encode_messages(messages)
        except ValueError as exc:
            raise self._fail(str(exc), messages[-1][0] if messages else "file") from exc
