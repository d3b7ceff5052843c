"""Unit conversion dispatched on Peloton's display_unit."""

from __future__ import annotations

import logging
import math

import pytest

from peloton_export.workout import units
from peloton_export.workout.units import (
    distance_factor,
    distance_to_m,
    energy_to_j,
    finite_float,
    is_known,
    length_to_m,
    pace_to_mps,
    speed_converter,
    speed_to_mps,
    to_mps,
    unit_system,
    weight_to_kg,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (10.0, "mph", 4.4704),
        (10.0, "kph", 2.7777777777777777),
        (36, "km/h", 10.0),
        (3.0, "m/s", 3.0),
        (0, "mph", 0.0),
        (10.0, " MPH ", 4.4704),
    ],
)
def test_speed_units(value: float, unit: str, expected: float) -> None:
    assert speed_to_mps(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (10.0, "min/mi", 1609.344 / 600),
        (5.0, "min/km", 1000 / 300),
        (2.0, "min/500m", 500 / 120),
        (120, "sec/500m", 500 / 120),
    ],
)
def test_pace_units(value: float, unit: str, expected: float) -> None:
    assert pace_to_mps(value, unit) == pytest.approx(expected)
    assert to_mps(value, unit) == pytest.approx(expected)
    convert = speed_converter(unit)
    assert convert is not None and convert(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, 0, 0.0, -3.0, float("nan"), float("inf"), "7.5", True])
def test_pace_without_speed_is_none(value: object) -> None:
    assert pace_to_mps(value, "min/mi") is None


@pytest.mark.parametrize("value", [None, -1.0, float("nan"), float("-inf"), "12", False, [1]])
def test_bad_speed_values_are_none(value: object) -> None:
    assert speed_to_mps(value, "mph") is None
    convert = speed_converter("kph")
    assert convert is not None and convert(value) is None


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(1.53, "mi", 2462.29632), (8.37, "km", 8370.0), (1023.28, "m", 1023.28), (100, "ft", 30.48)],
)
def test_distance_units(value: float, unit: str, expected: float) -> None:
    assert distance_to_m(value, unit) == pytest.approx(expected)


def test_distance_rejects_negative_but_length_allows_it() -> None:
    assert distance_to_m(-1.0, "mi") is None
    assert length_to_m(-10, "ft") == pytest.approx(-3.048)
    assert distance_factor("ft") == pytest.approx(0.3048)


def test_energy_and_weight() -> None:
    assert energy_to_j(206, "kj") == 206_000
    assert energy_to_j(5, "J") == 5
    assert weight_to_kg(10, "lb") == pytest.approx(4.5359237)
    assert weight_to_kg(5, "kg") == 5
    assert weight_to_kg(-5, "kg") is None


@pytest.mark.parametrize(
    "call",
    [
        lambda: speed_to_mps(3, "furlong/fortnight"),
        lambda: pace_to_mps(3, "min/league"),
        lambda: to_mps(3, None),
        lambda: distance_to_m(3, "parsec"),
        lambda: length_to_m(3, 42),
        lambda: energy_to_j(3, "kcal"),
        lambda: weight_to_kg(3, "stone"),
    ],
)
def test_unknown_units_give_none_and_never_raise(call: object) -> None:
    assert callable(call)
    assert call() is None


def test_unknown_units_are_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    units.UNKNOWN_UNITS.discard(("speed", "warp"))
    with caplog.at_level(logging.WARNING, logger="peloton_export.units"):
        assert speed_to_mps(1, "warp") is None
        assert speed_to_mps(2, "warp") is None
        assert speed_converter("warp") is None
    assert ("speed", "warp") in units.UNKNOWN_UNITS
    assert sum("warp" in r.getMessage() for r in caplog.records) == 1


def test_unit_system() -> None:
    assert unit_system("mph") == "imperial"
    assert unit_system("min/mi") == "imperial"
    assert unit_system("mi") == "imperial"
    assert unit_system("kph") == "metric"
    assert unit_system("km") == "metric"
    assert unit_system("m") is None  # the Row reports metres to everybody
    assert unit_system("min/500m") is None
    assert unit_system(None) is None


def test_finite_float_and_is_known() -> None:
    assert finite_float(3) == 3.0
    assert finite_float(True) is None
    assert finite_float(float("nan")) is None
    assert finite_float(10**400) is None
    assert finite_float("3") is None
    assert is_known("kph") and is_known("min/500m") and is_known("lb")
    assert not is_known("bananas")
    assert math.isclose(units.METRES_PER_MILE, 1609.344)
