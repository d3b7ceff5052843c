"""HTML pages, the history index and the Parquet dataset: time and size.

    python benchmarks/bench_report.py [--history 2000] [--repeat 3]

1. one workout page for a 60-minute 1 Hz cycling class (median of ``--repeat``);
2. ``index.html`` for ``--history`` workouts: cold (facts read from every page) and warm
   (facts from the cache file, what a daily run does), and its size;
3. Parquet writing time per workout (both tables, 60-minute workouts) and the dataset size
   for ``--history`` workouts against the json format's size for the same workouts.

Pages for the history are written from short (5-minute) demo workouts to keep the run
short; the index only reads their facts, so its numbers do not depend on page length.
Parquet and JSON sizes for the history are extrapolated from a sample of 60-minute
workouts (``--sample``). Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from peloton_export.default_plugins.json_format import write_json
from peloton_export.formats import parquet as dataset
from peloton_export.formats.report import build_index, render_page
from peloton_export.formats.report.index import CACHE_NAME
from peloton_export.normalize import normalize
from peloton_export.specs import ExportContext
from peloton_export.testing.synth.kinds import synth_workout as demo_workout
from peloton_export.testing.synth.kinds import synth_workouts as demo_workouts
from peloton_export.workout.filenames import export_stem
from peloton_export.workout.memo import clear

KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")


def timed(repeat: int, fn: object) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.history, args.sample, args.repeat = 4, 2, 1
    long_s = 120 if args.smoke else 3600

    ride = normalize(demo_workout("cycling_class", seed=1, duration_s=long_s))

    def cold_page() -> None:
        clear()  # the per-workout results the other writers would share: the page pays for them
        render_page(ride, "ride.html")

    page_s = timed(args.repeat, cold_page)
    page_bytes = len(render_page(ride, "ride.html").encode())
    print("| measure | value |\n| --- | ---: |")
    print(f"| page, 60-min 1 Hz ride: time | {page_s * 1000:.0f} ms |")
    print(f"| page, 60-min 1 Hz ride: size | {page_bytes / 1000:.0f} kB |")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for raw in demo_workouts(args.history, duration_s=300):
            w = normalize(raw)
            name = export_stem(w) + ".html"
            (out / name).write_text(render_page(w, name), encoding="utf-8")
        start = time.perf_counter()
        index = build_index(out, None, None)
        cold = time.perf_counter() - start
        warm = timed(args.repeat, lambda: build_index(out, None, None))
        print(f"| index of {args.history:,} workouts: cold (facts from pages) | {cold:.2f} s |")
        print(f"| index of {args.history:,} workouts: warm (facts cache) | {warm:.2f} s |")
        print(
            f"| index of {args.history:,} workouts: index.html size | {index.stat().st_size / 1e6:.2f} MB |"
        )
        cache_mb = (out / CACHE_NAME).stat().st_size / 1e6
        print(f"| index of {args.history:,} workouts: cache size | {cache_mb:.2f} MB |")

    workouts = [normalize(raw) for raw in demo_workouts(args.sample, duration_s=long_s, kinds=KINDS)]
    parquet_bytes = json_bytes = 0
    start = time.perf_counter()
    for w in workouts:
        parquet_bytes += len(dataset.table_bytes(dataset.workouts_table(w)))
        parquet_bytes += len(dataset.table_bytes(dataset.samples_table(w)))
    per_workout = (time.perf_counter() - start) / len(workouts)
    for w in workouts:
        buffer = io.BytesIO()
        write_json(w, buffer, ExportContext(output_dir=Path(".")))
        json_bytes += buffer.tell()
    scale = args.history / len(workouts)
    print(f"| parquet, 60-min workout (both tables): time | {per_workout * 1000:.0f} ms |")
    dataset_mb = parquet_bytes * scale / 1e6
    print(f"| parquet dataset for {args.history:,} 60-min workouts (est.) | {dataset_mb:.0f} MB |")
    print(f"| json files for the same workouts (est.) | {json_bytes * scale / 1e6:.0f} MB |")


if __name__ == "__main__":
    main()
