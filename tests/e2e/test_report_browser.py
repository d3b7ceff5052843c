"""Every demo page and the index in headless Chromium: no console error, charts drawn.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it) and
the ``playwright`` package; never ``playwright install`` (no network). Screenshots of every
page, light on a desktop and dark on a phone, are saved under ``test-artifacts/report/``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peloton_export.cli import run
from peloton_export.formats.report import build_index, render_page
from peloton_export.normalize import normalize
from peloton_export.testing.synth.kinds import synth_workout as demo_workout

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'

pytestmark = pytest.mark.integration
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is absent (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert run(["--demo", "-o", str(out)]) == 0
    build_index(out, None, None)  # what the export_finished hook does at the end of a run
    return out


def open_page(browser: Any, path: Path, *, phone: bool = False) -> tuple[Any, list[str]]:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    page = browser.new_page(viewport=viewport, color_scheme="dark" if phone else "light")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    return page, errors


def test_every_demo_page_renders_its_charts(browser: Any, demo_export: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = sorted(p for p in demo_export.glob("*.html") if p.name != "index.html")
    assert len(pages) == 10
    for path in pages:
        facts = json.loads(
            path.read_text(encoding="utf-8").split('id="workout-facts">')[1].split("</script>")[0]
        )
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        for phone in (False, True):
            page, errors = open_page(browser, path, phone=phone)
            charts = page.eval_on_selector_all(
                "svg.chart",
                """els => els.map(e => ({cls: e.getAttribute('class'), points: +e.dataset.points,
                    bands: e.querySelectorAll('rect.band').length,
                    width: e.getBoundingClientRect().width,
                    line: (e.querySelector('path.line') || {getTotalLength: () => 0}).getTotalLength()}))""",
            )
            name = f"{path.stem[:40]}-{'phone-dark' if phone else 'desktop-light'}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            page.close()
            assert errors == [], (path.name, errors)
            assert facts["title"] == data["title"]
            if data["samples"]["offset_s"]:
                assert charts, path.name
            for chart in charts:
                assert chart["points"] > 0 and chart["line"] > 0 and chart["width"] > 300, (path.name, chart)
            targets = {t["metric"] for t in data["targets"]}
            for metric in ("cadence", "resistance"):
                chart = next((c for c in charts if f"m-{metric}" in c["cls"]), None)
                if metric in targets:
                    assert chart is not None and chart["bands"] > 0, (path.name, metric)
            if "speed" in targets:
                speed = next(c for c in charts if "m-pace" in c["cls"] or "m-speed" in c["cls"])
                assert speed["bands"] > 0, path.name


def test_index_sorts_and_filters_and_works_as_a_table(browser: Any, demo_export: Path) -> None:
    page, errors = open_page(browser, demo_export / "index.html")
    rows = page.locator("#workouts tbody tr")
    assert rows.count() == 10
    page.screenshot(path=str(ARTIFACTS / "index-desktop-light.png"), full_page=True)
    page.locator("#workouts thead th").nth(4).locator("button").click()  # Time, ascending
    times = page.eval_on_selector_all(
        "#workouts tbody tr td:nth-child(5)", "els => els.map(e => +e.dataset.v)"
    )
    assert times == sorted(times)
    page.fill("input[type=search]", "strength")
    assert page.locator("#workouts tbody tr:not([hidden])").count() == 2
    page.fill("input[type=search]", "")
    page.select_option("select", "cycling")
    assert page.locator("#workouts tbody tr:not([hidden])").count() == 4
    page.close()
    assert errors == []
    phone, errors = open_page(browser, demo_export / "index.html", phone=True)
    phone.screenshot(path=str(ARTIFACTS / "index-phone-dark.png"), full_page=True)
    phone.close()
    assert errors == []


def test_hostile_title_renders_as_text(browser: Any, tmp_path: Path) -> None:
    workout = dataclasses.replace(
        normalize(demo_workout("cycling_class", seed=4, duration_s=300)), title=HOSTILE
    )
    path = tmp_path / "hostile.html"
    path.write_text(render_page(workout, path.name), encoding="utf-8")
    build_index(tmp_path, None, None)
    for target in (path, tmp_path / "index.html"):
        page, errors = open_page(browser, target)
        assert page.title() != "pwned"
        assert page.locator("img").count() == 0
        if target == path:
            assert page.locator("h1").inner_text() == HOSTILE
        else:
            assert page.locator("#workouts a").inner_text() == HOSTILE
        page.close()
        assert errors == []
