"""The kinds, and the public entry points that build one workout or a stream of them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

from peloton_export.raw import RawWorkout
from peloton_export.testing.synth import cycling, floor, outdoor, rowing, running, strength
from peloton_export.testing.synth._common import DEFAULT_START, Ctx, check_units, person_for

#: The standard demo set, in the order ``peloton-export --demo`` shows it.
STANDARD_KINDS: tuple[str, ...] = (
    "cycling_class",
    "just_ride",
    "tread_run",
    "outdoor_run",
    "row",
    "strength",
    "strength_2023",
    "meditation",
    "paused_ride",
    "metric_ride",
)
#: Every kind: the standard set first, then edge cases for tests.
KINDS: tuple[str, ...] = (
    *STANDARD_KINDS,
    "bike_bootcamp",
    "scenic_ended_early",
    "empty",
    "in_progress",
    "imported",
    "yoga",
)
#: The default mix of :func:`synth_workouts` with a count (weights of a typical member).
_MIX: tuple[str, ...] = (
    "cycling_class",
    "cycling_class",
    "cycling_class",
    "just_ride",
    "tread_run",
    "outdoor_run",
    "cycling_class",
    "row",
    "strength",
    "cycling_class",
    "metric_ride",
    "meditation",
    "tread_run",
    "paused_ride",
    "strength_2023",
    "cycling_class",
)

_BUILDERS: dict[str, Callable[[Ctx], RawWorkout]] = {
    **cycling.BUILDERS,
    **running.BUILDERS,
    **outdoor.BUILDERS,
    **rowing.BUILDERS,
    **strength.BUILDERS,
    **floor.BUILDERS,
}
_DEFAULT_UNITS = {"metric_ride": "metric"}


def synth_workout(
    kind: str,
    *,
    seed: int = 0,
    start: datetime | None = None,
    duration_s: int | None = None,
    every_n: int = 1,
    units: str | None = None,
) -> RawWorkout:
    """One synthetic workout of ``kind`` (see :data:`KINDS`).

    :param seed: picks every random choice; the same arguments give the same JSON.
    :param start: the workout's ``start_time`` (default :data:`DEFAULT_START`).
    :param duration_s: the class length in seconds instead of the kind's usual one.
    :param every_n: sample every N seconds, as ``performance_graph?every_n=N`` does.
    :param units: ``"imperial"`` or ``"metric"`` (the user's display preference); the
        default is the kind's (metric for ``metric_ride``, else imperial).
    """
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"unknown demo kind {kind!r}; expected one of {', '.join(KINDS)}")
    if every_n < 1:
        raise ValueError(f"every_n must be at least 1, not {every_n}")
    if duration_s is not None and not 60 <= duration_s <= 6 * 3600:
        raise ValueError(f"duration_s must be between 60 and 21600 seconds, not {duration_s}")
    when = start if start is not None else DEFAULT_START
    if when.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    ctx = Ctx(
        kind=kind,
        rng=random.Random(f"peloton-export-demo:{kind}:{seed}"),
        start=int(when.timestamp()),
        duration_s=duration_s,
        every_n=every_n,
        units=check_units(units or _DEFAULT_UNITS.get(kind, "imperial")),
        person=person_for(0),
    )
    return builder(ctx)


def synth_workouts(
    count: int | None = None,
    *,
    seed: int = 0,
    duration_s: int | None = None,
    kinds: Sequence[str] | None = None,
    start: datetime | None = None,
) -> Iterator[RawWorkout]:
    """Synthetic workouts, newest first, one day apart going back from ``start``.

    ``count=None`` gives :data:`STANDARD_KINDS` once; ``count=N`` gives N workouts cycling
    through ``kinds`` (default: a realistic mix of the standard kinds), each with its own
    seed. Lazy: each workout is built only when the iterator reaches it.
    """
    if count is not None and count < 0:
        raise ValueError(f"count must not be negative, not {count}")
    order = tuple(kinds) if kinds is not None else (STANDARD_KINDS if count is None else _MIX)
    if not order:
        raise ValueError("kinds must not be empty")
    for kind in order:
        if kind not in _BUILDERS:
            raise ValueError(f"unknown demo kind {kind!r}; expected one of {', '.join(KINDS)}")
    first = start if start is not None else DEFAULT_START
    total = len(order) if count is None else count
    return _iterate(order, total, seed, duration_s, first)


def _iterate(
    order: tuple[str, ...], total: int, seed: int, duration_s: int | None, first: datetime
) -> Iterator[RawWorkout]:
    """The generator behind :func:`synth_workouts` (arguments already checked)."""
    for i in range(total):
        yield synth_workout(
            order[i % len(order)],
            seed=seed * 1_000_003 + i,
            duration_s=duration_s,
            start=first - timedelta(days=i),
        )
