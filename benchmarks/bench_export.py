"""Export throughput per format for 60-minute 1 Hz workouts.

    python benchmarks/bench_export.py [--workouts 20] [--repeat 3] [--against CHECKOUT] [--smoke]

Generates the workouts with the demo generator (cycling classes, tread runs, outdoor runs
with GPS and rows, 3,600 s each), normalizes them once, then times each format's writer
over all of them. Prints a Markdown table; the numbers are medians of ``--repeat`` runs.
A format no generated workout is eligible for (``csv-sets``: strength classes only) gets a
row of dashes. ``--against CHECKOUT`` times another checkout of the package (for example
the tree before a change, in a worktree) and this one in the same run, each in a fresh
subprocess with its package first on ``PYTHONPATH``, and prints both side by side.
``--smoke``: one 2-minute workout per kind, one round (CI: it runs; the numbers mean nothing).
Compare ratios within one run: these machines are noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")
ROOT = Path(__file__).resolve().parent.parent


def measure(count: int, repeat: int, duration_s: int) -> dict[str, Any]:
    """Normalize ``count`` demo workouts, then time every format's writer over them.

    Returns ``{"normalize_ms": float, "formats": {name: {"n", "ms", "mb"}}, "package": path}``
    (milliseconds and megabytes per eligible workout; ``ms``/``mb`` are None when no workout
    is eligible; ``package`` is the imported package's ``__init__.py``).
    """
    from peloton_export.normalize import normalize
    from peloton_export.plugins import create_host
    from peloton_export.specs import ExportContext
    from peloton_export.testing.synth import synth_workouts

    raws = list(synth_workouts(count, duration_s=duration_s, kinds=KINDS))
    t0 = time.perf_counter()
    workouts = [normalize(raw) for raw in raws]
    normalize_ms = (time.perf_counter() - t0) * 1000 / len(workouts)
    host = create_host(entry_points=False)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        # the parquet writer also adds to a dataset beside the output folder: keep it out of the cwd
        formats = _time_formats(host, workouts, ExportContext(output_dir=Path(tmp)), repeat)
    import peloton_export

    return {"normalize_ms": normalize_ms, "formats": formats, "package": peloton_export.__file__}


def _time_formats(host: Any, workouts: list[Any], context: Any, repeat: int) -> dict[str, dict[str, Any]]:
    """Median ms and MB per eligible workout for every format (None for both when none is)."""
    formats: dict[str, dict[str, Any]] = {}
    for name, spec in sorted(host.formats().items()):
        eligible = [w for w in workouts if spec.skip_reason(w) is None]
        if not eligible:
            formats[name] = {"n": 0, "ms": None, "mb": None}
            continue
        runs: list[float] = []
        size = 0
        for _ in range(repeat):
            size = 0
            start = time.perf_counter()
            for workout in eligible:
                buffer = io.BytesIO()
                spec.write(workout, buffer, context)
                size += buffer.tell()
            runs.append((time.perf_counter() - start) / len(eligible))
        formats[name] = {
            "n": len(eligible),
            "ms": statistics.median(runs) * 1000,
            "mb": size / len(eligible) / 1e6,
        }
    return formats


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _child(checkout: Path, args: argparse.Namespace, duration_s: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(Path(__file__).resolve()), "--json"]
    command += ["--workouts", str(args.workouts), "--repeat", str(args.repeat)]
    command += ["--smoke"] if args.smoke else []
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the benchmark failed\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if not Path(result["package"]).resolve().is_relative_to(checkout):
        raise SystemExit(f"{checkout}: the subprocess imported {result['package']} instead")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout to time in the same run (before)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args()
    duration_s = 3600
    if args.smoke:
        args.workouts, args.repeat, duration_s = len(KINDS), 1, 120
    if args.json:
        print(json.dumps(measure(args.workouts, args.repeat, duration_s)))
        return
    head = f"{args.workouts} workouts x {duration_s:,} s ({', '.join(KINDS)}), {args.repeat} repeat(s)"
    if args.against is None:
        result = measure(args.workouts, args.repeat, duration_s)
        print(f"{head}; normalize: {result['normalize_ms']:.1f} ms/workout\n")
        print("| format | workouts | ms per workout (median) | workouts/s | MB written per workout |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, row in result["formats"].items():
            per_s = None if row["ms"] is None else 1000 / row["ms"]
            print(
                f"| {name} | {row['n']} | {_cell(row['ms'], '.1f')} | {_cell(per_s, '.1f')} "
                f"| {_cell(row['mb'], '.2f')} |"
            )
        return
    before = _child(args.against.resolve(), args, duration_s)
    after = _child(ROOT, args, duration_s)
    print(
        f"{head}; normalize: {before['normalize_ms']:.1f} ms/workout before ({args.against}), "
        f"{after['normalize_ms']:.1f} after (this tree); load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| format | workouts | before ms | after ms | after / before | MB before | MB after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in sorted(set(before["formats"]) | set(after["formats"])):
        old = before["formats"].get(name, {"n": 0, "ms": None, "mb": None})
        new = after["formats"].get(name, {"n": 0, "ms": None, "mb": None})
        share = old["ms"] and new["ms"] and new["ms"] / old["ms"]
        print(
            f"| {name} | {new['n']} | {_cell(old['ms'], '.1f')} | {_cell(new['ms'], '.1f')} "
            f"| {_cell(share or None, '.2f')} | {_cell(old['mb'], '.2f')} | {_cell(new['mb'], '.2f')} |"
        )


if __name__ == "__main__":
    main()
