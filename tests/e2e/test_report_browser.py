"""Every demo page and the index in headless Chromium: no console error, charts drawn.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it) and
the ``playwright`` package; never ``playwright install`` (no network). Screenshots of every
page, light on a desktop and dark on a phone, are saved under ``$PELOTON_EXPORT_ARTIFACTS/
report/`` (``.ci/run`` sets it to ``test-artifacts/`` of the checkout, ignored by git, for CI
to keep), else under the test's own tmp folder.

Issue 23: in every chart of every page (both sizes) the rendered label boxes do not
intersect, stay inside their chart and off the bars; a line breaks only where the data has
a gap (:data:`peloton_export.formats.report.svg.GAP_S`), counted from the JSON file's samples.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from peloton_export.cli import run
from peloton_export.formats.report import build_index, render_page
from peloton_export.formats.report.svg import GAP_S
from peloton_export.normalize import normalize
from peloton_export.testing.synth.kinds import synth_workout as demo_workout

CHROMIUM = Path("/usr/bin/chromium")
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
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``$PELOTON_EXPORT_ARTIFACTS/report``, else a tmp folder."""
    root = os.environ.get("PELOTON_EXPORT_ARTIFACTS")
    folder = Path(root) / "report" if root else tmp_path_factory.mktemp("report-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: Every text box, bar and the chart's own box of each ``svg`` (CSS pixels), and the
#: sub-paths of its line.
MEASURE = """els => els.map(svg => {
  const box = r => ({l: r.left, r: r.right, t: r.top, b: r.bottom});
  const texts = [...svg.querySelectorAll('text')]
      .map(t => ({text: t.textContent, ...box(t.getBoundingClientRect())})).filter(t => t.r > t.l);
  const bars = [...svg.querySelectorAll('rect.bar')].map(r => box(r.getBoundingClientRect()));
  const line = svg.querySelector('path.line');
  return {cls: svg.getAttribute('class'), svg: box(svg.getBoundingClientRect()), texts, bars,
          moves: line ? (line.getAttribute('d').match(/M/g) || []).length : 0};
})"""


def _overlap(a: dict[str, float], b: dict[str, float], slack: float = 0.5) -> bool:
    return (
        min(a["r"], b["r"]) - max(a["l"], b["l"]) > slack
        and min(a["b"], b["b"]) - max(a["t"], b["t"]) > slack
    )


def label_problems(name: str, svgs: list[dict[str, Any]]) -> list[str]:
    """Labels that intersect another label or a bar, or leave their chart."""
    problems = []
    for svg in svgs:
        texts, outer = svg["texts"], svg["svg"]
        for i, a in enumerate(texts):
            inside = a["l"] >= outer["l"] - 1 and a["r"] <= outer["r"] + 1
            if not inside:
                problems.append(f"{name} {svg['cls']}: {a['text']!r} leaves the chart")
            problems += [
                f"{name} {svg['cls']}: {a['text']!r} overlaps {b['text']!r}"
                for b in texts[i + 1 :]
                if _overlap(a, b)
            ]
            problems += [
                f"{name} {svg['cls']}: {a['text']!r} runs into a bar"
                for bar in svg["bars"]
                if _overlap(a, bar)
            ]
    return problems


#: The JSON sample column behind each time chart (pace: a speed of 0.8 m/s or more).
CHART_COLUMNS = {
    "power": "power_w",
    "cadence": "cadence_rpm",
    "resistance": "resistance_pct",
    "speed": "speed_mps",
    "pace": "speed_mps",
    "incline": "incline_pct",
    "heart_rate": "heart_rate_bpm",
}


def expected_runs(data: dict[str, Any], metric: str) -> int:
    """How many unbroken runs the data of ``metric`` has (a gap: more than GAP_S seconds)."""
    samples = data["samples"]
    column = samples[CHART_COLUMNS[metric]]
    pairs = [
        (float(x), float(v))
        for x, v in zip(samples["offset_s"], column, strict=True)
        if v is not None and (metric != "pace" or v >= 0.8)
    ]
    offsets = [x for x, _ in pairs]
    return (1 + sum(b - a > GAP_S for a, b in pairwise(offsets))) if offsets else 0


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


def test_every_demo_page_renders_its_charts(browser: Any, demo_export: Path, artifacts: Path) -> None:
    problems: list[str] = []
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
            page.screenshot(path=str(artifacts / name), full_page=True)
            svgs = page.eval_on_selector_all("svg", MEASURE)
            page.close()
            problems += label_problems(name, svgs)
            for svg in svgs:
                metric = next((c[2:] for c in svg["cls"].split() if c.startswith("m-")), "")
                if metric in CHART_COLUMNS:
                    want = expected_runs(data, metric)
                    if svg["moves"] != want:
                        problems.append(
                            f"{name} {metric}: {svg['moves']} sub-paths, the data has {want} runs"
                        )
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
    assert not problems, "\n".join(problems)
    assert len(list(artifacts.glob("*.png"))) >= 20


#: The placeholder's text width and the room for it in the filter box (CSS pixels).
PLACEHOLDER = """q => {
  const style = getComputedStyle(q), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  return {text: ctx.measureText(q.placeholder).width,
          room: q.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)};
}"""


def test_index_sorts_and_filters_and_works_as_a_table(
    browser: Any, demo_export: Path, artifacts: Path
) -> None:
    page, errors = open_page(browser, demo_export / "index.html")
    rows = page.locator("#workouts tbody tr")
    assert rows.count() == 10
    page.screenshot(path=str(artifacts / "index-desktop-light.png"), full_page=True)
    problems = label_problems("index", page.eval_on_selector_all("svg", MEASURE))
    assert page.locator("svg").count() >= 2 and not problems, "\n".join(problems)
    room = page.eval_on_selector("input[type=search]", PLACEHOLDER)
    assert room["text"] <= room["room"], room
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
    phone.screenshot(path=str(artifacts / "index-phone-dark.png"), full_page=True)
    problems = label_problems("index (phone)", phone.eval_on_selector_all("svg", MEASURE))
    room = phone.eval_on_selector("input[type=search]", PLACEHOLDER)
    phone.close()
    assert errors == [] and not problems, problems
    assert room["text"] <= room["room"], room


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
