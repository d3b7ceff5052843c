"""Stacked classes: back-to-back workouts of one discipline as one activity.

Pure functions, no I/O: :func:`group` finds the stacks among candidate workouts from their
start and end times, :func:`stack_id` names a stack from its members, and
:func:`stack_workouts` builds the one :class:`~peloton_export.model.Workout` every format
writes and every sink delivers. The run step that uses them is
:meth:`peloton_export.export.exporter.Exporter.run`; the rules are in docs/stacks.md.

The stacked workout:

* ``id`` is :func:`stack_id` of the members, ``start`` the first class's start, ``end`` the
  last one's end, ``parts`` the member ids in start order;
* samples, GPS fixes, sets and targets keep their wall-clock times; their active offsets
  continue from one class to the next (class *k* starts at the active seconds of the
  classes before it), so the gap between two classes is a pause: elapsed time includes it,
  timer time does not; cumulative distances continue too;
* one lap per class (trigger ``segment``, named after the class), starting at the class's
  first reading (so the pause before a class ends the lap before it), at that reading's
  wall-clock time, and carrying the class's own Peloton summary (calories, work, distance,
  average power and cadence), which every format writes as that lap's totals;
* totals are sums (calories, work, distance, strokes, ascent, pause time, time in each
  heart-rate zone when the classes share their zones), maxima the largest; averages are
  left to the writers, which compute them from the samples (so they are time-weighted);
* the title names the classes (:func:`stacked_title`); the instructor is kept when every
  class had the same one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from peloton_export.config import parse_bool
from peloton_export.errors import SettingError
from peloton_export.model import ExerciseSet, GpsPoint, HeartRateZone, Lap, Sample, TargetRange, Workout

__all__ = [
    "DEFAULT_GAP_S",
    "MAX_CLASS_S",
    "MAX_GAP_S",
    "MAX_MEMBERS",
    "MAX_OVERRUN_S",
    "Candidate",
    "StackSettings",
    "group",
    "near_neighbours",
    "stack_id",
    "stack_workouts",
    "stacked_title",
]

#: Seconds allowed between the end of one class and the start of the next (``stack_gap_s``).
DEFAULT_GAP_S = 60
#: The largest ``stack_gap_s`` accepted (an hour apart is not one session).
MAX_GAP_S = 3600
#: The most classes in one stack; a longer run of back-to-back classes starts a new stack.
MAX_MEMBERS = 10
#: The longest class considered when looking for neighbours (Peloton classes last at most 2 h).
MAX_CLASS_S = 6 * 3600
#: The most seconds a class's samples may run past its ``end_time`` into the next class's
#: start and the two still stack (Peloton's graphs overrun by up to about a minute).
MAX_OVERRUN_S = 90
#: The prefix of every stack id (a Peloton workout id is 32 hex digits, so they never clash).
STACK_PREFIX = "stack-"
_TITLE_LIMIT = 64
#: The fewest characters of each title worth showing; below it a title says "+ N more".
_MIN_SHARE = 8


@dataclass(frozen=True, slots=True)
class StackSettings:
    """``stack`` (``auto`` or ``off``), ``stack_gap_s`` (s) and ``stack_parts`` of a run."""

    enabled: bool = False
    gap_s: int = DEFAULT_GAP_S
    parts: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, str] | None) -> StackSettings:
        """Read ``stack``, ``stack_gap_s`` and ``stack_parts`` (``--option`` or config).

        :raises SettingError: a value other than ``auto``/``off``, a gap that is not a whole
            number of seconds in ``0..MAX_GAP_S``, or ``stack_parts`` not true/false.
        """
        options = options or {}

        def bad(key: str, problem: str) -> SettingError:
            return SettingError("peloton-export", key, options.get(key) or "", problem, label=key)

        mode = (options.get("stack") or "off").strip().lower()
        if mode not in ("auto", "off"):
            raise bad("stack", f"must be auto or off, not {mode!r}")
        gap_text = (options.get("stack_gap_s") or str(DEFAULT_GAP_S)).strip()
        try:
            gap = int(gap_text)
        except ValueError:
            raise bad("stack_gap_s", f"must be a whole number of seconds, not {gap_text!r}") from None
        if not 0 <= gap <= MAX_GAP_S:
            raise bad("stack_gap_s", f"must be between 0 and {MAX_GAP_S}, not {gap}")
        parts = parse_bool(
            (options.get("stack_parts") or "").strip() or None,
            what="stack_parts",
            setting=("peloton-export", "stack_parts"),
        )
        return cls(enabled=mode == "auto", gap_s=gap, parts=parts)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A workout that may join a stack: its id, discipline and UTC epoch start/end (s).

    ``end`` is the normalized end (:attr:`Workout.end <peloton_export.model.Workout.end>`:
    Peloton's ``end_time``, moved to the last sample when the samples run past it), the same
    end :func:`stack_workouts` builds with; ``overrun_s`` is how far it was moved (s).
    """

    workout_id: str
    discipline: str
    start: float
    end: float
    overrun_s: float = 0.0

    @classmethod
    def of(cls, workout: Workout, overrun_s: float = 0.0) -> Candidate:
        """The candidate of a normalized workout."""
        return cls(
            workout.id, workout.discipline, workout.start.timestamp(), workout.end.timestamp(), overrun_s
        )


