"""Issue 11 closing note: Peloton's summaries vs the FIT session's totals, before and after.

Two steps, so that "before" can run against an older checkout of the package::

    # the FIT session totals of every fixture and demo kind, with the package on PYTHONPATH
    PYTHONPATH=/tmp/before11 .venv-test/bin/python benchmarks/issue11_table.py collect before.json
    .venv-test/bin/python benchmarks/issue11_table.py collect after.json
    # the markdown table: Peloton's summary (read from the raw bodies) / before / after
    .venv-test/bin/python benchmarks/issue11_table.py table before.json after.json > table.md
    # CI: both steps on this tree into a temporary folder
    .venv-test/bin/python benchmarks/issue11_table.py --smoke

Fields: distance (m), ascent (m), strokes, calories (kcal), total output (kJ), FTP (W).
Peloton's values come straight from the stored bodies (``summaries`` converted by their
``display_unit``; ``workout.total_work`` in J, else the ``total_output`` summary in kJ;
``ftp_info.ftp`` with 95 % for ``ftp_manual_source``). The FIT values are decoded with
fitparse from the file :func:`peloton_export.formats.fit.encode.encode_workout` writes (the FIT
session's ``total_distance``, ``total_ascent``, ``total_cycles``, ``total_calories``,
``total_work``, ``threshold_power``) and the last record's distance.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "peloton-api"
DEMO = ROOT / "peloton_export" / "data" / "demo"
FIELDS = ("distance", "records end", "ascent", "strokes", "calories", "output kJ", "FTP")
_UNITS = {"mi": 1609.344, "km": 1000.0, "m": 1.0, "ft": 0.3048, None: 1.0}


def _sources() -> list[tuple[str, Path]]:
    found = [(p.relative_to(FIXTURES).as_posix(), p) for p in sorted(FIXTURES.rglob("*.json"))]
    found += [(f"demo/{p.name}", p) for p in sorted(DEMO.iterdir()) if p.is_dir()]
    return found


def _workouts() -> list[tuple[str, Any]]:
    """``(source name, RawWorkout)`` of every workout the fixtures and demo kinds hold."""
    from peloton_export.source.importers import import_path
    from peloton_export.store.archive import Archive

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _sources():
            archive = Archive(Path(tmp) / name.replace("/", "_"))
            report = import_path(path, archive)
            for result in report.results:
                if result.status == "imported":
                    out.append((name, archive.load(str(result.workout_id))))
    return out


def _fit_totals(raw: Any) -> dict[str, Any] | None:
    """The FIT session totals of one workout, ``None`` when the normalizer skips it."""
    import fitparse

    from peloton_export.errors import PelotonExportError
    from peloton_export.formats.fit.encode import encode_workout
    from peloton_export.normalize import normalize

    try:
        data = encode_workout(normalize(raw))
    except PelotonExportError:
        return None
    fit = fitparse.FitFile(io.BytesIO(data))
    session = next(m.get_values() for m in fit.get_messages("session"))
    records = [m.get_values().get("distance") for m in fit.get_messages("record")]
    work = session.get("total_work")
    return {
        "distance": session.get("total_distance"),
        "records end": next((d for d in reversed(records) if d is not None), None),
        "ascent": session.get("total_ascent"),
        "strokes": session.get("total_cycles"),
        "calories": session.get("total_calories"),
        "output kJ": None if work is None else work / 1000,
        "FTP": session.get("threshold_power"),
    }


def collect(out: Path) -> None:
    """Write the FIT totals of every workout to ``out`` (JSON, by workout id)."""
    rows = {}
    for name, raw in _workouts():
        totals = _fit_totals(raw)
        if totals is not None:
            rows[str(raw.workout_id)] = {"source": name, **totals}
    out.write_text(json.dumps(rows, indent=1, sort_keys=True), encoding="utf-8")


def _summary(graph: dict[str, Any] | None, slug: str) -> tuple[float, Any] | None:
    for key in ("summaries", "average_summaries"):
        for item in (graph or {}).get(key) or []:
            if (
                isinstance(item, dict)
                and item.get("slug") == slug
                and isinstance(item.get("value"), int | float)
            ):
                return float(item["value"]), item.get("display_unit")
    return None


def peloton(raw: Any) -> dict[str, Any]:
    """Peloton's own summary values of one workout (see the module docstring)."""
    graph = raw.performance_graph if isinstance(raw.performance_graph, dict) else None
    out: dict[str, Any] = dict.fromkeys(FIELDS)
    distance = _summary(graph, "distance")
    if distance is not None:
        out["distance"] = out["records end"] = distance[0] * _UNITS.get(distance[1], 1.0)
    elevation = _summary(graph, "elevation")
    if elevation is not None:
        out["ascent"] = elevation[0] * _UNITS.get(elevation[1] or "ft", 0.3048)
    strokes = _summary(graph, "stroke_count")
    out["strokes"] = None if strokes is None else strokes[0]
    calories = _summary(graph, "calories") or _summary(graph, "total_calories")
    out["calories"] = None if calories is None else calories[0]
    work = raw.workout.get("total_work") if isinstance(raw.workout, dict) else None
    total_output = _summary(graph, "total_output")
    if isinstance(work, int | float) and work > 0:
        out["output kJ"] = work / 1000
    elif total_output is not None:
        out["output kJ"] = total_output[0]
    ftp = raw.workout.get("ftp_info") if isinstance(raw.workout, dict) else None
    if isinstance(ftp, dict) and isinstance(ftp.get("ftp"), int | float) and ftp["ftp"] > 0:
        out["FTP"] = ftp["ftp"] * (0.95 if ftp.get("ftp_source") == "ftp_manual_source" else 1.0)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def _mark(truth: Any, value: Any, field: str) -> str:
    """The value, in bold when it is off Peloton's by more than rounding."""
    text = _cell(value)
    if truth is None:
        return text
    tolerance = 0.5 if field in ("ascent", "calories", "FTP", "output kJ") else 0.05
    if value is None or abs(float(value) - float(truth)) > tolerance + 0.005 * abs(float(truth)) * (
        field == "output kJ"
    ):
        return f"**{text}**"
    return text


