"""Time the CSV writer against its floor, for a 60-minute 1 Hz cycling workout.

    python benchmarks/bench_csv.py [--repeats 21]

The floor is a minimal writer that produces the same bytes with plain string formatting
(no GPS join, no checks for non-finite numbers): the cheapest way to write this file.
Target: our writer within 3x of the floor. Runs both in interleaved rounds; prints medians.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC

from peloton_export.formats.csv import SAMPLE_COLUMNS, write_csv
from peloton_export.model import Workout
from peloton_export.normalize import normalize
from peloton_export.specs import ExportContext
from peloton_export.testing.synth import synth_workout


def _f(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def floor_csv(workout: Workout) -> bytes:
    """The same file as ``write_csv`` for a workout without GPS, formatted directly."""
    lines = [",".join(SAMPLE_COLUMNS) + "\n"]
    for s in workout.samples:
        hr = "" if s.heart_rate_bpm is None else str(s.heart_rate_bpm)
        lines.append(
            f"{s.time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ},{s.offset},{_f(s.power_w, '.1f')},"
            f"{_f(s.cadence_rpm, '.1f')},{_f(s.resistance_pct, '.1f')},{_f(s.speed_mps, '.3f')},"
            f"{_f(s.incline_pct, '.1f')},{_f(s.altitude_m, '.1f')},{hr},{_f(s.distance_m, '.1f')},,\n"
        )
    return "".join(lines).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.repeats = 1
    workout = normalize(synth_workout("cycling_class", duration_s=120 if args.smoke else 3600))
    context = ExportContext(output_dir=__import__("pathlib").Path("."))

    def ours() -> bytes:
        buffer = io.BytesIO()
        write_csv(workout, buffer, context)
        return buffer.getvalue()

    assert ours() == floor_csv(workout), "the floor must write the same bytes"
    times: dict[str, list[float]] = {"csv writer": [], "csv floor": []}
    ratios: list[float] = []
    for _ in range(args.repeats):
        round_times = []
        for name, fn in (("csv writer", ours), ("csv floor", lambda: floor_csv(workout))):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            times[name].append(elapsed)
            round_times.append(elapsed)
        ratios.append(round_times[0] / round_times[1])
    print(f"60-min 1 Hz ride: {len(workout.samples)} samples; {args.repeats} interleaved rounds, medians")
    for name, values in times.items():
        print(f"  {name:12} {statistics.median(values) * 1000:7.1f} ms")
    print(f"  csv / floor  {statistics.median(ratios):7.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
