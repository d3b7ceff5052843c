"""Profile a ``--format all --offline`` export of 60-minute 1 Hz workouts (cProfile, top 10).

    python benchmarks/bench_profile.py [--workouts 8] [--against CHECKOUT] [--sort tottime] [--smoke]

Builds an archive of ``--workouts`` demo workouts (cycling classes, Tread runs, outdoor
runs with GPS, rows) once, then runs the real command line
(``peloton-export --offline -f all --jobs 1 -q``, fresh ledger and output folder) under
cProfile in a fresh subprocess, and prints the wall time, the top 10 functions (by
``--sort``, default ``tottime``) and how often the per-workout computations ran (lap
plans, statistics, zone times, ascent): more calls than workouts is repeated work.
``--against CHECKOUT`` profiles another checkout (say today's ``main`` in a worktree) in
the same run, first. ``--smoke``: two 2-minute workouts (CI; the numbers mean nothing).
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")

#: Per-workout computations whose call counts show repeated work: (module path part, function).
WATCHED = (
    ("laps.py", "lap_plan"),
    ("stats.py", "summarize"),
    ("zones.py", "heart_rate_zone_times"),
    ("zones.py", "power_zone_times"),
    ("totals.py", "ascent_descent"),
    ("normalize/__init__.py", "normalize"),
)

_CHILD = """
import cProfile, sys, time
from peloton_export.cli import run
profile = cProfile.Profile()
start = time.perf_counter()
profile.enable()
code = run(sys.argv[2:])
profile.disable()
print("WALL", time.perf_counter() - start, "CODE", code)
profile.dump_stats(sys.argv[1])
"""


def build_archive(root: Path, count: int, duration_s: int) -> None:
    """Fill ``root`` with ``count`` demo workouts of ``duration_s`` seconds."""
    from peloton_export.store.archive import Archive
    from peloton_export.testing.synth import synth_workouts

    archive = Archive(root)
    for raw in synth_workouts(count, duration_s=duration_s, kinds=KINDS):
        archive.put_raw(raw)


def profile(checkout: Path, archive: Path, work: Path, sort: str) -> str:
    """Profile one export with ``checkout`` first on ``sys.path``; the report text."""
    tag = checkout.name
    out, state, stats_file = work / f"out-{tag}", work / f"state-{tag}", work / f"{tag}.prof"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "PELOTON_EXPORT_STATE_DIR": str(state),
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_EXPORT_LOAD_PLUGINS": "",
    }
    args = ["--offline", "--archive", str(archive), "-o", str(out), "-f", "all", "--jobs", "1", "-q"]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(stats_file), *args],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    wall_line = [line for line in done.stdout.splitlines() if line.startswith("WALL")]
    if done.returncode != 0 or not wall_line or not wall_line[0].endswith("CODE 0"):
        raise SystemExit(f"the export in {checkout} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    text = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    stats.sort_stats(sort).print_stats(10)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    counts = []
    for (filename, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for part, function in WATCHED:
            if name == function and filename.endswith(part):
                counts.append(f"{function} x {row[1]}")
    header = f"## {checkout} ({float(wall_line[0].split()[1]):.2f} s under cProfile)"
    return "\n".join(
        [header, lines[0].strip(), "", *lines[start:], "", "calls: " + ", ".join(sorted(counts))]
    )


def main() -> None:
    """Build the archive, profile each checkout, print the reports."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=8)
    parser.add_argument("--duration", type=int, default=3600, help="seconds per workout")
    parser.add_argument("--against", type=Path, help="another checkout to profile in the same run")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.workouts, args.duration = 2, 120
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        work = Path(tmp)
        build_archive(work / "archive", args.workouts, args.duration)
        kinds = ", ".join(KINDS)
        print(f"{args.workouts} demo workouts x {args.duration:,} s ({kinds}); -f all --offline --jobs 1\n")
        for checkout in [*([args.against.resolve()] if args.against else []), here]:
            print(profile(checkout, work / "archive", work, args.sort) + "\n")


if __name__ == "__main__":
    main()
