"""Merging watch recordings (a FIT and a GPX file made here) into Peloton workouts."""

from __future__ import annotations

import io
import logging
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import gpxpy
import gpxpy.gpx
import pytest
from garmin_fit_sdk import Encoder, Profile
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import workout_factory as wf
from fit_decode import compare, decode

from peloton_export.default_plugins import fit as fit_plugin
from peloton_export.default_plugins import merge as merge_plugin
from peloton_export.formats import tcx
from peloton_export.model import Workout
from peloton_export.results import ExportReport
from peloton_export.specs import ExportContext
from peloton_export.workout import merge

START = wf.START
M = Profile["mesg_num"]


def watch_fit(path: Path, start: datetime, seconds: int, *, hr: int = 100, gps: bool = False) -> Path:
    """A watch recording written with the SDK directly: 1 Hz HR (and GPS)."""
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": M["FILE_ID"],
            "type": "activity",
            "manufacturer": "garmin",
            "product": 3113,
            "serial_number": 42,
            "time_created": start,
        }
    )
    for i in range(seconds):
        rec: dict[str, object] = {
            "mesg_num": M["RECORD"],
            "timestamp": start + timedelta(seconds=i),
            "heart_rate": hr + i % 10,
        }
        if gps:
            rec["position_lat"] = round((40.0 + i * 1e-5) * 2**31 / 180)
            rec["position_long"] = round(-74.0 * 2**31 / 180)
            rec["enhanced_altitude"] = 12.0
        enc.write_mesg(rec)
    data = enc.close()
    decode(data, both=True)  # the test's own watch file is valid for both decoders too
    path.write_bytes(data)
    return path


def watch_gpx(path: Path, start: datetime, seconds: int, *, hr: int = 90) -> Path:
    """A GPX track with Garmin TrackPointExtension heart rate."""
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
    track = gpxpy.gpx.GPXTrack()
    segment = gpxpy.gpx.GPXTrackSegment()
    gpx.tracks.append(track)
    track.segments.append(segment)
    for i in range(seconds):
        point = gpxpy.gpx.GPXTrackPoint(
            51.5 + i * 1e-5, -0.12, elevation=20.0, time=start + timedelta(seconds=i)
        )
        ext = etree.Element("{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}TrackPointExtension")
        hr_el = etree.SubElement(ext, "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}hr")
        hr_el.text = str(hr + i % 5)
        point.extensions.append(ext)
        segment.points.append(point)
    path.write_text(gpx.to_xml(), "utf-8")
    return path


def context(target: Path, **options: str) -> ExportContext:
    return ExportContext(output_dir=Path("."), options={"merge": str(target), **options})


def test_strength_class_gets_heart_rate_from_a_watch_fit(tmp_path: Path) -> None:
    strength = wf.strength()  # 20 min, no samples
    watch_fit(tmp_path / "watch.fit", START - timedelta(minutes=2), 24 * 60)
    merged = merge_plugin.transform_workout(workout=strength, context=context(tmp_path / "watch.fit"))
    assert merged is not None
    assert len(merged.samples) == 20 * 60 + 1
    assert all(s.heart_rate_bpm and 100 <= s.heart_rate_bpm < 110 for s in merged.samples)
    assert merged.samples[0].time == START and merged.samples[0].offset == 0
    assert "watch.fit" in merged.notes[-1]
    decoded = decode(fit_plugin_bytes(merged))
    compare(merged, decoded)
    assert decoded.one("session")["avg_heart_rate"] >= 100


def fit_plugin_bytes(workout: Workout) -> bytes:
    stream = io.BytesIO()
    fit_plugin.write_fit(workout, stream, ExportContext(output_dir=Path(".")))
    return stream.getvalue()


def test_only_missing_heart_rate_is_filled_and_peloton_values_win(tmp_path: Path) -> None:
    ride = wf.cycling(10, laps=1, hr_missing_first_s=30)
    watch_gpx(tmp_path / "ride.gpx", START, 10 * 60 + 30)
    merged = merge_plugin.transform_workout(workout=ride, context=context(tmp_path / "ride.gpx"))
    assert merged is not None
    for before, after in zip(ride.samples, merged.samples, strict=True):
        if before.heart_rate_bpm is None:
            assert after.heart_rate_bpm is not None and 90 <= after.heart_rate_bpm < 95
        else:
            assert after.heart_rate_bpm == before.heart_rate_bpm
        assert after.power_w == before.power_w
    assert merged.track == ()  # indoor: no GPS


def test_merged_data_reaches_every_format(tmp_path: Path) -> None:
    strength = wf.strength()
    watch_gpx(tmp_path / "w.gpx", START, 20 * 60)
    merged = merge_plugin.transform_workout(workout=strength, context=context(tmp_path / "w.gpx"))
    assert merged is not None
    stream = io.BytesIO()
    tcx.write_tcx(merged, stream, ExportContext(output_dir=Path(".")))
    assert stream.getvalue().count(b"<HeartRateBpm>") == len(merged.samples)
    assert len(decode(fit_plugin_bytes(merged)).all("record")) == len(merged.samples)


def test_outdoor_workout_without_track_gets_gps(tmp_path: Path) -> None:
    run = replace(wf.outdoor_run(10), track=())
    watch_fit(tmp_path / "run.fit", START, 10 * 60 + 1, gps=True)
    merged = merge_plugin.transform_workout(workout=run, context=context(tmp_path / "run.fit"))
    assert merged is not None and len(merged.track) == 10 * 60 + 1
    assert merged.track[0].latitude == pytest.approx(40.0, abs=1e-6)
    assert merged.track[0].altitude_m == pytest.approx(12.0)
    compare(merged, decode(fit_plugin_bytes(merged), both=True))  # both readers, a merged file
    indoor_run = replace(run, is_outdoor=False)
    indoor = merge_plugin.transform_workout(workout=indoor_run, context=context(tmp_path / "run.fit"))
    assert indoor is None  # samples already have HR, indoor gets no GPS


