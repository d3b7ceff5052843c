"""Export throughput per format for 60-minute 1 Hz workouts.

    python benchmarks/bench_export.py [--workouts 20] [--repeat 3]

Generates the workouts with the demo generator (cycling classes, tread runs, outdoor runs
with GPS and rows, 3,600 s each), normalizes them once, then times each format's writer
over all of them. Prints a Markdown table; the numbers are medians of ``--repeat`` runs.
Compare ratios within one run: these machines are noisy.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from peloton_export.normalize import normalize
from peloton_export.plugins import create_host
from peloton_export.specs import ExportContext
from peloton_export.testing.synth import synth_workouts

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    raws = list(synth_workouts(args.workouts, duration_s=3600, kinds=KINDS))
    t0 = time.perf_counter()
    workouts = [normalize(raw) for raw in raws]
    normalize_ms = (time.perf_counter() - t0) * 1000 / len(workouts)
    host = create_host(entry_points=False)
    context = ExportContext(output_dir=__import__("pathlib").Path("."))
    print(
        f"{len(workouts)} workouts x 3,600 s ({', '.join(KINDS)}); normalize: {normalize_ms:.1f} ms/workout\n"
    )
    print("| format | ms per workout (median) | workouts/s | MB written per workout |")
    print("| --- | ---: | ---: | ---: |")
    for name, spec in host.formats().items():
        eligible = [w for w in workouts if spec.skip_reason(w) is None]
        runs: list[float] = []
        size = 0
        for _ in range(args.repeat):
            size = 0
            start = time.perf_counter()
            for workout in eligible:
                buffer = io.BytesIO()
                spec.write(workout, buffer, context)
                size += buffer.tell()
            runs.append((time.perf_counter() - start) / len(eligible))
        per = statistics.median(runs)
        print(f"| {name} | {per * 1000:.1f} | {1 / per:.1f} | {size / len(eligible) / 1e6:.2f} |")


if __name__ == "__main__":
    main()
