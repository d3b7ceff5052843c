"""The history page: build_index against a real archive, ledger and output folder."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from peloton_export.default_plugins import html as html_plugin
from peloton_export.export.exporter import Exporter
from peloton_export.formats.report.index import CACHE_NAME, INDEX_NAME, build_index, collect_facts
from peloton_export.plugins import create_host
from peloton_export.results import ExportReport, RunContext, Selection
from peloton_export.specs import ExportContext
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import Ledger
from peloton_export.testing.synth.kinds import synth_workout as demo_workout

KINDS = ("cycling_class", "tread_run", "row", "metric_ride")
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for day, kind in enumerate(KINDS):
        raw = demo_workout(kind, seed=day, duration_s=1500, start=datetime(2026, 3, 1 + day, 7, tzinfo=UTC))
        archive.put_raw(raw)
    return archive


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "state" / "ledger.sqlite3")


def export(
    archive: Archive, ledger: Ledger, out: Path, ids: list[str] | None = None, **ctx: bool
) -> ExportReport:
    host = create_host(entry_points=False)
    exporter = Exporter(
        host=host,
        archive=archive,
        context=ExportContext(output_dir=out, **ctx),
        formats=host.resolve("format", ["html"]),
        ledger=ledger,
    )
    return exporter.run(Selection(workout_ids=frozenset(ids) if ids is not None else None))


def links(index: Path) -> list[str]:
    tree = lxml_html.fromstring(index.read_text(encoding="utf-8"))
    return [str(a.get("href")) for a in tree.xpath("//table[@id='workouts']//a")]


def test_index_lists_every_page_of_the_folder_across_runs(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    ids = archive.ids()
    export(archive, ledger, out, ids[:2])
    first = links(build_index(out, ledger, archive))
    assert len(first) == 2
    export(archive, ledger, out, ids[2:])  # a later run exports the others only
    export(archive, ledger, tmp_path / "elsewhere", ids[:1])  # another folder: not listed
    index = build_index(out, ledger, archive)
    pages = sorted(p.name for p in out.glob("*.html") if p.name != INDEX_NAME)
    assert sorted(links(index)) == pages and len(pages) == len(KINDS)
    # newest first without JavaScript
    assert links(index) == sorted(pages, reverse=True)
    data = index.read_bytes()
    assert build_index(out, ledger, archive).read_bytes() == data  # same history, same bytes


def test_facts_come_from_the_cache_then_pages_then_archive(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(archive, ledger, out)
    (out / CACHE_NAME).unlink()  # the run's export_finished built the index and its cache
    _, counts = collect_facts(out, ledger, archive)
    assert counts == {"cache": 0, "page": len(KINDS), "archive": 0, "missing": 0}
    _, counts = collect_facts(out, ledger, archive)
    assert counts == {"cache": len(KINDS), "page": 0, "archive": 0, "missing": 0}
    # a page without embedded facts (an older version's) is read from the archive once
    (out / CACHE_NAME).unlink()
    page = sorted(p for p in out.glob("*.html") if p.name != INDEX_NAME)[0]
    page.write_text(re.sub(r'<script type="application/json".*?</script>', "", page.read_text()))
    facts, counts = collect_facts(out, ledger, archive)
    assert counts == {"cache": 0, "page": len(KINDS) - 1, "archive": 1, "missing": 0}
    assert page.name in {f["page"] for f in facts}
    _, counts = collect_facts(out, ledger, None)
    assert counts["cache"] == len(KINDS)
    # a page whose content changed (a new content hash in the ledger) is read again
    record = ledger.exported(archive.ids()[0], "html")
    assert record is not None
    ledger.record_export(record.workout_id, "html", record.path, "sha256:changed")
    _, counts = collect_facts(out, ledger, archive)
    assert counts["cache"] == len(KINDS) - 1 and counts["page"] + counts["archive"] == 1


def test_records_and_volume(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(archive, ledger, out)
    facts, _ = collect_facts(out, ledger, archive)
    tree = lxml_html.fromstring(build_index(out, ledger, archive).read_text(encoding="utf-8"))
    rides = [f for f in facts if f["discipline"] == "cycling"]
    best_5s = max(f["curve"]["5"] for f in rides)
    power_rows = tree.xpath("//h2[text()='Bike power records']/following-sibling::div[1]//tbody/tr")
    assert power_rows[0].xpath("th")[0].text_content() == "5 s"
    assert power_rows[0].xpath("td")[0].text_content() == f"{best_5s:.0f} W"
    assert power_rows[-1].xpath("td")[0].text_content() == "–"  # no 60-minute ride
    curve = tree.xpath("//svg[contains(@class,'m-curve')]")[0]
    assert int(curve.get("data-points")) >= 2 * 8  # all time and 2026
    headings = [h.text_content() for h in tree.xpath("//h3")]
    assert headings == ["Tread: fastest", "Row: fastest", "Bike"]
    month = tree.xpath("//h2[text()='Volume per month']/following-sibling::div[1]//tbody/tr")
    assert [r.xpath("th")[0].text_content() for r in month] == ["2026-03"]


def test_hostile_title_is_text_in_the_index(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    raw = demo_workout("cycling_class", seed=9, duration_s=300, start=datetime(2026, 4, 1, tzinfo=UTC))
    raw.workout["ride"]["title"] = HOSTILE
    raw.workout["ride"]["instructor"]["name"] = HOSTILE
    archive.put_raw(raw)
    out = tmp_path / "out"
    export(archive, ledger, out)
    text = build_index(out, ledger, archive).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img" not in text
    tree = lxml_html.fromstring(text)
    assert HOSTILE in [a.text_content() for a in tree.xpath("//table[@id='workouts']//a")]
    assert len(tree.xpath("//script")) == 1  # only the table script, allowed by its hash


def test_export_finished_hook_writes_the_index_except_on_dry_runs(
    archive: Archive, ledger: Ledger, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(archive, ledger, out, dry_run=True)  # the run calls export_finished itself
    assert not (out / INDEX_NAME).exists()
    export(archive, ledger, out)
    assert len(links(out / INDEX_NAME)) == len(KINDS)
    # a run without html leaves an existing index alone
    before = (out / INDEX_NAME).stat().st_mtime_ns
    host = create_host(entry_points=False)
    context = RunContext(ExportContext(output_dir=out), archive, ledger, host, formats=("json",))
    html_plugin.export_finished(context, ExportReport())
    assert (out / INDEX_NAME).stat().st_mtime_ns == before


def test_index_script_is_allowed_by_its_csp_hash(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    import base64
    import hashlib

    out = tmp_path / "out"
    export(archive, ledger, out)
    tree = lxml_html.fromstring(build_index(out, ledger, archive).read_text(encoding="utf-8"))
    script = tree.xpath("//script")[0].text
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert f"script-src 'sha256-{digest}'" in csp


def test_cache_file_is_small_json(archive: Archive, ledger: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(archive, ledger, out)
    build_index(out, ledger, archive)
    cache = json.loads((out / CACHE_NAME).read_text())
    assert cache["v"] == 1 and len(cache["pages"]) == len(KINDS)
    assert (out / CACHE_NAME).stat().st_size < 2000 * len(KINDS)
    assert io.BytesIO((out / INDEX_NAME).read_bytes()).read(15) == b"<!DOCTYPE html>"