def group(
    candidates: Iterable[Candidate], gap_s: float, *, max_members: int = MAX_MEMBERS
) -> list[tuple[str, ...]]:
    """The stacks among ``candidates``: tuples of two or more ids in start order.

    A class joins the stack before it when it has the same discipline, starts at or after
    the previous class's end and at most ``gap_s`` seconds later, and the stack has fewer
    than ``max_members`` classes. Overlapping workouts never stack, except where the
    previous class's samples ran past its ``end_time`` (:func:`allowed_overlap`).
    Candidates with unusable times (not finite, end before start) stay alone.
    """
    usable = sorted(
        (c for c in candidates if math.isfinite(c.start) and math.isfinite(c.end) and c.end >= c.start),
        key=lambda c: (c.start, c.workout_id),
    )
    stacks: list[tuple[str, ...]] = []
    run: list[Candidate] = []
    for item in usable:
        if run and _follows(run[-1], item, gap_s) and len(run) < max_members:
            run.append(item)
            continue
        if len(run) > 1:
            stacks.append(tuple(c.workout_id for c in run))
        run = [item]
    if len(run) > 1:
        stacks.append(tuple(c.workout_id for c in run))
    return stacks


def near_neighbours(starts: Iterable[tuple[str, str | None, float]], gap_s: float) -> set[str]:
    """Ids of workouts ``(id, discipline or None, start epoch s)`` with another workout of
    the same (or an unknown) discipline starting within :data:`MAX_CLASS_S` + ``gap_s``
    seconds: only those can be in a stack, so only their end times need reading."""
    reach = MAX_CLASS_S + gap_s
    ordered = sorted(starts, key=lambda item: item[2])
    near: set[str] = set()
    for i, (workout_id, discipline, start) in enumerate(ordered):
        for other_id, other_discipline, other_start in ordered[i + 1 :]:
            if other_start - start > reach:
                break
            if discipline is None or other_discipline is None or discipline == other_discipline:
                near.update((workout_id, other_id))
    return near


def allowed_overlap(overrun_s: float) -> float:
    """Seconds a class may overlap the next one: its samples' overrun past ``end_time``, at
    most :data:`MAX_OVERRUN_S` (its own ``end_time`` is still before the next start)."""
    return min(max(overrun_s, 0.0), MAX_OVERRUN_S) if math.isfinite(overrun_s) else 0.0


def _follows(previous: Candidate, item: Candidate, gap_s: float) -> bool:
    gap = item.start - previous.end
    return item.discipline == previous.discipline and -allowed_overlap(previous.overrun_s) <= gap <= gap_s


def stack_id(member_ids: Iterable[str]) -> str:
    """``stack-`` and 24 hex digits of SHA-256 over the sorted member ids (order-free, stable)."""
    text = "\n".join(sorted(member_ids))
    return STACK_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def stacked_title(titles: Sequence[str], limit: int = _TITLE_LIMIT) -> str:
    """The classes' titles joined by `` + ``, within ``limit`` characters.

    Too long: a last word every title shares (``Ride``) is said once, at the end; still too
    long: each title is cut to an equal share (ending in ``…``); when that share would be
    under :data:`_MIN_SHARE` characters, the first title and ``+ N more``.
    """
    parts = [" ".join(t.split()) or "Class" for t in titles]
    joined = " + ".join(parts)
    if len(joined) <= limit or len(parts) < 2:
        return joined[:limit]
    last_words = {p.rsplit(" ", 1)[-1] for p in parts if " " in p}
    if len(last_words) == 1 and all(" " in p for p in parts):
        word = last_words.pop()
        short = " + ".join(p.rsplit(" ", 1)[0] for p in parts) + f" {word}"
        if len(short) <= limit:
            return short
    share = (limit - 3 * (len(parts) - 1)) // len(parts)
    if share < _MIN_SHARE:  # too many classes to name each: the first one, and how many more
        more = f" + {len(parts) - 1} more"
        room = max(limit - len(more), 1)
        first = parts[0] if len(parts[0]) <= room else parts[0][: room - 1].rstrip() + "…"
        return (first + more)[:limit]
    cut = [p if len(p) <= share else p[: share - 1].rstrip() + "…" for p in parts]
    return " + ".join(cut)[:limit]


