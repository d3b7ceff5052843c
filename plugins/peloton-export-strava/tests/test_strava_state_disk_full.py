"""The state folder (ledger, the Strava journal) on a full disk during a Strava upload run
(issue 22): one ``Error:`` line naming the folder, exit 4, nothing false recorded; the next
run, the disk freed, delivers every workout exactly once.

A real full disk: a tiny tmpfs mounted over the state folder in a private mount namespace
(``unshare -m``, root needed), holding a copy of the state and filled up with ``dd``; after
the run the state left on it is copied back out for the checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from peloton_export_strava.fake import CLIENT_ID, CLIENT_SECRET

from peloton_export.testing import tiny_workout

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from crash_helpers import RUN_TIMEOUT, CliEnv, ledger_rows


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


def _run_on_full_state(env: CliEnv, state: Path, args: list[str]) -> tuple[int, list[str]]:
    """The CLI with the folder ``state`` on a full tmpfs (a copy of it, copied back after)."""
    keep = env.root / "state-before"
    shutil.copytree(state, keep)
    cli = " ".join([sys.executable, "-m", "peloton_export", *args])
    script = (
        f"set -e; mount -t tmpfs -o size=1m tmpfs {state}; cp -a {keep}/. {state}/;"
        f" dd if=/dev/zero of={state}/fill bs=4k >/dev/null 2>&1 || true; set +e;"
        f" {cli} > {env.root / 'full.out'} 2>&1; code=$?; rm -f {state}/fill;"
        f" rm -rf {keep}; cp -a {state} {keep}; exit $code"
    )
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        env=env.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    shutil.rmtree(state)
    keep.rename(state)
    return done.returncode, (env.root / "full.out").read_text(encoding="utf-8").splitlines()


@pytest.mark.skipif(not _can_mount(), reason="needs root and a mount namespace (unshare -m)")
@pytest.mark.parametrize("full", ["state", "journal"], ids=["state-folder", "journal-folder"])
def test_a_full_state_disk_during_strava_uploads_is_one_error_line_and_the_next_run_delivers_once(
    fake_peloton: Any, fake_strava: Any, tmp_path: Path, full: str
) -> None:
    """``state``: the whole state folder is full (the ledger refuses first); ``journal``: the
    Strava journal's own folder is full while the ledger still takes writes."""
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
    state = env.root / "state"
    journal = state / "strava" / "journal.json"
    journal.parent.mkdir(parents=True)
    section = (
        f"[plugin:strava]\nbase_url = {fake_strava.url}\nclient_id = {CLIENT_ID}\n"
        f"client_secret = {CLIENT_SECRET}\ntoken_file = {token_file}\njournal_file = {journal}\n"
    )
    ini = env.root / "peloton.ini"
    ini.write_text(ini.read_text() + section)
    out = ["-f", "fit", "--jobs", "1", "-o", str(tmp_path / "out")]
    first = env.run(out, name="export")  # the ledger exists, the files are written
    assert first.returncode == 0, first.stdout + first.stderr

    folder = state if full == "state" else journal.parent
    code, lines = _run_on_full_state(env, folder, [*out, "--sink", "strava"])
    assert code == 4, lines
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and len(lines) == 1, lines
    assert str(folder) in errors[0], lines
    if full == "journal":
        assert "No space left on device" in errors[0], lines
    assert not any("Traceback" in line or "OSError" in line for line in lines), lines
    assert not any("plugin 'strava' failed" in line for line in lines), lines
    # nothing false recorded: no delivery in the ledger that Strava does not hold
    sent = Counter(r.form.get("external_id") for r in fake_strava.posts())
    assert all(count == 1 for count in sent.values()), sent
    for workout_id, state_, remote_id in ledger_rows(env.ledger, "uploads", "workout_id, state, remote_id"):
        assert state_ == "failed" or (f"peloton-{workout_id}" in sent and remote_id), (workout_id, state_)

    second = env.run([*out, "--sink", "strava"], name="freed")
    assert second.returncode == 0, second.stdout + second.stderr
    fake_strava.process_all()
    assert fake_strava.created == 3  # one activity per workout
    posts = Counter(r.form.get("external_id") for r in fake_strava.posts())
    assert set(posts) == {f"peloton-{workout_id}" for workout_id in ids}, posts
    assert all(count == 1 for count in posts.values()), posts  # never sent twice
    third = env.run([*out, "--sink", "strava"], name="third")
    assert third.returncode == 0 and len(fake_strava.posts()) == 3  # all delivered: nothing more sent
