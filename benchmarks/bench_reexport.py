"""Re-export a whole history from the archive: throughput, 1 job against all cores, memory.

    python benchmarks/bench_reexport.py [--workouts 2000] [--jobs 1,2] [--keep DIR]

Builds an archive of ``--workouts`` demo workouts of 60 minutes at 1 Hz (a mix of cycling
classes, Tread runs, outdoor runs with GPS and rows), then runs the real command line once
per ``--jobs`` value in a fresh subprocess:

    peloton-export --offline --archive A -o OUT -f fit -f tcx -f gpx -f csv --jobs N

with a fresh ledger each time (so every file is written). For each run it reports wall
time, workouts per second, the speed-up against one job, and peak memory: of the main
process and of the largest worker process (``ru_maxrss``). Prints a Markdown table.
``--keep DIR`` reuses (or builds once) the archive in DIR, which saves the generation time
on a second run. ``--formats all`` writes every format (``-f all``). ``--against CHECKOUT``
runs the same exports with another checkout first on ``sys.path`` (for example today's
``main`` in a worktree), alternating with this tree, in the same run. ``--smoke``: 3
workouts of 2 minutes, one job (CI: it checks that it runs; the numbers mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")
FORMATS = ("fit", "tcx", "gpx", "csv")

_CHILD = """
import json, resource, sys, time
from peloton_export.cli import run
start = time.perf_counter()
code = run(sys.argv[1:])
wall = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
cpu = sum(
    u.ru_utime + u.ru_stime
    for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
)
import peloton_export
stats = {"code": code, "wall": wall, "cpu": cpu, "own_kb": own, "worker_kb": workers,
         "package": peloton_export.__file__}
print(json.dumps(stats), file=sys.stderr)
"""


def build_archive(root: Path, count: int, duration_s: int = 3600) -> float:
    """Fill ``root`` with ``count`` demo workouts; returns seconds taken (0 when reused)."""
    from peloton_export.store.archive import Archive
    from peloton_export.testing.synth import synth_workouts

    archive = Archive(root)
    if len(archive) >= count:
        return 0.0
    start = time.perf_counter()
    for raw in synth_workouts(count, duration_s=duration_s, kinds=KINDS):
        archive.put_raw(raw)
    return time.perf_counter() - start


def export(
    archive: Path, jobs: int, work: Path, formats: tuple[str, ...] = FORMATS, checkout: Path | None = None
) -> dict[str, float]:
    """One full re-export in a fresh subprocess with a fresh ledger and output folder."""
    tag = f"{jobs}-{checkout.name if checkout else 'here'}"
    out, state = work / f"out-{tag}", work / f"state-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)
    env = {**os.environ, "PELOTON_EXPORT_STATE_DIR": str(state), "PELOTON_CONFIG": os.devnull}
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    args = ["--offline", "--archive", str(archive), "-o", str(out), "--jobs", str(jobs), "-q"]
    for fmt in formats:
        args += ["-f", fmt]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], env=env, cwd=work, capture_output=True, text=True, check=False
    )
    if not done.stderr.strip():
        raise SystemExit(f"export with --jobs {jobs} printed nothing:\n{done.stdout[-2000:]}")
    stats = json.loads(done.stderr.strip().splitlines()[-1])
    if checkout is not None and not Path(stats["package"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: the subprocess imported {stats['package']} instead")
    if stats["code"] != 0:
        raise SystemExit(f"export with --jobs {jobs} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    files = sum(1 for _ in out.iterdir())
    return {**stats, "files": files}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=2000)
    parser.add_argument("--jobs", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the archive in this folder")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, or all")
    parser.add_argument("--against", type=Path, help="another checkout to time in the same run")
    parser.add_argument("--smoke", action="store_true", help="3 short workouts, 1 job (CI)")
    args = parser.parse_args()
    duration = 3600
    if args.smoke:
        args.workouts, args.jobs, duration = 3, "1", 120
    jobs_list = [int(j) for j in args.jobs.split(",")]
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    if args.against is not None:
        compare(args, jobs_list[0], formats, duration)
        return

    with tempfile.TemporaryDirectory(prefix="bench-reexport-") as tmp:
        work = Path(tmp)
        archive = args.keep or work / "archive"
        built = build_archive(archive, args.workouts, duration)
        size_mb = sum(p.stat().st_size for p in archive.rglob("*") if p.is_file()) / 1e6
        print(
            f"archive: {args.workouts} workouts x {duration:,} s ({', '.join(KINDS)}), {size_mb:,.0f} MB"
            + (f", built in {built:.0f} s" if built else ", reused")
        )
        print(f"formats: {', '.join(formats)}; cores: {os.cpu_count()}\n")
        print(
            "| jobs | wall time | workouts/s | speed-up vs 1 job | files | peak RSS main | peak RSS worker |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        base: float | None = None
        for jobs in jobs_list:
            stats = export(archive, jobs, work, formats)
            base = base or stats["wall"]
            worker = f"{stats['worker_kb'] / 1024:.0f} MB" if jobs > 1 else "-"  # ru_maxrss is KiB
            main_mb = stats["own_kb"] / 1024
            print(
                f"| {jobs} | {stats['wall']:.1f} s | {args.workouts / stats['wall']:.1f} | "
                f"{base / stats['wall']:.2f}x | {int(stats['files'])} | {main_mb:.0f} MB | {worker} |"
            )


def compare(args: argparse.Namespace, jobs: int, formats: tuple[str, ...], duration: int) -> None:
    """The same re-export with ``--against`` (before) and this tree (after), alternating."""
    with tempfile.TemporaryDirectory(prefix="bench-reexport-") as tmp:
        work = Path(tmp)
        archive = args.keep or work / "archive"
        build_archive(archive, args.workouts, duration)
        here = Path(__file__).resolve().parent.parent
        before, after = args.against.resolve(), here
        print(
            f"{args.workouts} workouts x {duration:,} s; -f {','.join(formats)} --offline --jobs {jobs}; "
            f"load average {os.getloadavg()[0]:.1f} at the start\n"
        )
        print("| tree | wall time | CPU time | workouts/s | files | peak RSS main |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        results = {}
        for label, checkout in (("before", before), ("after", after)):
            stats = export(archive, jobs, work, formats, checkout)
            results[label] = stats
            print(
                f"| {label} ({checkout}) | {stats['wall']:.1f} s | {stats['cpu']:.1f} s | "
                f"{args.workouts / stats['wall']:.2f} | "
                f"{int(stats['files'])} | {stats['own_kb'] / 1024:.0f} MB |"
            )
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
        share = results["after"]["wall"] / results["before"]["wall"]
        cpu_share = results["after"]["cpu"] / results["before"]["cpu"]
        print(
            f"after / before = {share:.0%} of the wall time (target <= 40 %), {cpu_share:.0%} of the CPU time"
        )


if __name__ == "__main__":
    main()