def test_ambiguous_and_unmatched_files_are_reported_never_guessed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    watch_fit(folder / "a.fit", START, 20 * 60)
    watch_gpx(folder / "b.gpx", START + timedelta(minutes=1), 20 * 60)
    watch_fit(folder / "other_day.fit", START + timedelta(days=1), 600)
    (folder / "broken.fit").write_bytes(b"not a fit file at all")
    (folder / "notes.txt").write_text("ignored", "utf-8")
    ctx = context(folder)
    with caplog.at_level(logging.WARNING, logger="peloton_export"):
        result = merge_plugin.transform_workout(workout=wf.strength(), context=ctx)
        assert result is None
        assert "ambiguous" in caplog.text and "a.fit" in caplog.text and "b.gpx" in caplog.text
        assert "broken.fit" in caplog.text
        merge_plugin.finish(ctx)
    assert "other_day.fit" in caplog.text and "matched no exported workout" in caplog.text
    assert "a.fit (" not in caplog.text  # a.fit overlapped a workout, so it is not "unmatched"


def test_matching_rule_needs_half_of_the_shorter_span() -> None:
    workout = wf.strength()  # 12:00-12:20

    def rec(offset_min: int, minutes: int) -> merge.Recording:
        start = START + timedelta(minutes=offset_min)
        return merge.Recording(
            path=Path(f"r{offset_min}_{minutes}.fit"), start=start, end=start + timedelta(minutes=minutes)
        )

    assert merge.find_match(workout, [rec(-5, 90)])  # long watch activity covering the class
    assert merge.find_match(workout, [rec(10, 20)])  # 10 of 20 min overlap: exactly 50 %
    assert not merge.find_match(workout, [rec(11, 20)])  # 9 of 20 min
    assert not merge.find_match(workout, [rec(30, 20)])
    stacked = replace(
        workout, id="second", start=START + timedelta(minutes=20), end=START + timedelta(minutes=40)
    )
    both = rec(0, 40)
    assert merge.find_match(workout, [both]) == merge.find_match(stacked, [both]) == [both]


def test_recordings_are_read_once_per_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = watch_fit(tmp_path / "w.fit", START, 60)
    calls: list[Path] = []
    real = merge.load_recording
    monkeypatch.setattr(merge, "load_recording", lambda p: calls.append(p) or real(p))
    run = context(path)  # one run: the recordings live in its plugin state
    for _ in range(3):
        merge_plugin.transform_workout(workout=wf.strength(), context=run)
    assert calls == [path.resolve()]
    merge_plugin.transform_workout(workout=wf.strength(), context=context(path))
    assert len(calls) == 2  # a new run reads them again: no module cache outlives a run


def test_no_merge_option_means_no_change() -> None:
    assert (
        merge_plugin.transform_workout(workout=wf.strength(), context=ExportContext(output_dir=Path(".")))
        is None
    )


def test_gpx_without_times_and_missing_paths_are_reported(tmp_path: Path) -> None:
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    segment = gpxpy.gpx.GPXTrackSegment(points=[gpxpy.gpx.GPXTrackPoint(1.0, 2.0)])
    track.segments.append(segment)
    gpx.tracks.append(track)
    (tmp_path / "notime.gpx").write_text(gpx.to_xml(), "utf-8")
    source = merge.MergeSource.load(tmp_path)
    assert source.recordings == [] and any("notime.gpx" in p for p in source.problems)
    missing = merge.MergeSource.load(tmp_path / "nope")
    assert missing.problems and "no such file" in missing.problems[0]


def test_the_plugin_host_runs_the_merge_and_writes_fit(tmp_path: Path) -> None:
    from peloton_export.plugins import create_host

    host = create_host(entry_points=False, strict=True)  # fit and merge are built in
    assert "fit" in host.formats()
    watch_gpx(tmp_path / "w.gpx", START, 20 * 60)
    merged = host.transform(wf.strength(), context(tmp_path / "w.gpx"))
    assert len(merged.samples) == 20 * 60  # one per GPX point (0..1199 s)
    stream = io.BytesIO()
    host.formats()["fit"].write(merged, stream, ExportContext(output_dir=tmp_path))
    compare(merged, decode(stream.getvalue()))


def test_fit_and_gpx_of_the_same_activity_are_one_recording_preferring_the_fit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    watch_fit(folder / "ride.fit", START, 20 * 60, hr=150)
    watch_gpx(folder / "ride.gpx", START + timedelta(seconds=2), 20 * 60, hr=90)
    ctx = context(folder)
    report = ExportReport()
    with caplog.at_level(logging.INFO, logger="peloton_export"):
        result = merge_plugin.transform_workout(workout=wf.strength(), context=ctx)
        merge_plugin.export_finished(context=cast(Any, SimpleNamespace(export=ctx)), report=report)
    assert report.notes == ["1 workout merged with a watch recording"]  # said in the summary
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "merged" in r.getMessage()]
    assert result is not None and "ambiguous" not in caplog.text
    rates = {s.heart_rate_bpm for s in result.samples if s.heart_rate_bpm is not None}
    assert rates and min(rates) >= 150  # the FIT's readings (from 150), not the GPX's (from 90)
    assert "1 workout merged with a watch recording" in caplog.text
    assert "matched no exported workout" not in caplog.text  # the GPX copy is not "unmatched"
