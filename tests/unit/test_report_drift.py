"""The history page's drift section from plain data: escaping, counts, no section without rides."""

from __future__ import annotations

from datetime import date, timedelta

from lxml import html as lxml_html

from peloton_export.formats.report.drift import DriftChange, DriftDevice, DriftRide, drift_section
from peloton_export.formats.report.index import render_index


def _device(name: str, n: int, change_at: int | None) -> DriftDevice:
    day0 = date(2025, 1, 1)
    rides = tuple(
        DriftRide(
            day0 + timedelta(days=2 * i),
            (1.0 if change_at is None or i < change_at else -6.0) + (0.3 if i % 2 else -0.3),
            1 if change_at is None or i < change_at else 2,
            "<b>Ride</b>",
        )
        for i in range(n)
    )
    changes = (
        ()
        if change_at is None
        else (DriftChange(rides[change_at].day, -7.0, "since 2025-01-21 this bike reads 7.0 % lower"),)
    )
    return DriftDevice(name, rides, changes, noise_pct=0.4)


def test_the_section_counts_rides_eras_and_changes_and_escapes_text() -> None:
    text = drift_section([_device("<script>alert(1)</script>", 20, 10), _device("tiny", 1, None)])
    assert "<script>" not in text and "<b>" not in text
    tree = lxml_html.fromstring(f"<div>{text}</div>")
    (svg,) = tree.xpath("//svg")  # the one-ride device has no chart
    assert (svg.get("data-points"), svg.get("data-eras"), svg.get("data-changes")) == ("20", "2", "1")
    assert svg.xpath(".//line[@class='change']/@data-date") == ["2025-01-21"]
    means = [row.xpath("td/text()")[-1] for row in tree.xpath("//table[@class='eras']/tbody/tr")]
    assert means == ["+1.0 %", "-6.0 %"]
    assert tree.xpath("//ul[@class='changes']/li/text()") == ["Since 2025-01-21 this bike reads 7.0 % lower."]


def test_an_unchanged_bike_says_so_with_its_noise() -> None:
    tree = lxml_html.fromstring(f"<div>{drift_section([_device('home_bike_v1', 12, None)])}</div>")
    assert tree.xpath("//p[@class='note']/text()")[-1] == (
        "No calibration shift over 12 rides (ride-to-ride noise 0.4 %)."
    )


def test_index_without_drift_has_no_section_and_is_stable_with_it() -> None:
    assert "Your bike" not in render_index([])
    drift = [_device("home_bike_v1", 20, 10)]
    assert render_index([], drift) == render_index([], drift)
    assert '<h2 id="drift">Your bike\'s calibration</h2>' in render_index([], drift)
