"""The html format's workout page and the facts it embeds (no browser; see test_report_browser)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from peloton_export.default_plugins.html import write_html
from peloton_export.formats.report.facts import fastest, mean_max, power_curve, workout_facts
from peloton_export.formats.report.index import facts_from_page
from peloton_export.formats.report.svg import nice_ticks
from peloton_export.model import Sample, Workout
from peloton_export.normalize import normalize
from peloton_export.specs import ExportContext
from peloton_export.testing.synth.kinds import STANDARD_KINDS
from peloton_export.testing.synth.kinds import synth_workout as demo_workout

HOSTILE = '</title><script>alert("t")</script><img src=x onerror=alert(1)> & "quotes"'


def render(workout: Workout, tmp_path: Path) -> str:
    buffer = io.BytesIO()
    write_html(workout, buffer, ExportContext(output_dir=tmp_path))
    return buffer.getvalue().decode("utf-8")


def charts(page: str) -> dict[str, lxml_html.HtmlElement]:
    tree = lxml_html.fromstring(page)
    found = {}
    for svg in tree.xpath("//svg"):
        classes = svg.get("class", "").split()
        metric = next((c[2:] for c in classes if c.startswith("m-")), None)
        if metric:
            found[metric] = svg
    return found


@pytest.mark.parametrize("kind", STANDARD_KINDS)
def test_page_is_deterministic_self_contained_and_has_no_script(kind: str, tmp_path: Path) -> None:
    workout = normalize(demo_workout(kind, seed=3, duration_s=600))
    page = render(workout, tmp_path)
    assert page == render(workout, tmp_path)
    assert page.startswith("<!DOCTYPE html>")
    csp = lxml_html.fromstring(page).xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp and csp[0].startswith("default-src 'none';") and "script-src" not in csp[0]
    # nothing to fetch: no external URL in any src/href, and the only script is a JSON data block
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="workout-facts">']
    assert f"<title>{workout.title}</title>" in page


def test_cycling_class_charts_with_target_bands_and_zones(tmp_path: Path) -> None:
    workout = normalize(demo_workout("cycling_class", seed=1, duration_s=1200))
    found = charts(render(workout, tmp_path))
    assert {"power", "cadence", "resistance", "speed", "heart_rate"} <= set(found)
    for metric in ("cadence", "resistance"):
        svg = found[metric]
        assert int(svg.get("data-bands")) > 0, metric
        assert svg.xpath(".//*[@class='band']"), metric
    assert int(found["power"].get("data-points")) == sum(1 for s in workout.samples if s.power_w is not None)
    assert found["power"].get("data-bands") == "0"
    assert found["heart_rate"].xpath(".//*[contains(@class,'zone')]")
    # the line has a point per reading (or per thinned column), starting with a move
    d = found["power"].xpath(".//*[@class='line']")[0].get("d")
    assert d.startswith("M") and d.count("L") > 100


def test_tread_run_has_pace_with_speed_targets_and_incline(tmp_path: Path) -> None:
    workout = normalize(demo_workout("tread_run", seed=1, duration_s=1200))
    found = charts(render(workout, tmp_path))
    assert "pace" in found and "speed" not in found
    assert int(found["pace"].get("data-bands")) > 0
    assert int(found["incline"].get("data-bands")) > 0


def test_outdoor_run_draws_its_route_and_strength_lists_sets(tmp_path: Path) -> None:
    run = normalize(demo_workout("outdoor_run", seed=1, duration_s=600))
    tree = lxml_html.fromstring(render(run, tmp_path))
    route = tree.xpath("//svg[contains(@class,'track')]")[0]
    assert int(route.get("data-points")) == len(run.track)
    assert route.xpath(".//*[@class='route']")[0].get("d").count("L") == len(run.track) - 1

    lift = normalize(demo_workout("strength", seed=1, duration_s=600))
    tree = lxml_html.fromstring(render(lift, tmp_path))
    rows = tree.xpath("//h2[text()='Sets']/following-sibling::div[1]//tbody/tr")
    active = [s for s in lift.sets if s.kind == "active"]
    assert len(rows) == len(active)
    assert rows[0].xpath("td")[1].text_content() == (active[0].movement_name or active[0].movement_id)


def test_meditation_says_there_is_nothing_to_chart(tmp_path: Path) -> None:
    page = render(normalize(demo_workout("meditation", seed=1)), tmp_path)
    assert "recorded no metrics over time" in page
    assert not charts(page)


def test_local_date_uses_the_workouts_own_timezone(tmp_path: Path) -> None:
    workout = normalize(demo_workout("cycling_class", seed=1, duration_s=300))
    tokyo = dataclasses.replace(
        workout, timezone="Asia/Tokyo", start=datetime(2026, 1, 31, 20, 0, tzinfo=UTC)
    )
    page = render(tokyo, tmp_path)
    assert "Sunday 1 February 2026, 05:00 (Asia/Tokyo)" in page


def test_hostile_title_and_instructor_are_text(tmp_path: Path) -> None:
    workout = dataclasses.replace(
        normalize(demo_workout("strength", seed=1, duration_s=300)), title=HOSTILE, instructor=HOSTILE
    )
    page = render(workout, tmp_path)
    assert "<script>alert" not in page and "<img src=x" not in page
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//h1")[0].text_content() == HOSTILE
    assert tree.xpath("//title")[0].text_content() == HOSTILE
    assert len(tree.xpath("//script")) == 1 and not tree.xpath("//img")
    facts = json.loads(tree.xpath("//script")[0].text)
    assert facts["title"] == HOSTILE


def test_facts_round_trip_through_the_page(tmp_path: Path) -> None:
    workout = normalize(demo_workout("cycling_class", seed=2, duration_s=900))
    path = tmp_path / "page.html"
    path.write_text(render(workout, tmp_path), encoding="utf-8")
    facts = facts_from_page(path)
    assert facts is not None
    expected = workout_facts(workout, facts["page"])
    assert facts == json.loads(json.dumps(expected))
    assert facts["curve"]["300"] > 0 and "3600" not in facts["curve"]


def _samples(powers: list[float | None], speed: float = 0.0) -> tuple[Sample, ...]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return tuple(
        Sample(offset=i, time=start + timedelta(seconds=i), power_w=p, distance_m=i * speed)
        for i, p in enumerate(powers)
    )


def test_mean_max_finds_the_best_window_and_counts_gaps_as_zero() -> None:
    grid = [100.0] * 10 + [300.0] * 5 + [100.0] * 10
    assert mean_max(grid, 5) == 300.0
    assert mean_max(grid, 10) == 200.0
    assert mean_max(grid, 26) is None
    samples = _samples([200.0, None, None, None, 200.0])
    assert power_curve(samples, (1, 5)) == {"1": 200.0, "5": 80.0}


def test_fastest_distance_takes_the_shortest_span() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # 2 m/s for 100 s, then 5 m/s for 100 s
    distances = [2.0 * i for i in range(101)] + [200.0 + 5.0 * i for i in range(1, 101)]
    samples = tuple(
        Sample(offset=i, time=start + timedelta(seconds=i), distance_m=d) for i, d in enumerate(distances)
    )
    assert fastest(samples, 500.0) == 100
    assert fastest(samples, 400.0) == 80
    assert fastest(samples, 10_000.0) is None


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0, 233) == [0, 100, 200, 300]
    assert nice_ticks(41, 118) == [40, 60, 80, 100, 120]
