"""An incremental ``peloton-export`` run with nothing new, over an already exported archive.

    python benchmarks/bench_noop.py --workouts 2000 --latency 0.05 [--repeat 5] [--profile FILE]

Starts a :class:`~peloton_export.testing.FakePeloton` in this process with ``--workouts``
demo workouts of ``--duration`` seconds and ``--latency`` seconds on every request, then,
each in a fresh subprocess through the real CLI entry (``peloton_export.cli.run``):

1. *setup* (not measured as the result): the first run, which logs in, syncs the whole
   history into a temporary archive and ledger and exports every workout in the default
   formats (all installed formats) into a temporary folder; with ``max_rate = 0`` so the
   setup does not take ``requests / 2`` seconds;
2. ``--repeat`` times the same command again with the tool's default settings: nothing is
   new, so it should list one page, find every file already exported, and write nothing.

For each repeat it reports the tool's own CPU time and wall time around ``cli.run()``
(``time.process_time()`` / ``time.perf_counter()`` in the subprocess), the whole
process's CPU time (interpreter start and imports included, from
``getrusage(RUSAGE_CHILDREN)`` in this process) and wall time, and the requests the fake
saw. The target is under 1 s of the tool's own CPU time. ``--profile FILE`` runs one more
no-op run under :mod:`cProfile`, saves the stats to ``FILE`` and prints the top entries.

Only loopback is used (``HTTP(S)_PROXY`` points at a closed loopback port in the
subprocesses).
"""

from __future__ import annotations

import argparse
import json
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmarks folder is not a package: share the fake's setup with bench_sync.py.
from bench_sync import child_env, demo_history

RESULT_PREFIX = "NOOP-RESULT "


def child(args: argparse.Namespace) -> int:
    """Run ``peloton_export.cli.run`` once and print the tool's own times as a JSON line."""
    c_import, t_import = time.process_time(), time.perf_counter()
    from peloton_export.cli import run

    import_cpu, import_wall = time.process_time() - c_import, time.perf_counter() - t_import
    argv = ["-q", "--output", args.output]
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        c0, t0 = time.process_time(), time.perf_counter()
        code = profiler.runcall(run, argv)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        profiler.dump_stats(args.profile)
    else:
        c0, t0 = time.process_time(), time.perf_counter()
        code = run(argv)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    result = {
        "code": code,
        "cpu_s": cpu,
        "wall_s": wall,
        "import_cpu_s": import_cpu,
        "import_wall_s": import_wall,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def _run_child(env: dict[str, str], output: Path, profile: str | None = None) -> dict[str, Any]:
    """One CLI run in a subprocess: its own report plus whole-process CPU and wall time."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--output", str(output)]
    if profile:
        cmd += ["--profile", profile]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = {"stdout": done.stdout, "stderr": done.stderr}
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result.update(json.loads(line[len(RESULT_PREFIX) :]))
    if done.returncode != 0 or "cpu_s" not in result:
        raise SystemExit(f"the CLI run failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    result["process_wall_s"] = wall
    result["process_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def _summary_line(stdout: str) -> str:
    """The CLI's own summary lines (sync and export), without our result line."""
    lines = [ln for ln in stdout.splitlines() if ln.strip() and not ln.startswith(RESULT_PREFIX)]
    return " / ".join(lines[:3])


def parent(args: argparse.Namespace) -> int:
    """Set up the exported archive, then time the no-op runs and print a Markdown table."""
    from peloton_export.testing import FakePeloton

    history = demo_history(args.workouts, args.duration)
    fake = FakePeloton(history)
    fake.fault("latency", delay=args.latency, host="*", times=None)
    with fake, tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        work = Path(tmp)
        output = work / "exports"
        env = child_env(work / "home", work, fake, max_rate=0.0)
        config = Path(env["PELOTON_CONFIG"])
        print(f"setup: first run over {args.workouts:,} workouts (sync + export, max_rate 0) ...", flush=True)
        setup = _run_child(env, output)
        files = sum(1 for p in output.rglob("*") if p.is_file())
        print(
            f"setup: {setup['process_wall_s']:.0f} s, {fake.count(None, host='api')} API requests, "
            f"{files:,} files written; {_summary_line(setup['stdout'])}",
            flush=True,
        )
        # The measured runs use the tool's defaults (max_rate 2 included).
        text = config.read_text(encoding="utf-8").replace("max_rate = 0\n", "")
        config.write_text(text, encoding="utf-8")
        runs = []
        for i in range(args.repeat):
            fake.clear_requests()
            run = _run_child(env, output)
            run["api"] = fake.count(None, host="api")
            run["auth"] = fake.count(None, host="auth")
            runs.append(run)
            print(
                f"no-op run {i + 1}: tool CPU {run['cpu_s']:.3f} s, tool wall {run['wall_s']:.3f} s, "
                f"process CPU {run['process_cpu_s']:.3f} s, process wall {run['process_wall_s']:.3f} s, "
                f"{run['api']} API + {run['auth']} auth requests",
                flush=True,
            )
        if args.profile:
            fake.clear_requests()
            _run_child(env, output, profile=args.profile)
        after_files = sum(1 for p in output.rglob("*") if p.is_file())
        last_summary = _summary_line(runs[-1]["stdout"])

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    target = "met" if med("cpu_s") < 1.0 else "MISSED"
    print()
    print(
        f"{args.workouts:,} demo workouts of {args.duration:,} s already synced and exported "
        f"({files:,} files, default formats); {args.latency * 1000:.0f} ms latency on every request; "
        f"median of {args.repeat} no-op runs of `peloton_export.cli.run(['-q', '--output', DIR])`.\n"
    )
    print("| measure | median | min | max |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (
        ("cpu_s", "tool's own CPU time, `cli.run()` (s)"),
        ("wall_s", "tool's own wall time, `cli.run()` (s)"),
        ("import_cpu_s", "importing `peloton_export.cli` (CPU s)"),
        ("process_cpu_s", "whole process CPU time, interpreter start included (s)"),
        ("process_wall_s", "whole process wall time (s)"),
        ("api", "API requests"),
        ("auth", "auth requests"),
    ):
        values = [r[key] for r in runs]
        fmt = "{:.0f}" if key in ("api", "auth") else "{:.3f}"
        print(f"| {label} | {fmt.format(med(key))} | {fmt.format(min(values))} | {fmt.format(max(values))} |")
    print()
    print(f"Target: under 1 s of the tool's own CPU time: {target}.")
    print(f"Files in the output folder before/after the no-op runs: {files:,} / {after_files:,}.")
    print(f"The CLI said: {last_summary}")
    if args.profile:
        print(f"\ncProfile of one more no-op run saved to {args.profile}; top 25 by cumulative time:\n")
        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(25)
        print("Top 20 by own time:\n")
        stats.sort_stats("tottime").print_stats(20)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options; run the benchmark, or one CLI run with ``--child``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=2000, help="workouts in the fake account")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--duration", type=int, default=1800, help="seconds per demo workout")
    parser.add_argument("--repeat", type=int, default=5, help="no-op runs to time")
    parser.add_argument("--profile", help="also profile one no-op run (cProfile stats file)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args(argv)
    if args.smoke and not args.child:
        args.workouts, args.latency, args.duration, args.repeat = 3, 0.0, 120, 1
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
