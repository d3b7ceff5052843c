"""A hostile intervals.icu (issue 22): the upload answered by a server that drips, sends
16 MB, redirects to another host or sends HTML (the shared answers of
:mod:`peloton_export.testing.hostile`). Each workout fails alone with one line naming it
and the sink, no traceback, no API key in the output or the logs, nothing sent elsewhere;
the next run (intervals.icu mended) delivers every workout once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peloton_export_intervals.fake import API_KEY, FakeIntervals

from peloton_export.cli import run
from peloton_export.plugins import create_host
from peloton_export.store.ledger import Ledger, close_all
from peloton_export.testing import FakeService, tiny_workout
from peloton_export.testing.hostile import KINDS, HostileKind, assert_one_line_each, make_hostile


@pytest.fixture
def elsewhere() -> Iterator[FakeService]:
    with FakeService() as fake:
        yield fake


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_upload_answer_fails_each_workout_alone_and_the_next_run_delivers(
    peloton_env: Any,
    tmp_path: Path,
    fake_icu: FakeIntervals,
    elsewhere: FakeService,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    kind: HostileKind,
) -> None:
    ids = [tiny_workout(i).workout_id for i in range(3)]
    ini = tmp_path / "peloton.ini"
    journal = tmp_path / "state" / "intervals-journal.json"
    section = f"api_key = {API_KEY}\nbase_url = {fake_icu.url}\njournal_file = {journal}\ntimeout = 1\n"
    ini.write_text(ini.read_text() + "[plugin:intervals]\n" + section)
    make_hostile(kind, fake_icu, "POST", r"/api/v1/athlete/[^/]+/activities", elsewhere=elsewhere.url)
    host = create_host()
    caplog.set_level(logging.DEBUG)

    assert run(["-f", "fit", "--sink", "intervals", "--jobs", "1"], host=host) == 1
    out, err = capsys.readouterr()
    assert_one_line_each(out, ids, "intervals", kind, [API_KEY])
    assert "Traceback" not in err and API_KEY not in err + caplog.text
    assert elsewhere.requests == []
    assert fake_icu.created == 0
    ledger = Ledger.for_reading()
    assert {r.state for r in ledger.uploads_for(["intervals"]).values()} == {"failed"}
    close_all()

    fake_icu.clear_faults()
    assert run(["-f", "fit", "--sink", "intervals", "--jobs", "1"], host=host) == 0
    capsys.readouterr()
    assert fake_icu.created == 3
    ledger = Ledger.for_reading()
    assert {r.state for r in ledger.uploads_for(["intervals"]).values()} == {"uploaded"}
    close_all()
