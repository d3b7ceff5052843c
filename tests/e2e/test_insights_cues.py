"""Class cues in watts on the exported pages, JSON and Parquet, from the model ``bike model`` saved.

A synthetic history with class targets (cadence and resistance ranges per block) is put in
a real archive; ``bike model`` fits and saves; an offline export writes JSON, HTML and the
Parquet dataset (read back with DuckDB and pyarrow; skipped without them).
The screenshots (Debian's Chromium) go to ``$PELOTON_EXPORT_ARTIFACTS/insights``, else a
tmp folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy", reason="the insights extra (numpy) is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fit_decode import decode

from peloton_export.cli import run
from peloton_export.insights.store import model_path
from peloton_export.plugins import create_host
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.bike_history import SynthHistory, bike_history

CHROMIUM = Path("/usr/bin/chromium")
HAVE_PYARROW = importlib.util.find_spec("pyarrow") is not None
FORMATS = "json,html,fit,parquet" if HAVE_PYARROW else "json,html,fit"
POWER = ["--option", "fit.power_targets=true"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SynthHistory, Path, Path]]:
    root = tmp_path_factory.mktemp("cues")
    env = {
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_EXPORT_DATA_DIR": str(root / "data"),
        "PELOTON_EXPORT_STATE_DIR": str(root / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(root / "config"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        history = bike_history(21, rides=10, ride_s=1200, targets=True)
        archive = root / "archive"
        history.put(Archive(archive))
        host = create_host(entry_points=False)
        assert run(["bike", "model", "--archive", str(archive)], host=host) == 0
        assert model_path(archive).is_file()
        out = root / "out"
        code = run(
            ["--offline", "--archive", str(archive), "-o", str(out), "-f", FORMATS, *POWER, "-j", "1", "-q"],
            host=create_host(entry_points=False),
        )
        assert code == 0
        yield history, archive, out
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _json_path(out: Path, workout_id: str) -> Path:
    for path in out.glob("*.json"):
        if json.loads(path.read_text(encoding="utf-8")).get("id") == workout_id:
            return path
    raise AssertionError(f"no JSON for {workout_id}")


def _json(out: Path, workout_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_json_path(out, workout_id).read_text(encoding="utf-8"))
    return data


def _steps(fit: Path) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """``(start offset, Garmin SDK view, fitparse view)`` of each workout step."""
    decoded = decode(fit.read_bytes())
    out, start = [], 0
    for garmin, parsed in zip(
        decoded.garmin["workout_step_mesgs"], decoded.fitparse["workout_step"], strict=True
    ):
        out.append((start, garmin, parsed))
        start += garmin["duration_value"] // 1000
    return out


def test_json_carries_the_asked_and_delivered_watts(setup: tuple[SynthHistory, Path, Path]) -> None:
    history, _, out = setup
    ride = history.rides[-1]
    data = _json(out, ride.workout_id)
    cues = data["class_cues"]
    assert cues["device"] == "home_bike_v1" and cues["era"] == 1
    segments = cues["segments"]
    assert len(segments) == len(ride.targets) // 2
    samples = data["samples"]
    for seg in segments:
        (c_lo, c_hi), (r_lo, r_hi) = seg["cadence_rpm"], seg["resistance_pct"]
        # the bike's model, not a formula: within 4 % of the true map (times the ride's factor ~1)
        assert seg["asked_low_w"] == pytest.approx(history.truth.watts(c_lo, r_lo), rel=0.04)
        assert seg["asked_high_w"] == pytest.approx(history.truth.watts(c_hi, r_hi), rel=0.04)
        assert seg["asked_low_w"] < seg["asked_high_w"]
    # delivered: the mean recorded output over the segment, from the file's own samples
    seg = segments[1]
    offsets, power = samples["offset_s"], samples["power_w"]
    inside = [p for o, p in zip(offsets, power, strict=True) if seg["start_offset"] <= o <= seg["end_offset"]]
    assert seg["delivered_w"] == pytest.approx(sum(inside) / len(inside), abs=0.05)
    middle = (seg["asked_low_w"] + seg["asked_high_w"]) / 2
    assert seg["delivered_pct"] == pytest.approx(100 * seg["delivered_w"] / middle, abs=0.1)


def test_parquet_carries_the_same_cues_as_the_json(setup: tuple[SynthHistory, Path, Path]) -> None:
    duckdb = pytest.importorskip("duckdb")
    pq = pytest.importorskip("pyarrow.parquet")
    history, _, out = setup
    ride = history.rides[-1]
    segments = _json(out, ride.workout_id)["class_cues"]["segments"]
    con = duckdb.connect()
    rows = con.execute(
        "SELECT class_cues_device, class_cues_era, c.start_offset, c.end_offset, c.cadence_low_rpm, "
        "c.cadence_high_rpm, c.resistance_low_pct, c.resistance_high_pct, c.asked_low_w, c.asked_high_w, "
        "c.delivered_w, c.delivered_pct, c.in_band_pct FROM (SELECT class_cues_device, class_cues_era, "
        "unnest(class_cues) AS c FROM read_parquet(?, hive_partitioning = true) WHERE workout_id = ?) "
        "ORDER BY c.start_offset",
        [str(out / "parquet" / "workouts" / "**" / "*.parquet"), ride.workout_id],
    ).fetchall()
    assert [r[:2] for r in rows] == [("home_bike_v1", 1)] * len(segments)
    assert [list(r[2:]) for r in rows] == [
        [
            s["start_offset"],
            s["end_offset"],
            *s["cadence_rpm"],
            *s["resistance_pct"],
            s["asked_low_w"],
            s["asked_high_w"],
            s["delivered_w"],
            s["delivered_pct"],
            s["in_band_pct"],
        ]
        for s in segments
    ]
    # per second: the span's asked watts inside each cue, null outside every cue
    path = next((out / "parquet" / "samples").rglob(f"{ride.workout_id}.parquet"))
    table = pq.read_table(path, columns=["offset_s", "target_power_lower", "target_power_upper"]).to_pylist()
    for row in table:
        holding = [s for s in segments if s["start_offset"] <= row["offset_s"] <= s["end_offset"]]
        if holding:
            assert (row["target_power_lower"], row["target_power_upper"]) == (
                holding[-1]["asked_low_w"],
                holding[-1]["asked_high_w"],
            )
        else:
            assert row["target_power_lower"] is None and row["target_power_upper"] is None
    assert sum(r["target_power_lower"] is not None for r in table) > len(table) // 2


def test_fit_steps_carry_the_cues_as_power_targets(setup: tuple[SynthHistory, Path, Path]) -> None:
    history, _, out = setup
    ride = history.rides[-1]
    segments = _json(out, ride.workout_id)["class_cues"]["segments"]
    steps = _steps(_json_path(out, ride.workout_id).with_suffix(".fit"))
    by_start = {start: (garmin, parsed) for start, garmin, parsed in steps}
    for seg in segments:
        garmin, parsed = by_start[seg["start_offset"]]
        # FIT workout_power: 1000 + watts; the JSON's asked watts rounded to whole watts
        low, high = 1000 + round(seg["asked_low_w"]), 1000 + round(seg["asked_high_w"])
        assert garmin["target_type"] == parsed["target_type"] == "power"
        assert (garmin["custom_target_power_low"], garmin["custom_target_power_high"]) == (low, high)
        assert (parsed["custom_target_power_low"], parsed["custom_target_power_high"]) == (low, high)
        # the class's own cadence cue stays, as the secondary target
        assert garmin["secondary_target_type"] == "cadence"
        c_lo, c_hi = seg["cadence_rpm"]
        assert (
            garmin["secondary_custom_target_cadence_low"],
            garmin["secondary_custom_target_cadence_high"],
        ) == (
            round(c_lo),
            round(c_hi),
        )
    assert sum(g["target_type"] == "power" for _, g, _ in steps) == len(segments)


def test_fit_power_targets_are_opt_in(setup: tuple[SynthHistory, Path, Path], tmp_path: Path) -> None:
    history, archive, _ = setup
    plain = tmp_path / "plain"
    code = run(
        ["--offline", "--archive", str(archive), "-o", str(plain), "-f", "json,fit", "-j", "1", "-q"],
        host=create_host(entry_points=False),
    )
    assert code == 0
    steps = _steps(_json_path(plain, history.rides[-1].workout_id).with_suffix(".fit"))
    assert {g["target_type"] for _, g, _ in steps} <= {"cadence", "open"}
    assert any(g["target_type"] == "cadence" for _, g, _ in steps)


def test_html_shows_the_band_and_the_table(setup: tuple[SynthHistory, Path, Path]) -> None:
    history, _, out = setup
    page = next(
        p
        for p in sorted(out.glob("*.html"))  # the ride's own page, never index.html (any order)
        if p.name != "index.html" and history.rides[-1].workout_id in p.read_text(encoding="utf-8")
    )
    text = page.read_text(encoding="utf-8")
    assert "<h2>Class cues in watts</h2>" in text
    assert "cadence and resistance cues in watts on this bike" in text
    output_chart = text.split("<figcaption>Output")[1].split("</figure>")[0]
    assert output_chart.count('class="band"') == len(history.rides[-1].targets) // 2


def test_without_a_saved_model_nothing_changes(
    setup: tuple[SynthHistory, Path, Path], tmp_path: Path
) -> None:
    _, archive, _ = setup
    path = model_path(archive)
    saved = path.read_bytes()
    path.unlink()
    try:
        plain = tmp_path / "plain"
        code = run(
            [
                "--offline",
                "--archive",
                str(archive),
                "-o",
                str(plain),
                "-f",
                FORMATS,
                *POWER,
                "-j",
                "1",
                "-q",
            ],
            host=create_host(entry_points=False),
        )
        assert code == 0
        if HAVE_PYARROW:
            import pyarrow.dataset as ds

            workouts = ds.dataset(plain / "parquet" / "workouts", partitioning="hive").to_table()
            assert workouts.num_rows == 10
            assert all(c == [] for c in workouts.column("class_cues").to_pylist())
            assert set(workouts.column("class_cues_device").to_pylist()) == {None}
            samples = ds.dataset(plain / "parquet" / "samples", partitioning="hive").to_table()
            assert samples.column("target_power_lower").null_count == samples.num_rows
        for file in plain.glob("*.json"):
            assert "class_cues" not in json.loads(file.read_text(encoding="utf-8"))
            steps = _steps(file.with_suffix(".fit"))  # fit.power_targets=true, but no model
            assert steps and all(g["target_type"] != "power" for _, g, _ in steps)
        for file in plain.glob("*.html"):
            if file.name != "index.html":
                text = file.read_text(encoding="utf-8")
                assert "Class cues in watts" not in text
                assert 'class="band"' not in text.split("<figcaption>Output")[1].split("</figure>")[0]
    finally:
        path.write_bytes(saved)


@pytest.mark.integration
def test_chromium_screenshots_of_a_class_page_with_the_band(
    setup: tuple[SynthHistory, Path, Path], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    history, _, out = setup
    page_path = next(
        p
        for p in sorted(out.glob("*.html"))  # the ride's own page, never index.html (any order)
        if p.name != "index.html" and history.rides[-1].workout_id in p.read_text(encoding="utf-8")
    )
    root = os.environ.get("PELOTON_EXPORT_ARTIFACTS")
    artifacts = Path(root) / "insights" if root else tmp_path
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, viewport, scheme in (
                ("class-cues-desktop.png", {"width": 1280, "height": 900}, "light"),
                ("class-cues-phone-dark.png", {"width": 390, "height": 844}, "dark"),
            ):
                page = browser.new_page(viewport=viewport, color_scheme=scheme)
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.goto(page_path.as_uri())
                bands = page.eval_on_selector_all(
                    "figure",
                    "fs => fs.filter(f => f.textContent.startsWith('Output'))"
                    ".map(f => f.querySelectorAll('rect.band').length)",
                )
                assert bands and bands[0] == len(history.rides[-1].targets) // 2
                box = page.eval_on_selector("rect.band", "r => r.getBoundingClientRect().height")
                assert box > 0
                assert page.locator("h2", has_text="Class cues in watts").count() == 1
                page.screenshot(path=str(artifacts / name), full_page=True)
                assert errors == []
                page.close()
        finally:
            browser.close()
