"""Time the TCX and GPX writers against minimal baselines, for a 60-minute 1 Hz workout.

Run from the project root::

    /work/venv/bin/python benchmarks/bench_xml_writers.py [--repeats 21]

It runs the contenders in interleaved rounds and prints each one's median time and the
median of the per-round ratios:

* ``tcx / floor``: our TCX writer against a minimal string-formatting TCX writer that
  emits the same trackpoint elements but no lap statistics, validation or clamping
  (target: within 3x);
* ``gpx / gpxpy bare``: our GPX writer against gpxpy building and serializing the same
  fixes (lat, lon, ele, time) without extensions, with gpxpy's default pretty printing
  (target: within 1.3x, issue 24; within 2x before it); ``gpx / gpxpy bare compact`` is the same with
  ``prettyprint=False`` (what our writer uses); ``gpx / gpxpy+ext`` compares with gpxpy
  plus the same hr/cad/power extension elements built naively, pretty printed.

The TCX floor formats times with ``isoformat()``, the fastest plain per-point way.
These are measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement

import gpxpy.gpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import workout_factory  # noqa: E402

from peloton_export.formats.gpx import PWR_NS, TPX_NS, write_gpx  # noqa: E402
from peloton_export.formats.tcx import write_tcx  # noqa: E402
from peloton_export.model import Workout  # noqa: E402
from peloton_export.specs import ExportContext  # noqa: E402


def tcx_floor(workout: Workout) -> bytes:
    """A minimal TCX writer: one lap, one f-string per trackpoint, no checks or statistics."""
    t0 = workout.start
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n<Activities>\n'
        f'<Activity Sport="Biking">\n<Id>{t0:%Y-%m-%dT%H:%M:%SZ}</Id>\n'
        f'<Lap StartTime="{t0:%Y-%m-%dT%H:%M:%SZ}">\n<TotalTimeSeconds>{workout.timer_s:.1f}'
        "</TotalTimeSeconds>\n<DistanceMeters>0.0</DistanceMeters>\n<Calories>0</Calories>\n"
        "<Intensity>Active</Intensity>\n<TriggerMethod>Manual</TriggerMethod>\n<Track>\n"
    ]
    for s in workout.samples:
        out.append(
            f"<Trackpoint>\n<Time>{s.time.isoformat()[:19]}Z</Time>\n"
            f"<DistanceMeters>{s.distance_m:.1f}</DistanceMeters>\n"
            f"<HeartRateBpm><Value>{s.heart_rate_bpm}</Value></HeartRateBpm>\n"
            f"<Cadence>{round(s.cadence_rpm or 0)}</Cadence>\n"
            f"<Extensions><ns3:TPX><ns3:Speed>{s.speed_mps:.3f}</ns3:Speed>"
            f"<ns3:Watts>{round(s.power_w or 0)}</ns3:Watts></ns3:TPX></Extensions>\n"
            "</Trackpoint>\n"
        )
    out.append("</Track>\n</Lap>\n</Activity>\n</Activities>\n</TrainingCenterDatabase>\n")
    return "".join(out).encode("utf-8")


def _gpxpy_doc(workout: Workout, with_extensions: bool) -> gpxpy.gpx.GPX:
    doc = gpxpy.gpx.GPX()
    doc.name = workout.title
    doc.time = workout.start
    if with_extensions:
        doc.nsmap = {"gpxtpx": TPX_NS, "pwr": PWR_NS}
    track = gpxpy.gpx.GPXTrack(name=workout.title)
    segment = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(segment)
    doc.tracks.append(track)
    samples = {s.offset: s for s in workout.samples}
    for fix in workout.track:
        point = gpxpy.gpx.GPXTrackPoint(
            fix.latitude,
            fix.longitude,
            elevation=fix.altitude_m,
            time=workout.start + timedelta(seconds=fix.offset),
        )
        sample = samples.get(fix.offset)
        if with_extensions and sample is not None:
            tpx = Element(f"{{{TPX_NS}}}TrackPointExtension")
            SubElement(tpx, f"{{{TPX_NS}}}hr").text = str(sample.heart_rate_bpm)
            SubElement(tpx, f"{{{TPX_NS}}}cad").text = str(round(sample.cadence_rpm or 0))
            pwr = Element(f"{{{PWR_NS}}}PowerInWatts")
            pwr.text = str(round(sample.power_w or 0))
            point.extensions = [tpx, pwr]
        segment.points.append(point)
    return doc


def gpx_bare(workout: Workout, prettyprint: bool = True) -> bytes:
    """gpxpy building and serializing the same fixes, without extensions."""
    return _gpxpy_doc(workout, False).to_xml(prettyprint=prettyprint).encode("utf-8")


def gpx_bare_ext(workout: Workout) -> bytes:
    """gpxpy with the same fixes and naive hr/cad/power extension elements."""
    return _gpxpy_doc(workout, True).to_xml().encode("utf-8")


def interleaved(funcs: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Run every function once per round, ``repeats`` rounds (after a warm-up round).

    Interleaving means a burst of load on the machine hits all contenders alike, so the
    per-round ratios are steadier than ratios of separately measured medians.
    """
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            t = time.perf_counter()
            func()
            times[name].append((time.perf_counter() - t) * 1000)
    return times


def ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of ``a``'s time divided by ``b``'s time in the same round."""
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args()
    minutes = 2 if args.smoke else 60
    if args.smoke:
        args.repeats = 1

    context = ExportContext(output_dir=Path("."))
    ride = workout_factory.cycling(minutes, laps=3)
    run = workout_factory.outdoor_run(
        minutes, sample_every_s=1, dropout=(0, 0), title="60 min Outdoor Run", laps=()
    )
    # Give the run the ride's power too, so all three extensions are exercised.
    watts = [s.power_w for s in ride.samples]
    run = replace(
        run, samples=tuple(replace(s, power_w=watts[i % len(watts)]) for i, s in enumerate(run.samples))
    )

    def tcx() -> None:
        write_tcx(ride, io.BytesIO(), context)

    def gpx() -> None:
        write_gpx(run, io.BytesIO(), context)

    times = interleaved(
        {
            "tcx writer": tcx,
            "tcx floor": lambda: tcx_floor(ride),
            "gpx writer": gpx,
            "gpxpy bare": lambda: gpx_bare(run),
            "gpxpy bare compact": lambda: gpx_bare(run, prettyprint=False),
            "gpxpy+ext": lambda: gpx_bare_ext(run),
        },
        args.repeats,
    )
    print(
        f"60-min 1 Hz: {len(ride.samples)} samples (ride), {len(run.track)} fixes (run); "
        f"{args.repeats} interleaved rounds, medians"
    )
    for name, values in times.items():
        print(f"  {name:<20} {statistics.median(values):8.1f} ms")
    print(f"  tcx / tcx floor            {ratio(times, 'tcx writer', 'tcx floor'):.2f}x  (target <= 3x)")
    print(f"  gpx / gpxpy bare           {ratio(times, 'gpx writer', 'gpxpy bare'):.2f}x  (target <= 1.3x)")
    print(f"  gpx / gpxpy bare compact   {ratio(times, 'gpx writer', 'gpxpy bare compact'):.2f}x")
    print(f"  gpx / gpxpy+ext            {ratio(times, 'gpx writer', 'gpxpy+ext'):.2f}x")


if __name__ == "__main__":
    main()
