"""A hostile Strava (issue 22): an upload answered by a server that drips, sends 16 MB,
redirects to another host or sends HTML. Each workout fails alone with one line naming it
and the sink, no traceback, no token in the output or the logs, nothing sent elsewhere, and
the next run (Strava mended) delivers every workout once. The answers are the shared ones
of :mod:`peloton_export.testing.hostile` (intervals.icu's tests use the same)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peloton_export_strava.api import StravaSettings

from peloton_export.cli import run
from peloton_export.plugins import create_host
from peloton_export.store.ledger import Ledger, close_all
from peloton_export.testing import FakeService, tiny_workout
from peloton_export.testing.hostile import KINDS, HostileKind, assert_one_line_each, make_hostile

FakeStrava = Any  # conftest's fake (conftest is not importable under --import-mode=importlib)
pytestmark = pytest.mark.usefixtures("strava_clock")


@pytest.fixture
def elsewhere() -> Iterator[FakeService]:
    with FakeService() as fake:
        yield fake


def with_strava(tmp_path: Path, settings: StravaSettings, **more: str) -> None:
    section = {
        "base_url": settings.base_url,
        "client_id": str(settings.client_id),
        "client_secret": str(settings.client_secret),
        "token_file": str(settings.token_file),
        "journal_file": str(settings.journal_file),
        **more,
    }
    ini = tmp_path / "peloton.ini"
    base = ini.read_text().split("[plugin:strava]")[0]
    ini.write_text(base + "[plugin:strava]\n" + "".join(f"{k} = {v}\n" for k, v in section.items()))


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_upload_answer_fails_each_workout_alone_and_the_next_run_delivers(
    peloton_env: Any,
    tmp_path: Path,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    elsewhere: FakeService,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    kind: HostileKind,
) -> None:
    ids = [tiny_workout(i).workout_id for i in range(3)]
    for i, workout_id in enumerate(ids):  # where the look-up finds what the fake made
        fake_strava.starts[f"peloton-{workout_id}"] = int(tiny_workout(i).workout["start_time"])
    with_strava(tmp_path, logged_in, timeout="1")
    make_hostile(kind, fake_strava, "POST", "/api/v3/uploads", elsewhere=elsewhere.url)
    host = create_host()
    caplog.set_level(logging.DEBUG)

    assert run(["-f", "fit", "--sink", "strava", "--jobs", "1"], host=host) == 1
    out, err = capsys.readouterr()
    secrets = [fake_strava.access_token, fake_strava.refresh_token, str(logged_in.client_secret)]
    assert_one_line_each(out, ids, "strava", kind, secrets)
    assert "Traceback" not in err and not any(s in err + caplog.text for s in secrets)
    assert elsewhere.requests == []  # nothing followed the redirect: no token, no file there
    assert fake_strava.created == 0
    ledger = Ledger.for_reading()
    assert {r.state for r in ledger.uploads_for(["strava"]).values()} == {"failed"}  # pending
    close_all()

    fake_strava.clear_faults()
    assert run(["-f", "fit", "--sink", "strava", "--jobs", "1"], host=host) == 0
    capsys.readouterr()
    fake_strava.process_all()
    assert fake_strava.created == 3  # each once: the in-doubt ones were looked up first
    ledger = Ledger.for_reading()
    assert {r.state for r in ledger.uploads_for(["strava"]).values()} == {"uploaded"}
    close_all()
