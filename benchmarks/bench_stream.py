"""A first run that exports while fetching, against fetching and exporting on their own.

    python benchmarks/bench_stream.py --workouts 300 --latency 0.03

Starts a :class:`~peloton_export.testing.FakePeloton` in this process with ``--workouts``
demo workouts of ``--duration`` seconds and ``--latency`` seconds added to every request
(both hosts), then runs, each in a fresh subprocess with ``max_rate = --max-rate`` (0: no
ceiling) and ``--jobs`` export processes, in this order:

1. **fetch only**: ``sync_archive`` into an empty archive and ledger (password login);
2. **export only**: ``run_export(offline=True)`` over the archive step 1 fetched, into an
   empty output folder (the ledger of step 1: nothing exported yet);
3. **combined**: ``run_export`` from an empty state (archive, ledger, output, login): the
   new first run, exporting each workout as soon as it is archived;
4. **fetch, then export**: the same from another empty state with
   ``export_while_fetching=False`` (the old first run, in one process).

It prints each step's wall time (around ``run_export``/``sync_archive`` in the subprocess)
and the ratios combined / (fetch + export) (1.0: no overlap at all) and combined /
max(fetch, export) (1.0: perfect overlap), and checks that steps 3 and 4 wrote the same
files with the same bytes. Only loopback is used (``HTTP(S)_PROXY`` points at a closed
loopback port in the subprocesses).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmarks folder is not a package: share the fake's setup with bench_sync.py.
from bench_sync import child_env, demo_history

RESULT_PREFIX = "STREAM-RESULT "
STEPS = ("fetch", "export", "combined", "sequential")
LABELS = {
    "fetch": "fetch only (`sync_archive`)",
    "export": "export only (`--offline` over that archive)",
    "combined": "combined first run (export while fetching)",
    "sequential": "fetch, then export (`export_while_fetching=False`)",
}


def child(args: argparse.Namespace) -> int:
    """Run one step and print its wall and CPU time as a JSON line."""
    from peloton_export import ExportRequest, run_export
    from peloton_export.export.run import sync_archive

    formats = tuple(f for f in args.formats.split(",") if f)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.step == "fetch":
        report = sync_archive()
        summary = report.summary()
        count = len(report.fetched)
    else:
        result = run_export(
            ExportRequest(
                formats=formats,
                output_dir=Path(args.output),
                offline=args.step == "export",
                jobs=args.jobs,
                export_while_fetching=args.step != "sequential",
            )
        )
        summary = f"{result.count('exported')} exported, {len(result.failed)} failed"
        if result.sync is not None:
            summary = f"{result.sync.summary()}; {summary}"
        count = result.count("exported")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(RESULT_PREFIX + json.dumps({"wall_s": wall, "cpu_s": cpu, "count": count, "summary": summary}))
    return 0


def _run_step(step: str, env: dict[str, str], output: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--step",
        step,
        "--output",
        str(output),
        "--formats",
        args.formats,
        "--jobs",
        str(args.jobs),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise SystemExit(f"step {step} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def parent(args: argparse.Namespace) -> int:
    """Start the fake, run the four steps, print the table."""
    from peloton_export.testing import FakePeloton

    history = demo_history(args.workouts, args.duration)
    fake = FakePeloton(history)
    fake.fault("latency", delay=args.latency, host="*", times=None)
    results: dict[str, dict[str, Any]] = {}
    with fake, tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        work = Path(tmp)
        # steps 1 and 2 share one state (the archive fetched, then exported); 3 and 4 start empty
        shared = work / "apart"
        for step in STEPS:
            root = shared if step in ("fetch", "export") else work / step
            env = child_env(root / "home", root, fake, max_rate=args.max_rate)
            fake.clear_requests()
            results[step] = result = _run_step(step, env, root / "out", args)
            result["api"] = fake.count(None, host="api")
            print(
                f"{LABELS[step]}: {result['wall_s']:.1f} s, {result['api']} API requests; {result['summary']}"
            )
        same = _digests(work / "combined" / "out") == _digests(work / "sequential" / "out")
        also = _digests(work / "combined" / "out") == _digests(shared / "out")
    fetch, export = results["fetch"]["wall_s"], results["export"]["wall_s"]
    combined, sequential = results["combined"]["wall_s"], results["sequential"]["wall_s"]
    rate = "no ceiling (max_rate = 0)" if not args.max_rate else f"max_rate = {args.max_rate:g}"
    print()
    print(
        f"{args.workouts:,} demo workouts of {args.duration:,} s; {args.latency * 1000:.0f} ms on every "
        f"request; {rate}; formats {args.formats}; jobs {args.jobs}.\n"
    )
    print("| step | wall s | CPU s | API requests |")
    print("| --- | ---: | ---: | ---: |")
    for step in STEPS:
        r = results[step]
        print(f"| {LABELS[step]} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['api']:,} |")
    print()
    print(f"combined / (fetch + export) = {combined / (fetch + export):.2f}")
    print(f"combined / max(fetch, export) = {combined / max(fetch, export):.2f}")
    print(f"combined / fetch-then-export run = {combined / sequential:.2f}")
    print(f"combined and fetch-then-export wrote the same files, byte for byte: {same}")
    print(f"combined and export-only wrote the same files, byte for byte: {also}")
    return 0 if same and also else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the options; run the benchmark, or one step when ``--step`` is given."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=300, help="workouts in the fake account")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added to every request")
    parser.add_argument("--duration", type=int, default=1800, help="seconds per demo workout")
    parser.add_argument("--max-rate", type=float, default=0.0, help="requests/s ceiling (0: none)")
    parser.add_argument("--formats", default="fit,tcx,csv", help="comma-separated formats")
    parser.add_argument("--jobs", type=int, default=1, help="export processes")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args(argv)
    if args.smoke and not args.step:
        args.workouts, args.latency, args.duration = 3, 0.0, 120
    return child(args) if args.step else parent(args)


if __name__ == "__main__":
    sys.exit(main())