def _active_s(workout: Workout) -> int:
    """Active seconds of one class: its timer time, or its last sample's offset, whichever is later."""
    timer = math.ceil(workout.timer_s) if math.isfinite(workout.timer_s) and workout.timer_s > 0 else 0
    last = max((s.offset for s in workout.samples), default=0)
    last_fix = max((p.offset for p in workout.track), default=0)
    return max(timer, last, last_fix, 1)


def _first_offset(workout: Workout) -> int:
    """The first active second with a reading (where the class's lap of a stack begins)."""
    offsets = [s.offset for s in workout.samples] + [p.offset for p in workout.track]
    return max(min(offsets, default=0), 0)


def _class_distance(workout: Workout) -> float:
    """The distance of one class (m): its summary, else the largest cumulative reading."""
    if workout.distance_m is not None and math.isfinite(workout.distance_m):
        return workout.distance_m
    seen = [s.distance_m for s in workout.samples if s.distance_m is not None]
    seen += [p.distance_m for p in workout.track if p.distance_m is not None]
    return max((d for d in seen if math.isfinite(d)), default=0.0)


def _total(values: Iterable[float | None]) -> float | None:
    """The sum of the known values, ``None`` when none is known."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    return sum(known) if known else None


def _known(value: float | None) -> float | None:
    """``value`` when it is a finite number, else ``None``."""
    return value if value is not None and math.isfinite(value) else None


def _largest(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None and math.isfinite(v)]
    return max(known) if known else None


def _shifted_samples(
    workout: Workout, shift: int, distance_before: float, until: datetime | None
) -> list[Sample]:
    return [
        replace(
            s,
            offset=s.offset + shift,
            time=s.time if until is None else min(s.time, until),
            distance_m=None if s.distance_m is None else s.distance_m + distance_before,
        )
        for s in workout.samples
    ]


def _shifted_track(
    workout: Workout, shift: int, distance_before: float, segment_base: int, until: datetime | None
) -> list[GpsPoint]:
    return [
        replace(
            p,
            offset=p.offset + shift,
            time=p.time if until is None else min(p.time, until),
            distance_m=None if p.distance_m is None else p.distance_m + distance_before,
            segment=p.segment + segment_base,
        )
        for p in workout.track
    ]


def _shifted_targets(workout: Workout, shift: int, length: int) -> list[TargetRange]:
    """The class's targets on the stack's clock; an inclusive end is clipped to the class's
    last active second (``length - 1``), so it never reaches into the next class."""
    return [
        replace(t, start_offset=t.start_offset + shift, end_offset=min(t.end_offset, length - 1) + shift)
        for t in workout.targets
        if t.start_offset < length
    ]


def _shifted_sets(workout: Workout, shift: int, index_base: int) -> list[ExerciseSet]:
    return [replace(s, start_offset=s.start_offset + shift, index=s.index + index_base) for s in workout.sets]


def _zones(members: Sequence[Workout]) -> tuple[HeartRateZone, ...]:
    """The zones with their times summed when every class reported the same zones, else none."""
    first = members[0].heart_rate_zones
    shape = [(z.number, z.name, z.min_bpm, z.max_bpm) for z in first]
    if not first or any(
        [(z.number, z.name, z.min_bpm, z.max_bpm) for z in m.heart_rate_zones] != shape for m in members
    ):
        return ()
    return tuple(
        replace(zone, duration_s=_total(m.heart_rate_zones[i].duration_s for m in members))
        for i, zone in enumerate(first)
    )


@dataclass(slots=True)
class _Builder:
    """The parts of the stacked workout, filled class by class."""

    samples: list[Sample]
    track: list[GpsPoint]
    targets: list[TargetRange]
    sets: list[ExerciseSet]
    laps: list[Lap]
    active: int = 0
    distance: float = 0.0

    def add(self, index: int, workout: Workout, until: datetime | None = None) -> None:
        """Append one class; ``until`` is the next class's start when this one's samples run
        past it (their wall-clock times are then held at it, so times never run backwards)."""
        shift, length = self.active, _active_s(workout)
        begin = 0 if index == 0 else min(shift + _first_offset(workout), shift + length - 1)
        segment_base = max((p.segment for p in self.track), default=-1) + 1
        self.samples += _shifted_samples(workout, shift, self.distance, until)
        self.track += _shifted_track(workout, shift, self.distance, segment_base, until)
        self.targets += _shifted_targets(workout, shift, length)
        self.sets += _shifted_sets(workout, shift, len(self.sets))
        end = max(workout.end, workout.start + timedelta(seconds=length))
        self.laps.append(
            Lap(
                index=index,
                start_offset=begin,
                end_offset=shift + length,
                start=workout.start + timedelta(seconds=begin - shift),  # the wall time of ``begin``
                end=end,
                name=workout.title,
                trigger="segment",
                calories_kcal=_known(workout.calories_kcal),
                total_work_j=_known(workout.total_work_j),
                distance_m=_known(workout.distance_m),
                avg_power_w=_known(workout.avg_power_w),
                avg_cadence_rpm=_known(workout.avg_cadence_rpm),
            )
        )
        self.active += length
        self.distance += _class_distance(workout)


def stack_workouts(
    members: Sequence[Workout], identifier: str | None = None, *, overrun_s: Mapping[str, float] | None = None
) -> Workout:
    """One workout made of ``members`` (two or more classes of one discipline, any order).

    :param identifier: the stacked workout's id (default :func:`stack_id` of the members).
    :param overrun_s: per class id, how far its end was moved past ``end_time`` (s): it may
        overlap the next class by that much (:func:`allowed_overlap`), as :func:`group` allows;
        its lap then ends where the next class starts.
    :raises ValueError: fewer than two members, different disciplines, or classes that overlap.
    """
    overrun = overrun_s or {}
    if len(members) < 2:
        raise ValueError("a stack needs at least two classes")
    ordered = sorted(members, key=lambda w: (w.start, w.id))
    if len({w.discipline for w in ordered}) != 1:
        raise ValueError("the classes of a stack must share one discipline")
    for before, after in pairwise(ordered):
        allowed = timedelta(seconds=allowed_overlap(overrun.get(before.id, 0.0)))
        if after.start < before.end - allowed:
            raise ValueError(f"workouts {before.id} and {after.id} overlap")
    built = _Builder([], [], [], [], [])
    held: list[str] = []
    for index, workout in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        until = following.start if following is not None and workout.end > following.start else None
        if until is not None:
            held.append(f"{(workout.end - until).total_seconds():.0f} s of {workout.id}")
        built.add(index, workout, until)
    for i, (lap, after) in enumerate(zip(built.laps, ordered[1:], strict=False)):
        if lap.end > after.start:  # samples past end_time: the lap ends where the next class starts
            built.laps[i] = replace(lap, end=max(after.start, lap.start))
    first, last = ordered[0], ordered[-1]
    end = max(built.laps[-1].end, last.end)
    elapsed = (end - first.start).total_seconds()
    return replace(
        first,
        id=identifier or stack_id(w.id for w in ordered),
        start=first.start,
        end=end,
        elapsed_s=elapsed,
        timer_s=float(built.active),
        title=stacked_title([w.title for w in ordered]),
        pause_s=max(elapsed - built.active, 0.0),
        ride_id=None,
        strava_id=None,  # Peloton shared each class on its own, never the stack
        samples=tuple(built.samples),
        laps=tuple(built.laps),
        track=tuple(built.track),
        sets=tuple(built.sets),
        targets=tuple(built.targets),
        parts=tuple(w.id for w in ordered),
        **_totals(ordered, held),
    )


def _totals(ordered: Sequence[Workout], held: Sequence[str] = ()) -> dict[str, Any]:
    """The summed, largest and shared fields of the stacked workout (``held``: the classes
    whose last samples ran into the next one, for the note)."""
    notes = tuple(note for w in ordered for note in w.notes)
    if held:
        notes += (
            "samples ran past the next class's start ("
            + ", ".join(held)
            + "); their times are held at that start",
        )
    instructors = {w.instructor for w in ordered}
    return {
        "instructor": instructors.pop() if len(instructors) == 1 else None,
        "calories_kcal": _total(w.calories_kcal for w in ordered),
        "total_work_j": _total(w.total_work_j for w in ordered),
        "distance_m": _total(w.distance_m for w in ordered),
        "ftp_w": _largest(w.ftp_w for w in ordered),
        "max_heart_rate_bpm": _largest(w.max_heart_rate_bpm for w in ordered),
        "heart_rate_zones": _zones(ordered),
        "is_outdoor": any(w.is_outdoor for w in ordered),
        "notes": notes,
        "warnings": tuple(
            f"class {w.id} {line}" if len(ordered) > 1 else line for w in ordered for line in w.warnings
        ),
        "ascent_m": _total(w.ascent_m for w in ordered),
        "strokes": _summed_strokes(ordered),
        # Peloton's averages are per class: the stack's come from its joined series.
        "avg_power_w": None,
        "avg_cadence_rpm": None,
    }


def _summed_strokes(members: Sequence[Workout]) -> int | None:
    known = [w.strokes for w in members if w.strokes is not None]
    return sum(known) if known else None
