"""kill -9 in the middle of a Strava upload (issue 22), with a real process: the loopback
Strava takes the upload and holds its answer back; the command line is SIGKILLed while it
waits. The next run must not upload that workout again (the journal says ``sending``: the
crash recovery looks it up on Strava first) and must deliver the others."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from peloton_export_strava.fake import CLIENT_ID, CLIENT_SECRET

from peloton_export.testing import Hold, tiny_workout

# tests/crash_helpers.py of the core (the command line in a subprocess); this folder's own
# "tests" name hides the core's package
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from crash_helpers import CliEnv

FakeStrava = Any


@pytest.mark.parametrize("processed", [True, False], ids=["strava-processed-it", "not-yet"])
def test_kill_9_while_strava_holds_the_upload_answer_never_uploads_twice(
    fake_peloton: Any, fake_strava: FakeStrava, tmp_path: Path, processed: bool
) -> None:
    env = CliEnv.create(fake_peloton, tmp_path / "run", plugins="strava")
    ids = [tiny_workout(i).workout_id for i in range(3)]
    for i, workout_id in enumerate(ids):
        fake_strava.starts[f"peloton-{workout_id}"] = int(tiny_workout(i).workout["start_time"])
    token_file = env.root / "config" / "strava-token.json"
    token = {
        "access_token": fake_strava.access_token,
        "refresh_token": fake_strava.refresh_token,
        "expires_at": int(time.time() + 6 * 3600),
    }
    token_file.write_text(json.dumps(token))
    token_file.chmod(0o600)
    journal = env.root / "state" / "strava-journal.json"
    section = (
        f"[plugin:strava]\nbase_url = {fake_strava.url}\nclient_id = {CLIENT_ID}\n"
        f"client_secret = {CLIENT_SECRET}\ntoken_file = {token_file}\njournal_file = {journal}\n"
    )
    ini = env.root / "peloton.ini"
    ini.write_text(ini.read_text() + section)
    hold = Hold()
    fake_strava.fault("POST", "/api/v3/uploads", 0, after=True, hold=hold)  # kept, answer held

    args = ["-f", "fit", "--sink", "strava", "--jobs", "1", "-o", str(tmp_path / "out")]
    first = env.start(args, name="first")
    assert hold.reached.wait(60), first.read()
    first.signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    hold.release()
    assert first.proc.returncode == -signal.SIGKILL
    assert len(fake_strava.posts()) == 1 and len(fake_strava.uploads) == 1
    killed = json.loads(journal.read_text())
    (in_flight,) = [key for key, entry in killed.items() if entry.get("phase") == "sending"]
    if processed:
        fake_strava.process_all()  # Strava finished it while we were dead

    second = env.run(args, name="second")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    fake_strava.process_all()
    assert fake_strava.created == 3  # one activity per workout: never a second copy
    posts = [r.form.get("external_id") for r in fake_strava.posts()]
    if processed:  # found by the look-up: not sent again
        assert posts.count(f"peloton-{in_flight}") == 1 and len(posts) == 3
    else:  # not there yet: sent again, and Strava's duplicate check answers for it
        assert len(posts) <= 4
    third = env.run(args, name="third")
    assert third.returncode == 0 and len(fake_strava.posts()) == len(posts)  # all delivered
