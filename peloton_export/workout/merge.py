"""Merge the user's own watch recordings (FIT or GPX) into Peloton workouts.

``--merge FILE_OR_DIR`` names one recording or a folder searched recursively for ``*.fit``
and ``*.gpx`` files. Recordings are read once per run (cached by path).

Matching rule (never a guess):

* a recording *overlaps* a workout when the time both cover, between first and last
  timestamp of each (workout: ``start`` to ``end``), is at least **50 % of the shorter of the
  two**;
* a workout is merged only when **exactly one** activity overlaps it. Recordings that start
  within :data:`SAME_ACTIVITY_S` seconds of each other (the FIT and the GPX a watch exports
  of one activity) are one activity, and the FIT is used. Two or more different activities
  are *ambiguous*: a warning names the files and nothing is merged. One recording may serve
  several workouts (stacked classes recorded as one watch activity);
* recordings that match no workout of the run are reported as *unmatched* at the end of the
  run (:meth:`MergeSource.report_unmatched`), and unreadable files when they are loaded.

What is filled, by timestamp (the watch value of the same second, or the nearest one at
most 2 s away):

* heart rate of every sample that has none; a workout with no samples at all (strength,
  yoga) gets one sample per watch heart-rate reading between its start and end;
* GPS, for outdoor workouts without a track only: every watch position between start and
  end becomes a track point.

Peloton's own values are never replaced. The workout gets a note naming the file.

Limit: Peloton places samples on its active clock (pauses left out), so in a workout that
was paused, samples after the pause sit earlier than the wall clock by up to the pause
length, and the heart rate filled into them is the watch's reading of that earlier second.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peloton_export.model import GpsPoint, Sample, Workout

__all__ = [
    "MIN_OVERLAP_FRACTION",
    "MergeSource",
    "Recording",
    "find_match",
    "load_recording",
    "merge_recording",
]

MIN_OVERLAP_FRACTION = 0.5
MAX_TIME_DIFF_S = 2
SUFFIXES = (".fit", ".gpx")
_SEMICIRCLE_DEG = 180.0 / 2**31


@dataclass(frozen=True, slots=True)
class Recording:
    """A watch recording: heart rate and positions by UTC epoch second."""

    path: Path
    start: datetime
    end: datetime
    heart_rate: tuple[tuple[int, int], ...] = ()
    positions: tuple[tuple[int, float, float, float | None], ...] = ()

    @property
    def name(self) -> str:
        """The file name, for messages."""
        return self.path.name


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _finite(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _build(
    path: Path, hr: dict[int, int], pos: dict[int, tuple[float, float, float | None]], times: Iterable[int]
) -> Recording | None:
    seconds = sorted(set(times))
    if not seconds:
        return None
    return Recording(
        path=path,
        start=datetime.fromtimestamp(seconds[0], UTC),
        end=datetime.fromtimestamp(seconds[-1], UTC),
        heart_rate=tuple(sorted(hr.items())),
        positions=tuple((t, *pos[t]) for t in sorted(pos)),
    )


def _read_fit(path: Path) -> Recording | None:
    import fitparse

    hr: dict[int, int] = {}
    pos: dict[int, tuple[float, float, float | None]] = {}
    times: list[int] = []
    fit = fitparse.FitFile(str(path), check_crc=True)
    for message in fit.get_messages("record"):
        values = message.get_values()
        stamp = values.get("timestamp")
        if not isinstance(stamp, datetime):
            continue
        second = int(_utc(stamp).timestamp())
        times.append(second)
        bpm = _finite(values.get("heart_rate"))
        if bpm is not None and 1 <= bpm <= 254:
            hr[second] = round(bpm)
        lat, lon = _finite(values.get("position_lat")), _finite(values.get("position_long"))
        if lat is not None and lon is not None:
            alt = _finite(values.get("enhanced_altitude"))
            if alt is None:
                alt = _finite(values.get("altitude"))
            pos[second] = (lat * _SEMICIRCLE_DEG, lon * _SEMICIRCLE_DEG, alt)
    return _build(path, hr, pos, times)


def _gpx_hr(extensions: Sequence[object]) -> float | None:
    for ext in extensions:
        iterator = getattr(ext, "iter", None)
        if iterator is None:
            continue
        for element in iterator():
            tag = str(getattr(element, "tag", ""))
            local = tag.rsplit("}", 1)[-1].lower()
            if local in ("hr", "heartrate"):
                try:
                    return float(str(getattr(element, "text", "") or "").strip())
                except ValueError:
                    return None
    return None


def _read_gpx(path: Path) -> Recording | None:
    import gpxpy

    with path.open("r", encoding="utf-8") as handle:
        gpx = gpxpy.parse(handle)
    hr: dict[int, int] = {}
    pos: dict[int, tuple[float, float, float | None]] = {}
    times: list[int] = []
    for track in gpx.tracks:
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                second = int(_utc(point.time).timestamp())
                times.append(second)
                pos[second] = (float(point.latitude), float(point.longitude), _finite(point.elevation))
                bpm = _gpx_hr(point.extensions)
                if bpm is not None and math.isfinite(bpm) and 1 <= bpm <= 254:
                    hr[second] = round(bpm)
    return _build(path, hr, pos, times)


def load_recording(path: Path) -> Recording | None:
    """Read one FIT or GPX recording; ``None`` when it has no timestamped point.

    :raises ValueError: the file is not a readable FIT or GPX file (the message says why).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".fit":
            return _read_fit(path)
        if suffix == ".gpx":
            return _read_gpx(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path.name}: {exc}") from None
    except Exception as exc:  # fitparse and gpxpy raise their own error classes
        raise ValueError(f"{path.name} is not a readable {suffix[1:].upper()} file: {exc}") from None
    raise ValueError(f"{path.name}: not a .fit or .gpx file")