def table(before_path: Path, after_path: Path) -> str:
    """The markdown table (one row per workout, ``Peloton / before / after`` per field)."""
    before = json.loads(before_path.read_text(encoding="utf-8"))
    after = json.loads(after_path.read_text(encoding="utf-8"))
    lines = [
        "Peloton's summary / FIT session before / after (bold: off Peloton's value by more "
        "than rounding; – none). Units: m, m, m, strokes, kcal, kJ, W.",
        "",
        "| workout | " + " | ".join(FIELDS) + " |",
        "|---|" + "---|" * len(FIELDS),
    ]
    for name, raw in _workouts():
        wid = str(raw.workout_id)
        if wid not in after:
            continue
        truth = peloton(raw)
        cells = []
        for field in FIELDS:
            old = before.get(wid, {}).get(field)
            new = after[wid].get(field)
            right = truth[field]
            cells.append(f"{_cell(right)} / {_mark(right, old, field)} / {_mark(right, new, field)}")
        lines.append(f"| {name} `{wid[:8]}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """``collect OUT.json`` or ``table BEFORE.json AFTER.json`` (see the module docstring)."""
    if len(argv) == 2 and argv[0] == "collect":
        collect(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "table":
        sys.stdout.write(table(Path(argv[1]), Path(argv[2])))
        return 0
    if argv == ["--smoke"]:  # CI: both steps into a temporary folder (this tree as before and after)
        with tempfile.TemporaryDirectory(prefix="issue11-") as tmp:
            out = Path(tmp) / "now.json"
            collect(out)
            table(out, out)
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
