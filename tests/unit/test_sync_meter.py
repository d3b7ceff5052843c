"""The fetching bar's time left: a lower bound while list pages may still queue workouts."""

from __future__ import annotations

from peloton_export.source.sync import _Meter


def test_time_left_says_at_least_until_the_last_list_page() -> None:
    seen: list[tuple[str, int, int | None, str]] = []
    meter = _Meter(lambda *event: seen.append(event), max_rate=2.0)
    meter.page(1, 5, 50)  # a first sync: 4 more pages to list
    meter.queued += 10
    meter.fetched("30 min Demo Groove Ride")
    assert seen[-1][0] == "fetching" and seen[-1][3].endswith("at least 9 s left"), seen[-1]
    meter.page(5, 5, 50)  # the last page: every workout to fetch is queued
    meter.fetched("30 min Demo Climb Ride")
    assert seen[-1][3].endswith(", about 8 s left"), seen[-1]
    meter.page(6, None, 60)  # no page count from Peloton: more may come
    meter.fetched("20 min Just Ride")
    assert "at least" in seen[-1][3]
