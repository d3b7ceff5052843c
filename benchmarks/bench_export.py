"""Export throughput per format for 60-minute 1 Hz workouts.

    python benchmarks/bench_export.py [--workouts 8] [--repeat 3] [--against CHECKOUT] [--smoke]

Generates the workouts with the demo generator (cycling classes, tread runs, outdoor runs
with GPS and rows, 3,600 s each), normalizes them once, then times each format's writer
over the workouts it applies to (a format that applies to none is listed as such). The
writers run as one export runs them: every format of one workout in turn, so what a
writer shares with the others within one workout is shared here too. Prints a Markdown
table; the numbers are medians of ``--repeat`` runs. Compare ratios within one run:
these machines are noisy.

``--against CHECKOUT`` runs the same measurement, in the same run, on another checkout
of the project (for example a worktree of an older ``main``) in a subprocess with that
checkout first on ``sys.path``, and prints both tables side by side. ``--smoke`` uses
two 2-minute workouts and one repeat: it checks that the benchmark still runs (CI runs
it), its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")


def measure(workouts: int, repeat: int, duration_s: int) -> dict[str, object]:
    """Per-format medians (ms per workout, MB per workout) of this interpreter's project."""
    import peloton_export
    from peloton_export.normalize import normalize
    from peloton_export.plugins import create_host
    from peloton_export.specs import ExportContext
    from peloton_export.testing.synth import synth_workouts

    raws = list(synth_workouts(workouts, duration_s=duration_s, kinds=KINDS))
    t0 = time.perf_counter()
    normalized = [normalize(raw) for raw in raws]
    normalize_ms = (time.perf_counter() - t0) * 1000 / len(normalized)
    host = create_host(entry_points=False)
    context = ExportContext(output_dir=Path("."))
    specs = host.formats()
    eligible = {name: [w for w in normalized if spec.skip_reason(w) is None] for name, spec in specs.items()}
    runs: dict[str, list[float]] = {name: [] for name in specs}
    sizes: dict[str, int] = dict.fromkeys(specs, 0)
    for _ in range(repeat):
        spent = dict.fromkeys(specs, 0.0)
        for workout in normalized:
            for name, spec in specs.items():
                if spec.skip_reason(workout) is not None:
                    continue
                buffer = io.BytesIO()
                start = time.perf_counter()
                spec.write(workout, buffer, context)
                spent[name] += time.perf_counter() - start
                sizes[name] += buffer.tell()
        for name in specs:
            if eligible[name]:
                runs[name].append(spent[name] / len(eligible[name]))
    rows: dict[str, dict[str, float] | None] = {}
    for name in specs:
        if not eligible[name]:
            rows[name] = None  # no workout of these kinds gets this format
            continue
        rows[name] = {
            "ms": statistics.median(runs[name]) * 1000,
            "mb": sizes[name] / repeat / len(eligible[name]) / 1e6,
            "n": len(eligible[name]),
        }
    return {
        "root": str(Path(peloton_export.__file__).parent.parent),
        "normalize_ms": normalize_ms,
        "rows": rows,
    }


def _in_checkout(checkout: Path, args: argparse.Namespace) -> dict[str, object]:
    """:func:`measure` run in a subprocess with ``checkout`` first on ``sys.path``."""
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    command = [sys.executable, str(Path(__file__).resolve()), "--json", *_size_args(args)]
    done = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run in {checkout} failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _size_args(args: argparse.Namespace) -> list[str]:
    return ["--workouts", str(args.workouts), "--repeat", str(args.repeat), "--duration", str(args.duration)]


def _cell(row: object, key: str, fmt: str) -> str:
    return "-" if not isinstance(row, dict) else format(row[key], fmt)


def main() -> None:
    """Parse the arguments, measure (here and in ``--against``) and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3600, help="seconds per workout")
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs (CI)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.workouts, args.repeat, args.duration = 4, 1, 120
    if args.json:
        print(json.dumps(measure(args.workouts, args.repeat, args.duration)))
        return
    results = []
    if args.against is not None:
        results.append(_in_checkout(args.against, args))
    results.append(_in_checkout(Path(__file__).resolve().parent.parent, args))
    print(
        f"{args.workouts} workouts x {args.duration:,} s ({', '.join(KINDS)}), {args.repeat} repeat(s); "
        "normalize: " + ", ".join(f"{r['normalize_ms']:.1f} ms/workout ({r['root']})" for r in results) + "\n"
    )
    names = list(dict.fromkeys(n for r in results for n in r["rows"]))  # type: ignore[attr-defined]
    if len(results) == 1:
        print("| format | workouts | ms per workout (median) | workouts/s | MB written per workout |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name in names:
            row = results[0]["rows"].get(name)  # type: ignore[attr-defined]
            if row is None:
                print(f"| {name} | 0 | - | - | - (applies to none of these kinds) |")
                continue
            print(f"| {name} | {row['n']} | {row['ms']:.1f} | {1000 / row['ms']:.1f} | {row['mb']:.2f} |")
        return
    print("| format | workouts | before ms | after ms | after / before | MB before | MB after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        before = results[0]["rows"].get(name)  # type: ignore[attr-defined]
        after = results[1]["rows"].get(name)  # type: ignore[attr-defined]
        ratio = f"{after['ms'] / before['ms']:.2f}" if before and after else "-"
        count = (after or before or {}).get("n", 0)
        print(
            f"| {name} | {count} | {_cell(before, 'ms', '.1f')} | {_cell(after, 'ms', '.1f')} | {ratio} | "
            f"{_cell(before, 'mb', '.2f')} | {_cell(after, 'mb', '.2f')} |"
        )


if __name__ == "__main__":
    main()
