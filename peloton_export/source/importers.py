"""Import workouts saved by other tools (or by hand) into the raw archive.

:func:`import_path` takes a file or a folder (folders are walked for ``*.json``, skipping
hidden entries and the archive's own folder); :func:`import_paths` takes many. Every file
gets one line in the :class:`ImportReport`; a bad file never stops the others and never
produces a traceback.

Recognised files:

* **Raw Peloton JSON**: a ``GET /api/workout/{id}`` body (an object with ``id``,
  ``fitness_discipline`` and ``start_time``). Its performance graph and ride details are
  looked up next to it (see :func:`companion_names`): ``<id>_performance_graph.json``,
  ``<id>.performance_graph.json``, ``<id>-performance_graph.json``, the file's own name with
  ``workout`` replaced by ``performance_graph`` (``<x>_workout.json`` ->
  ``<x>_performance_graph.json``, and an archive folder's ``workout.json`` ->
  ``performance_graph.json``), and the old peloton-to-garmin pairs
  ``peloton_workout_X.json`` + ``peloton_workoutsamples_X.json``; likewise ``ride_details``.
  These files are stored **byte for byte** (``source="import"``).
* **A bundle**: one object with ``workout`` and ``performance_graph`` (and optionally
  ``ride_details``) keys (``source="import:bundle"``).
* **peloton-to-garmin** files: ``Workout`` + ``WorkoutSamples`` holding raw Peloton objects
  (``source="import:p2g"``), or P2G's own PascalCase ``P2GWorkout`` (``source="import:p2g-dto"``),
  whose keys are lower-cased back to Peloton's names and whose re-cased enum values
  (``"Cycling"``, ``"Caesar_Bootcamp"``) are lower-cased again. ``Raw``, ``UserData``,
  ``WorkoutType``, ``WorkoutSummary``, ``Movements`` and ``Exercises`` are P2G's own data
  and are ignored.
* **cyrii42/peloton** files: ``summary_raw`` + ``metrics_raw`` (``source="import:cyrii42"``);
  the ``workout_id`` key that tool added to both is dropped.

Converted formats are stored as compact JSON. A workout already complete in the archive is
left alone (a re-import is a no-op) unless ``replace=True``.

Reported but not imported ("not a workout file"): workout *list* pages (``data[]`` or a bare
array of workouts, which carry no samples), old ``/summary`` bodies, performance graphs or
ride details with no workout next to them, and any other JSON.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from peloton_export.errors import LocalFileError
from peloton_export.raw import JsonObject, check_json_size, parse_json_object
from peloton_export.store.archive import Archive, ArchiveError, check_workout_id

__all__ = [
    "ImportReport",
    "ImportResult",
    "companion_names",
    "dto_to_raw",
    "import_path",
    "import_paths",
]

ImportStatus = Literal["imported", "unchanged", "skipped", "failed"]
MAX_FILE_BYTES = 256 * 1024 * 1024
_GRAPH_KEYS = ("seconds_since_pedaling_start", "metrics", "summaries", "segment_list")
#: P2G-DTO fields whose values P2G re-cased (an enum): lower-cased again on import.
_ENUM_KEYS = frozenset(
    {
        "fitness_discipline",
        "ftp_source",
        "workout_type",
        "metrics_type",
        "tracking_type",
        "weight_unit",
        "content_provider",
    }
)
#: P2G-DTO spellings that differ from Peloton's.
_RENAMED = {
    "display_unites": "display_unit",
    "display_units": "display_unit",
    "has_apple_watch_metrcis": "has_apple_watch_metrics",
}


#: errno -> advice: the archive folder cannot take any more files (the import stops).
_ARCHIVE_UNWRITABLE = {
    errno.ENOSPC: "free some space and import again",
    errno.EDQUOT: "free some space (the disk quota is full) and import again",
    errno.EROFS: "the folder is on a read-only file system; choose another with --archive",
    errno.EACCES: "make the folder writable, or choose another with --archive",
    errno.EPERM: "make the folder writable, or choose another with --archive",
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What happened to one file."""

    path: Path
    status: ImportStatus
    message: str
    workout_id: str | None = None
    kind: str | None = None

    def line(self) -> str:
        """A one-line report: ``<path>: <message>``."""
        return f"{self.path}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    """The results of an import, one per file, in the order the files were read."""

    results: list[ImportResult] = field(default_factory=list)

    def _with(self, status: ImportStatus) -> list[ImportResult]:
        return [r for r in self.results if r.status == status]

    @property
    def imported(self) -> list[ImportResult]:
        """Files whose workout was stored."""
        return self._with("imported")

    @property
    def unchanged(self) -> list[ImportResult]:
        """Files whose workout was already complete in the archive."""
        return self._with("unchanged")

    @property
    def skipped(self) -> list[ImportResult]:
        """Files that hold no importable workout (not an error)."""
        return self._with("skipped")

    @property
    def failed(self) -> list[ImportResult]:
        """Files that could not be imported."""
        return self._with("failed")

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def summary(self) -> str:
        """``"3 imported, 1 unchanged, 2 not workouts, 1 failed"``."""
        return (
            f"{len(self.imported)} imported, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} not workouts, {len(self.failed)} failed"
        )


class _Bad(Exception):
    """A file that is recognised but cannot be imported; the message is the reason."""


def import_path(path: Path, archive: Archive, *, replace: bool = False) -> ImportReport:
    """Import one file, or every ``*.json`` under a folder, into ``archive``."""
    return import_paths([path], archive, replace=replace)


def import_paths(paths: Iterable[Path], archive: Archive, *, replace: bool = False) -> ImportReport:
    """Import many files and folders; each file is reported once, failures do not stop others.

    :raises LocalFileError: the archive folder cannot be written at all (disk full,
        read-only, no permission); the files imported before are kept.
    """
    report = ImportReport()
    used: set[Path] = set()
    deferred: list[tuple[Path, str]] = []
    for path in _walk(paths, archive):
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            resolved = path
        if resolved in used:
            continue
        result = _import_file(path, archive, replace, used, deferred)
        if result is not None:
            report.results.append(result)
    for path, what in deferred:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            resolved = path
        if resolved not in used:
            report.results.append(ImportResult(path, "skipped", f"not a workout file ({what})", kind=None))
    return report


def _walk(paths: Iterable[Path], archive: Archive) -> Iterator[Path]:
    seen: set[Path] = set()
    try:
        archive_root = archive.root.resolve()
    except OSError:
        archive_root = archive.root
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                here = Path(folder)
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and _safe_resolve(here / d) != archive_root
                )
                for name in sorted(files):
                    if name.lower().endswith(".json") and not name.startswith("."):
                        candidate = here / name
                        if candidate not in seen:
                            seen.add(candidate)
                            yield candidate
        elif path not in seen:
            seen.add(path)
            yield path


def _safe_resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return path


def _read(path: Path) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            # A FIFO would block for ever, a device never ends: refuse before opening.
            raise _Bad("not a regular file (a FIFO, device or socket); not read")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise _Bad(f"file is too large ({size // (1024 * 1024)} MB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise _Bad("file not found") from None
    except IsADirectoryError:
        raise _Bad("is a folder") from None
    except OSError as exc:
        raise _Bad(f"cannot read the file ({exc.strerror or exc})") from None


def _parse(data: bytes, what: str) -> Any:
    """Parse JSON (objects and arrays), with the same one-line errors as the archive."""
    try:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
            check_json_size(data, what=what)
            return json.loads(data.decode("utf-8-sig"))
        return parse_json_object(data, what=what)
    except RecursionError:
        raise _Bad(f"{what} is nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise _Bad(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise _Bad(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _import_file(
    path: Path, archive: Archive, replace: bool, used: set[Path], deferred: list[tuple[Path, str]]
) -> ImportResult | None:
    workout_id: str | None = None
    try:
        data = _read(path)
        value = _parse(data, "the file")
        kind, what = _classify(value)
        if kind == "graph" or kind == "ride_details":
            deferred.append((path, what))
            return None
        if kind == "none":
            return ImportResult(path, "skipped", f"not a workout file ({what})")
        assert isinstance(value, dict)
        if kind == "raw":
            workout_id = _workout_id(value)
            bodies, source, note = _raw_bodies(path, data, workout_id, used)
        else:
            workout, graph, details, source = _convert(kind, value)
            workout_id = _workout_id(workout)
            bodies = {"workout": _dump(workout)}
            if graph is not None:
                bodies["performance_graph"] = _dump(graph)
            if details is not None:
                bodies["ride_details"] = _dump(details)
            note = ""
        stored = archive.put(workout_id, bodies, source=source, replace=replace)
    except _Bad as exc:
        return ImportResult(path, "failed", _reason(exc, workout_id), workout_id=workout_id)
    except RecursionError:
        return ImportResult(
            path, "failed", _reason("the JSON is nested too deeply", workout_id), workout_id=workout_id
        )
    except (ArchiveError, ValueError) as exc:
        return ImportResult(path, "failed", _reason(exc, workout_id), workout_id=workout_id)
    except OSError as exc:
        if exc.errno in _ARCHIVE_UNWRITABLE:
            # every other file would fail the same way: stop with one line naming the folder
            raise LocalFileError(
                f"cannot write to the archive {archive.root} ({exc.strerror or exc}): "
                f"{_ARCHIVE_UNWRITABLE[exc.errno]}; files imported so far are kept"
            ) from None
        return ImportResult(
            path, "failed", _reason(f"cannot write to the archive ({exc})", workout_id), workout_id=workout_id
        )
    graph_note = "" if "performance_graph" in bodies else ", without a performance graph"
    if not stored:
        return ImportResult(
            path,
            "unchanged",
            f"workout {workout_id} is already in the archive",
            workout_id=workout_id,
            kind=kind,
        )
    return ImportResult(
        path,
        "imported",
        f"imported workout {workout_id} ({what}{note}{graph_note})",
        workout_id=workout_id,
        kind=kind,
    )


def _reason(exc: object, workout_id: str | None) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if workout_id and workout_id not in message:
        return f"workout {workout_id}: {message}"
    return message


def _classify(value: Any) -> tuple[str, str]:
    """``(kind, description)`` of a parsed file."""
    if isinstance(value, list):
        return _classify_array(value)
    if not isinstance(value, dict):
        return "none", "not a JSON object"
    return _classify_workout_file(value) or _classify_other_object(value)


def _classify_array(value: list[Any]) -> tuple[str, str]:
    """A bare array: a list page of workouts, or nothing to import."""
    workouts = sum(1 for item in value if isinstance(item, dict) and _looks_like_workout(item))
    if workouts:
        return "none", _list_page(workouts)
    return "none", "a JSON array, not a workout"


def _classify_workout_file(value: JsonObject) -> tuple[str, str] | None:
    """The kind of an object holding a workout (cyrii42, P2G, bundle, raw), else ``None``."""
    if "summary_raw" in value or "metrics_raw" in value:
        return "cyrii42", "cyrii42/peloton file"
    if "Workout" in value:
        inner = value["Workout"]
        if isinstance(inner, dict) and "id" not in inner and "Id" in inner:
            return "p2g-dto", "peloton-to-garmin P2GWorkout file"
        return "p2g", "peloton-to-garmin file"
    if "workout" in value and ("performance_graph" in value or isinstance(value.get("workout"), dict)):
        return "bundle", "workout + performance graph bundle"
    if _looks_like_workout(value):
        return "raw", "Peloton workout"
    return None


def _classify_other_object(value: JsonObject) -> tuple[str, str]:
    """What an object without a workout is: a list page, a graph, ride details, or nothing."""
    data = value.get("data")
    if isinstance(data, list):
        workouts = sum(1 for item in data if isinstance(item, dict) and _looks_like_workout(item))
        if workouts or "page_count" in value:
            return "none", _list_page(workouts)
    if "instant" in value and "workout_id" in value:
        return "none", "an old /workout/{id}/summary body"
    if any(key in value for key in _GRAPH_KEYS[:2]):
        return "graph", "a performance graph without its workout"
    if "segments" in value and "ride" in value:
        return "ride_details", "ride details without their workout"
    return "none", "no workout fields found"


_INFINITE = (float("inf"), float("-inf"))


def _list_page(workouts: int) -> str:
    return f"list page: {workouts} workout{'' if workouts == 1 else 's'}, no samples"


def _looks_like_workout(value: JsonObject) -> bool:
    return "id" in value and "fitness_discipline" in value and "start_time" in value


def _workout_id(workout: JsonObject) -> str:
    value = workout.get("id")
    if not isinstance(value, str):
        raise _Bad(f"wrong shape: the workout id is {'missing' if value is None else type(value).__name__}")
    try:
        check_workout_id(value)
    except ArchiveError as exc:
        raise _Bad(f"wrong shape: {exc}") from None
    start = workout.get("start_time")
    # Python's JSON reader accepts NaN and Infinity: they are not times either.
    if isinstance(start, bool) or not isinstance(start, (int, float)) or start != start or start in _INFINITE:
        raise _Bad(f"workout {value}: wrong shape: start_time is not a number")
    return value


def companion_names(path: Path, workout_id: str, kind: str) -> list[str]:
    """File names, next to the workout file ``path``, that may hold its ``kind`` body.

    ``kind`` is ``performance_graph`` or ``ride_details``. See the module docstring.
    """
    stem = path.stem
    names = [
        f"{workout_id}_{kind}.json",
        f"{workout_id}.{kind}.json",
        f"{workout_id}-{kind}.json",
        f"{stem}_{kind}.json",
    ]
    at = stem.rfind("workout")
    if at >= 0:
        names.append(f"{stem[:at]}{kind}{stem[at + len('workout') :]}.json")
        if kind == "performance_graph":
            names.append(f"{stem[:at]}workoutsamples{stem[at + len('workout') :]}.json")
    out: list[str] = []
    for name in names:
        if name not in out and name != path.name:
            out.append(name)
    return out


def _raw_bodies(
    path: Path, data: bytes, workout_id: str, used: set[Path]
) -> tuple[dict[str, bytes], str, str]:
    bodies: dict[str, bytes] = {"workout": data}
    found: list[str] = []
    for kind in ("performance_graph", "ride_details"):
        for name in companion_names(path, workout_id, kind):
            candidate = path.with_name(name)
            if not candidate.is_file():
                continue
            body = _read(candidate)
            parsed = _parse(body, f"{kind.replace('_', ' ')} file {name}")
            if not isinstance(parsed, dict) or (
                kind == "performance_graph" and not any(k in parsed for k in _GRAPH_KEYS)
            ):
                raise _Bad(f"workout {workout_id}: {name} is not a {kind.replace('_', ' ')}")
            bodies[kind] = body
            used.add(_safe_resolve(candidate))
            found.append(name)
            break
    note = f", with {' and '.join(found)}" if found else ""
    return bodies, "import", note


def _convert(kind: str, value: JsonObject) -> tuple[JsonObject, JsonObject | None, JsonObject | None, str]:
    """``(workout, graph, ride_details, source)`` of a converted format."""
    if kind == "cyrii42":
        workout, graph = value.get("summary_raw"), value.get("metrics_raw")
        names, source = ("summary_raw", "metrics_raw"), "import:cyrii42"
        details = None
    elif kind in ("p2g", "p2g-dto"):
        workout, graph = value.get("Workout"), value.get("WorkoutSamples")
        names, source = ("Workout", "WorkoutSamples"), f"import:{kind}"
        details = None
    else:
        workout, graph = value.get("workout"), value.get("performance_graph")
        names, source = ("workout", "performance_graph"), "import:bundle"
        details = value.get("ride_details")
    if not isinstance(workout, dict):
        raise _Bad(f"wrong shape: {names[0]!r} is {_type_name(workout)}, not an object")
    if graph is not None and not isinstance(graph, dict):
        raise _Bad(f"wrong shape: {names[1]!r} is {_type_name(graph)}, not an object")
    if details is not None and not isinstance(details, dict):
        raise _Bad(f"wrong shape: 'ride_details' is {_type_name(details)}, not an object")
    if kind == "p2g-dto":
        workout = dto_to_raw(workout)
        graph = dto_to_raw(graph) if graph is not None else None
    elif kind == "cyrii42":
        workout = {k: v for k, v in workout.items() if k != "workout_id"}
        graph = {k: v for k, v in graph.items() if k != "workout_id"} if graph is not None else None
    return workout, graph, details, source


def _type_name(value: object) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"


def dto_to_raw(value: Any) -> Any:
    """Turn P2G's PascalCase DTO back into Peloton's snake_case shape.

    Keys are lower-cased (``Seconds_Since_Pedaling_Start`` -> ``seconds_since_pedaling_start``),
    P2G's misspellings are corrected, and the values of enum fields that P2G re-cased
    (``"Fitness_Discipline": "Caesar_Bootcamp"``) are lower-cased.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key).lower()
            name = _RENAMED.get(name, name)
            if name in out and item is None:
                continue
            converted = dto_to_raw(item)
            if name in _ENUM_KEYS and isinstance(converted, str):
                converted = converted.lower()
            out[name] = converted
        return out
    if isinstance(value, list):
        return [dto_to_raw(item) for item in value]
    return value


def _dump(value: JsonObject) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
