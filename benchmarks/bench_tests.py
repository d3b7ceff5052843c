"""The test suite's wall time: the tree before the issue-21 work against this one, alternately.

Usage (from the project root, both venvs built)::

    python benchmarks/bench_tests.py --old ../tl-base --pairs 3 [--unit] [--json FILE]
    python benchmarks/bench_tests.py --old ../main-checkout --old-args "tests/unit -n auto" \
        --new-args "tests/unit -n auto" --pairs 2      # one layer, two trees
    python benchmarks/bench_tests.py --smoke          # CI: one small test file, this tree twice

Each pair runs the old tree's README command (``.venv-test/bin/python -m pytest``, serial)
and this tree's (``.venv-test/bin/python -m pytest -n auto``), one after the other in
fresh subprocesses; the order flips every pair (old-new, new-old, ...) so a load change
on a shared machine does not always favour the same side. ``--unit`` adds a run of the
unit layer alone (``pytest tests/unit -n auto``) after each pair. For each run: wall time
(monotonic clock around the subprocess), CPU seconds (user + system of the run and of every
process it waited for: the xdist workers, the tests' own subprocesses), the 1-minute load
average before and after, the exit code and pytest's summary line. The table at the end
gives each pair's ratio new/old, and the median, minimum and maximum of the ratios.

A measurement, not a test: nothing is asserted. The exit code of a run is shown, not
judged (on a shared machine the home guard can fail a run because another user wrote
into ``$HOME`` while it ran; the summary line says how many tests passed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE_TESTS = "tests/unit/test_units.py"
SUMMARY = re.compile(r"^=*\s*(\d+ passed.*?)\s*=*$")


@dataclass
class Run:
    """One run of a suite."""

    tree: str
    command: str
    wall_s: float
    cpu_s: float
    load_before: float
    load_after: float
    code: int
    summary: str


def _run(tree: str, root: Path, args: list[str], timeout: float) -> Run:
    python = root / ".venv-test" / "bin" / "python"
    command = [str(python), "-m", "pytest", *args]
    load_before = os.getloadavg()[0]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.monotonic() - start
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (now.ru_utime - used.ru_utime) + (now.ru_stime - used.ru_stime)
    load_after = os.getloadavg()[0]
    summary = ""
    for line in reversed(proc.stdout.splitlines()):
        found = SUMMARY.match(line.strip())
        if found:
            summary = found.group(1)
            break
    shown = " ".join(["pytest", *args])
    run = Run(tree, shown, round(wall, 1), round(cpu, 1), load_before, load_after, proc.returncode, summary)
    print(json.dumps(asdict(run)), flush=True)
    return run


def main(argv: list[str] | None = None) -> int:
    """Run the pairs; print one JSON line per run, then a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="the old tree (its own .venv-test); required")
    parser.add_argument("--new", type=Path, default=ROOT, help="the new tree (default: this one)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--unit", action="store_true", help="also time tests/unit -n auto per pair")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    parser.add_argument("--old-args", default="", help="pytest arguments of the old run (default: none)")
    parser.add_argument("--new-args", default="-n auto", help="pytest arguments of the new run")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: this tree as old and new, one pair of one small test file (numbers mean nothing)",
    )
    options = parser.parse_args(argv)
    if options.smoke:
        options.old, options.pairs, options.unit = ROOT, 1, False
        options.old_args = options.new_args = f"-q -p no:cacheprovider {SMOKE_TESTS}"
    if options.old is None:
        parser.error("--old is required (or --smoke)")
    old_args = shlex.split(options.old_args)
    new_args = shlex.split(options.new_args)
    runs: list[Run] = []
    rows: list[tuple[int, Run, Run, Run | None]] = []
    for pair in range(1, options.pairs + 1):
        if pair % 2:
            old = _run("old", options.old.resolve(), old_args, options.timeout)
            new = _run("new", options.new.resolve(), new_args, options.timeout)
        else:
            new = _run("new", options.new.resolve(), new_args, options.timeout)
            old = _run("old", options.old.resolve(), old_args, options.timeout)
        unit = None
        if options.unit:
            unit = _run("new-unit", options.new.resolve(), ["tests/unit", "-n", "auto"], options.timeout)
        runs += [old, new] + ([unit] if unit else [])
        rows.append((pair, old, new, unit))
    if options.json:
        options.json.write_text(json.dumps([asdict(r) for r in runs], indent=1) + "\n", encoding="utf-8")
    print()
    print("| pair | order | old s (CPU s) | new s (CPU s) | new/old | unit layer s (CPU s) | load (1-min) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    ratios = []
    for pair, old, new, unit in rows:
        ratio = new.wall_s / old.wall_s
        ratios.append(ratio)
        loads = [r.load_before for r in (old, new, unit) if r] + [r.load_after for r in (old, new, unit) if r]
        order = "old, new" if pair % 2 else "new, old"
        unit_s = f"{unit.wall_s:.1f} ({unit.cpu_s:.0f})" if unit else "-"
        print(
            f"| {pair} | {order} | {old.wall_s:.1f} ({old.cpu_s:.0f}) | {new.wall_s:.1f} ({new.cpu_s:.0f}) "
            f"| {ratio:.2f} | {unit_s} "
            f"| {min(loads):.1f}-{max(loads):.1f} |"
        )
    print()
    print(
        f"new/old: median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, "
        f"max {max(ratios):.2f} over {len(ratios)} pairs"
    )
    for run in runs:
        print(f"{run.tree}: {run.summary} (exit {run.code})")
    if options.smoke and any(run.code for run in runs):
        return 1  # CI: a smoke run whose tests fail is a broken benchmark set-up
    return 0


if __name__ == "__main__":
    sys.exit(main())
