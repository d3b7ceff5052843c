"""The calibration-drift chart on the history page, from the model ``bike model`` saved.

A synthetic history of 30 rides whose bike reads 5 % lower from ride 15 is put in a real
archive; ``bike model`` fits, finds the change point and saves; an offline export writes
the HTML pages and ``index.html``. The index is checked as text and in Debian's Chromium
(Playwright, never ``playwright install``); screenshots go to
``$PELOTON_EXPORT_ARTIFACTS/insights``, else a tmp folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the insights extra (numpy) is not installed")

from lxml import html as lxml_html

from peloton_export.cli import run
from peloton_export.insights.store import model_path
from peloton_export.plugins import create_host
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.bike_history import SynthHistory, bike_history

CHROMIUM = Path("/usr/bin/chromium")
RIDES, STEP_AT = 30, 15


def _export(archive: Path, out: Path) -> None:
    code = run(
        ["--offline", "--archive", str(archive), "-o", str(out), "-f", "html", "-j", "1", "-q"],
        host=create_host(entry_points=False),
    )
    assert code == 0


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SynthHistory, Path, Path]]:
    root = tmp_path_factory.mktemp("drift")
    env = {
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_EXPORT_DATA_DIR": str(root / "data"),
        "PELOTON_EXPORT_STATE_DIR": str(root / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(root / "config"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        history = bike_history(5, rides=RIDES, ride_s=600, step_at=STEP_AT, step=-0.05)
        archive = root / "archive"
        history.put(Archive(archive))
        assert run(["bike", "model", "--archive", str(archive)], host=create_host(entry_points=False)) == 0
        out = root / "out"
        _export(archive, out)
        yield history, archive, out
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_index_shows_every_ride_the_eras_and_the_change_point(setup: tuple[SynthHistory, Path, Path]) -> None:
    history, archive, out = setup
    model = json.loads(model_path(archive).read_text(encoding="utf-8"))
    (change,) = model["change_points"]
    tree = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    (svg,) = tree.xpath("//svg[contains(@class, 'm-drift')]")
    assert (
        svg.get("data-points") == str(RIDES)
        and svg.get("data-eras") == "2"
        and svg.get("data-changes") == "1"
    )
    dots = svg.xpath(".//circle[contains(@class, 'dot')]")
    assert [d.get("data-era") for d in dots] == ["1"] * STEP_AT + ["2"] * (RIDES - STEP_AT)
    # each dot's tooltip is the ride's residual the model file holds, in date order
    residuals = [r["residual_pct"] for r in sorted(model["rides"], key=lambda r: r["start"])]
    shown = [float(d.findtext("title").rsplit(":", 1)[1].strip(" %")) for d in dots]
    assert shown == [round(r, 1) for r in residuals]
    # era 2 reads about 5 % below era 1 (the history's step), on the chart's own lines
    levels = {p.get("data-era"): p for p in svg.xpath(".//path[contains(@class, 'level')]")}
    first, second = (float(levels[k].findtext("title").split("mean ")[1].strip(" %")) for k in ("1", "2"))
    assert second - first == pytest.approx(-5.0, abs=1.0)
    (line,) = svg.xpath(".//line[contains(@class, 'change')]")
    assert line.get("data-date") == change["date"][:10]
    assert history.step_date is not None
    found = date.fromisoformat(line.get("data-date"))
    assert abs((history.step_date.date() - found).days) <= 3 * 2  # within 3 rides, a ride every 2 days
    sentences = tree.xpath("//ul[@class='changes']/li/text()")
    assert len(sentences) == 1 and "reads" in sentences[0] and "lower at the same cadence" in sentences[0]
    assert len(tree.xpath("//table[@class='eras']/tbody/tr")) == 2


def test_without_a_model_the_index_has_no_drift_section(
    setup: tuple[SynthHistory, Path, Path], tmp_path: Path
) -> None:
    _, archive, _ = setup
    path = model_path(archive)
    saved = path.read_bytes()
    path.unlink()
    try:
        _export(archive, tmp_path / "plain")
        text = (tmp_path / "plain" / "index.html").read_text(encoding="utf-8")
        assert "m-drift" not in text and "Your bike's calibration" not in text
    finally:
        path.write_bytes(saved)


@pytest.mark.integration
def test_chromium_draws_the_drift_chart(setup: tuple[SynthHistory, Path, Path], tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    _, _, out = setup
    root = os.environ.get("PELOTON_EXPORT_ARTIFACTS")
    artifacts = Path(root) / "insights" if root else tmp_path
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, viewport, scheme in (
                ("drift-index-desktop.png", {"width": 1280, "height": 900}, "light"),
                ("drift-index-phone-dark.png", {"width": 390, "height": 844}, "dark"),
            ):
                page = browser.new_page(viewport=viewport, color_scheme=scheme)
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.goto((out / "index.html").as_uri())
                chart = page.locator("svg.m-drift")
                assert chart.count() == 1
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
                drawn = page.eval_on_selector_all(
                    "svg.m-drift circle.dot",
                    "cs => cs.filter(c => { const r = c.getBoundingClientRect();"
                    " return r.width > 0 && getComputedStyle(c).fill !== 'none'; }).length",
                )
                assert drawn == RIDES
                change = page.eval_on_selector(
                    "svg.m-drift line.change",
                    "l => [l.getBoundingClientRect().height, getComputedStyle(l).strokeDasharray]",
                )
                assert change[0] > 50 and change[1] not in ("none", "")
                # the two eras are drawn in two colours
                colours = page.eval_on_selector_all(
                    "svg.m-drift path.level", "ps => ps.map(p => getComputedStyle(p).stroke)"
                )
                assert len(colours) == 2 and colours[0] != colours[1]
                page.locator("#drift").scroll_into_view_if_needed()
                page.screenshot(path=str(artifacts / name), full_page=True)
                assert errors == []
                page.close()
        finally:
            browser.close()
