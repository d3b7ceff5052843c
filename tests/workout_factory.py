"""Realistic :class:`Workout` values built in code, for writer tests and benchmarks.

Every builder is deterministic (a seeded ``random.Random``), so tests can compare bytes.
Import it as ``tests.workout_factory`` (with the project root on ``sys.path``) or, as the
TCX/GPX tests and ``benchmarks/bench_xml_writers.py`` do, put ``tests/`` on ``sys.path`` and
``import workout_factory``. It defines no classes, so loading it twice is harmless.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from peloton_export.model import GpsPoint, Lap, Sample, Workout

START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
HOSTILE_TITLE = "30 min <Power> & \"Zone\" 'Ride' 🚴‍♀️🔥 </Notes><script>alert(1)</script> ]]>"


def _laps(start: datetime, bounds: Sequence[tuple[int, int]], names: Sequence[str] = ()) -> tuple[Lap, ...]:
    return tuple(
        Lap(
            index=i,
            start_offset=a,
            end_offset=b,
            start=start + timedelta(seconds=a),
            end=start + timedelta(seconds=b),
            name=names[i] if i < len(names) else f"Segment {i + 1}",
            trigger="segment",
        )
        for i, (a, b) in enumerate(bounds)
    )


def _workout(**fields: Any) -> Workout:
    start: datetime = fields.setdefault("start", START)
    fields.setdefault("end", start + timedelta(seconds=fields.get("elapsed_s", 0)))
    return Workout(**fields)


def cycling(
    minutes: int = 60,
    *,
    laps: int = 3,
    seed: int = 1,
    hr_missing_first_s: int = 5,
    start: datetime = START,
    **overrides: Any,
) -> Workout:
    """An indoor ride: 1 Hz power, cadence, resistance, speed, distance, heart rate, laps.

    Offsets run 1..``minutes*60``; heart rate is missing for the first few seconds.
    """
    rng = random.Random(seed)
    duration = minutes * 60
    samples: list[Sample] = []
    distance = 0.0
    for offset in range(1, duration + 1):
        phase = offset / duration
        power = 150 + 80 * math.sin(phase * 12 * math.pi) + rng.uniform(-15, 15)
        cadence = 85 + 10 * math.sin(phase * 7 * math.pi) + rng.uniform(-3, 3)
        speed = 7.0 + power / 60.0
        distance += speed
        hr = None if offset <= hr_missing_first_s else int(110 + 50 * phase + rng.uniform(-3, 3))
        samples.append(
            Sample(
                offset=offset,
                time=start + timedelta(seconds=offset),
                power_w=round(power, 1),
                cadence_rpm=round(cadence, 1),
                resistance_pct=40.0 + 10 * phase,
                speed_mps=round(speed, 3),
                heart_rate_bpm=hr,
                distance_m=round(distance, 2),
            )
        )
    step = duration // laps if laps else duration
    bounds = [(i * step, duration if i == laps - 1 else (i + 1) * step) for i in range(laps)]
    fields: dict[str, Any] = {
        "id": f"ride{seed:028d}",
        "discipline": "cycling",
        "start": start,
        "elapsed_s": float(duration + 30),
        "timer_s": float(duration),
        "title": f"{minutes} min Power Zone Ride",
        "instructor": "Denis Morton",
        "calories_kcal": 601.4,
        "total_work_j": sum(s.power_w or 0 for s in samples),
        "distance_m": distance,
        "samples": tuple(samples),
        "laps": _laps(start, bounds) if laps else (),
    }
    fields.update(overrides)
    return _workout(**fields)


def outdoor_run(
    minutes: int = 30,
    *,
    sample_every_s: int = 5,
    dropout: tuple[int, int] = (600, 660),
    start: datetime = START,
    **overrides: Any,
) -> Workout:
    """An outdoor run: 1 Hz GPS with altitude, a GPS dropout, and sparser samples.

    The dropout ``[a, b)`` has no fixes; fixes after it are in segment 1. Samples (heart
    rate, step cadence, speed, distance) come only every ``sample_every_s`` seconds, so the
    GPS fixes outnumber them.
    """
    duration = minutes * 60
    lat0, lon0 = 40.7128, -74.0060
    track: list[GpsPoint] = []
    samples: list[Sample] = []
    distance = 0.0
    for offset in range(0, duration + 1):
        speed = 3.0 + 0.3 * math.sin(offset / 90)
        distance += speed if offset else 0.0
        if not dropout[0] <= offset < dropout[1]:
            track.append(
                GpsPoint(
                    offset=offset,
                    time=start + timedelta(seconds=offset),
                    latitude=lat0 + offset * 2.1e-5,
                    longitude=lon0 + 0.002 * math.sin(offset / 300),
                    altitude_m=10.0 + 8 * math.sin(offset / 400),
                    accuracy_m=4.0,
                    distance_m=round(distance, 2),
                    segment=0 if offset < dropout[0] else 1,
                )
            )
        if offset and offset % sample_every_s == 0:
            samples.append(
                Sample(
                    offset=offset,
                    time=start + timedelta(seconds=offset),
                    cadence_rpm=168.0 + (offset % 7),
                    speed_mps=round(speed, 3),
                    heart_rate_bpm=140 + offset % 20,
                    altitude_m=None,
                    distance_m=round(distance, 2),
                )
            )
    fields: dict[str, Any] = {
        "id": "run" + "0" * 29,
        "discipline": "running",
        "is_outdoor": True,
        "start": start,
        "elapsed_s": float(duration),
        "timer_s": float(duration),
        "title": "30 min Outdoor Run",
        "instructor": "Becs Gentry",
        "calories_kcal": 350.0,
        "distance_m": distance,
        "samples": tuple(samples),
        "track": tuple(track),
        "laps": _laps(start, [(0, 900), (900, duration)]),
    }
    fields.update(overrides)
    return _workout(**fields)


def rowing(minutes: int = 20, *, start: datetime = START, **overrides: Any) -> Workout:
    """A row (Peloton's ``caesar`` discipline): power, stroke rate, speed, distance, HR."""
    duration = minutes * 60
    samples: list[Sample] = []
    distance = 0.0
    for offset in range(0, duration):
        speed = 3.8 + 0.4 * math.sin(offset / 60)
        distance += speed
        samples.append(
            Sample(
                offset=offset,
                time=start + timedelta(seconds=offset),
                power_w=140.0 + 30 * math.sin(offset / 45),
                cadence_rpm=24.0 + 4 * math.sin(offset / 80),
                speed_mps=round(speed, 3),
                heart_rate_bpm=120 + offset % 30,
                distance_m=round(distance, 2),
            )
        )
    fields: dict[str, Any] = {
        "id": "row" + "0" * 29,
        "discipline": "caesar",
        "start": start,
        "elapsed_s": float(duration),
        "timer_s": float(duration - 1),
        "title": "20 min Endurance Row",
        "calories_kcal": 210.0,
        "distance_m": distance,
        "samples": tuple(samples),
    }
    fields.update(overrides)
    return _workout(**fields)


def strength(minutes: int = 20, *, start: datetime = START, **overrides: Any) -> Workout:
    """A strength class without any samples, laps or GPS."""
    fields: dict[str, Any] = {
        "id": "str" + "0" * 29,
        "discipline": "strength",
        "start": start,
        "elapsed_s": float(minutes * 60),
        "timer_s": float(minutes * 60),
        "title": "20 min Upper Body Strength",
        "instructor": "Adrian Williams",
        "calories_kcal": 143.0,
    }
    fields.update(overrides)
    return _workout(**fields)


def meditation(**overrides: Any) -> Workout:
    """A meditation with nothing but times (no calories either)."""
    fields: dict[str, Any] = {"discipline": "meditation", "title": "10 min Sleep Meditation"}
    fields.update(overrides)
    return strength(10, calories_kcal=None, **fields)


def with_gaps(**overrides: Any) -> Workout:
    """A 20-minute ride whose samples skip offsets 300..419 and 900..904 (sensor dropouts)."""
    ride = cycling(20, laps=2, seed=7)
    kept = tuple(s for s in ride.samples if not (300 <= s.offset < 420 or 900 <= s.offset < 905))
    return replace(ride, samples=kept, title="Ride with gaps", **overrides)


def metric(**overrides: Any) -> Workout:
    """A ride from a metric-units account (the model is SI either way)."""
    return cycling(15, laps=1, seed=3, units="metric", title="15 min Metric Ride", **overrides)


def hostile(**overrides: Any) -> Workout:
    """A short ride whose title and instructor try to break out of the XML."""
    return cycling(
        5,
        laps=1,
        seed=5,
        title=HOSTILE_TITLE,
        instructor='Olivia <"O\'Love"> & ]]>',
        notes=("note \x00 with a NUL and \x0b control", "Ünïcödé ✓"),
        **overrides,
    )


def extreme_values(**overrides: Any) -> Workout:
    """A short ride with out-of-range and missing readings to exercise clamping."""
    start = START
    values: list[tuple[float | None, float | None, int | None]] = [
        (250.0, 300.0, 0),  # cadence above 254, HR 0 ("no reading")
        (-5.0, -3.0, None),  # negative power and cadence, HR missing
        (70000.0, 254.4, 300),  # power above unsignedShort, HR above 255
        (float("nan"), 90.0, 150),  # NaN power
        (200.0, None, 151),  # cadence missing
    ]
    samples = tuple(
        Sample(
            offset=i + 1,
            time=start + timedelta(seconds=i + 1),
            power_w=p,
            cadence_rpm=c,
            heart_rate_bpm=h,
        )
        for i, (p, c, h) in enumerate(values)
    )
    fields: dict[str, Any] = {
        "id": "ext" + "0" * 29,
        "discipline": "cycling",
        "start": start,
        "elapsed_s": 5.0,
        "timer_s": 5.0,
        "title": "Extremes",
        "calories_kcal": 3.0,
        "samples": samples,
    }
    fields.update(overrides)
    return _workout(**fields)


def all_workouts() -> dict[str, Workout]:
    """Every builder's default workout, by name (for parametrized tests)."""
    return {
        "cycling": cycling(),
        "outdoor_run": outdoor_run(),
        "rowing": rowing(),
        "strength": strength(),
        "meditation": meditation(),
        "gaps": with_gaps(),
        "metric": metric(),
        "hostile": hostile(),
        "extreme": extreme_values(),
        "bootcamp": cycling(10, laps=0, discipline="bike_bootcamp", title="Bike Bootcamp"),
        "walking_outdoor": outdoor_run(10, discipline="walking", title="Outdoor Walk", laps=()),
    }