def _overlap_s(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max((min(a1, b1) - max(a0, b0)).total_seconds(), 0.0)


def find_match(workout: Workout, recordings: Sequence[Recording]) -> list[Recording]:
    """The recordings that overlap ``workout`` by the matching rule (see the module doc)."""
    end = max(workout.end, workout.start)
    found = []
    for rec in recordings:
        overlap = _overlap_s(workout.start, end, rec.start, rec.end)
        if overlap <= 0:
            continue
        shorter = max(min((end - workout.start).total_seconds(), (rec.end - rec.start).total_seconds()), 1.0)
        if overlap >= MIN_OVERLAP_FRACTION * shorter:
            found.append(rec)
    return found


def _nearest(keys: Sequence[int], second: int) -> int | None:
    i = bisect_left(keys, second)
    best: int | None = None
    for j in (i - 1, i):
        if (
            0 <= j < len(keys)
            and abs(keys[j] - second) <= MAX_TIME_DIFF_S
            and (best is None or abs(keys[j] - second) < abs(best - second))
        ):
            best = keys[j]
    return best


def merge_recording(workout: Workout, recording: Recording) -> Workout:
    """Return ``workout`` with heart rate (and GPS, outdoors) filled from ``recording``."""
    start, end = workout.start, max(workout.end, workout.start)
    t0, t1 = int(start.timestamp()), math.ceil(end.timestamp())
    changed: list[str] = []
    samples = workout.samples
    hr = dict(recording.heart_rate)
    hr_keys = [t for t, _ in recording.heart_rate]
    if hr:
        if samples:
            filled = 0
            new_samples: list[Sample] = []
            for s in samples:
                if s.heart_rate_bpm is None:
                    key = _nearest(hr_keys, round(s.time.timestamp()))
                    if key is not None:
                        s = replace(s, heart_rate_bpm=hr[key])
                        filled += 1
                new_samples.append(s)
            if filled:
                samples = tuple(new_samples)
                changed.append(f"heart rate of {filled} samples")
        else:
            made = tuple(
                Sample(offset=t - t0, time=datetime.fromtimestamp(t, UTC), heart_rate_bpm=bpm)
                for t, bpm in recording.heart_rate
                if t0 <= t <= t1
            )
            if made:
                samples = made
                changed.append(f"{len(made)} heart-rate samples")
    track = workout.track
    if workout.is_outdoor and not track and recording.positions:
        track = tuple(
            GpsPoint(
                offset=t - t0,
                time=start + timedelta(seconds=t - t0),
                latitude=lat,
                longitude=lon,
                altitude_m=alt,
            )
            for t, lat, lon, alt in recording.positions
            if t0 <= t <= t1
        )
        if track:
            changed.append(f"{len(track)} GPS points")
    if not changed:
        return workout
    note = f"merged from watch recording {recording.name}: {', '.join(changed)}"
    return replace(workout, samples=samples, track=track, notes=(*workout.notes, note))


#: Seconds: recordings starting this close together are one activity (FIT and GPX exports).
SAME_ACTIVITY_S = 5


def one_per_activity(recordings: list[Recording]) -> list[Recording]:
    """``recordings`` with the copies of one activity folded into one (FIT preferred).

    Recordings whose starts are at most :data:`SAME_ACTIVITY_S` seconds apart are copies
    of the same activity; the FIT (then the first by name) stands for them.
    """
    ordered = sorted(recordings, key=lambda r: (r.start, r.path.suffix.lower() != ".fit", r.name))
    groups: list[list[Recording]] = []
    for rec in ordered:
        if groups and abs((rec.start - groups[-1][0].start).total_seconds()) <= SAME_ACTIVITY_S:
            groups[-1].append(rec)
        else:
            groups.append([rec])
    return [min(group, key=lambda r: (r.path.suffix.lower() != ".fit", r.name)) for group in groups]


def _not_a_recording(path: Path) -> str:
    """Why ``path`` (neither a regular file nor a folder) is not read."""
    try:
        path.stat()
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    return "not a regular file (a device, FIFO or socket); not read"


@dataclass
class MergeSource:
    """The recordings of one ``--merge`` path, with what was matched during the run."""

    path: Path
    recordings: list[Recording] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    used: set[Path] = field(default_factory=set)
    reported: bool = False
    merged: int = 0

    @classmethod
    def load(cls, path: Path) -> MergeSource:
        """Read every recording at ``path`` (a file, or a folder searched recursively)."""
        source = cls(path=path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.is_file():
            files = [path]
        else:
            source.problems.append(f"{path}: {_not_a_recording(path)}")
            files = []
        if path.is_dir() and not files:
            source.problems.append(f"{path}: no .fit or .gpx files in this folder")
        for file in files:
            try:
                recording = load_recording(file)
            except ValueError as exc:
                source.problems.append(str(exc))
                continue
            if recording is None:
                source.problems.append(f"{file.name}: no timestamped records")
                continue
            source.recordings.append(recording)
        return source

    def merge(self, workout: Workout, logger: logging.Logger) -> Workout | None:
        """Merge the one matching recording into ``workout``; ``None`` when nothing changed."""
        matches = find_match(workout, self.recordings)
        if not matches:
            return None
        for m in matches:
            self.used.add(m.path)
        matches = one_per_activity(matches)
        if len(matches) > 1:
            names = ", ".join(m.name for m in matches)
            logger.warning(
                "workout %s: %d watch recordings overlap it (%s); none merged (ambiguous)",
                workout.id,
                len(matches),
                names,
            )
            for m in matches:
                self.used.add(m.path)
            return None
        recording = matches[0]
        merged = merge_recording(workout, recording)
        if merged is workout:
            return None
        self.merged += 1
        return merged

    def summary(self) -> str:
        """``"2 workouts merged with a watch recording"`` (one line for the run's summary)."""
        return f"{self.merged} workout{'' if self.merged == 1 else 's'} merged with a watch recording"

    def unmatched(self) -> list[Recording]:
        """Recordings that no workout of this run overlapped."""
        return [r for r in self.recordings if r.path not in self.used]

    def report_unmatched(self, logger: logging.Logger) -> None:
        """Warn once about unreadable files and recordings that matched no workout (the
        number merged is logged at info; the run's summary says it, see :meth:`summary`)."""
        if self.reported:
            return
        self.reported = True
        logger.info("--merge: %s", self.summary())
        for problem in self.problems:
            logger.warning("--merge: skipped %s", problem)
        for rec in self.unmatched():
            logger.warning(
                "--merge: %s (%s to %s UTC) matched no exported workout",
                rec.name,
                rec.start.strftime("%Y-%m-%d %H:%M"),
                rec.end.strftime("%H:%M"),
            )
