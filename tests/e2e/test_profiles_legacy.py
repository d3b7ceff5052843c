"""A state folder and config made by the version before profiles work unchanged.

``tests/data/state-4aa5b10`` was made by main at 4aa5b10 (``make_state.py`` beside it says
how): a config with a ``[peloton]`` login and no ``[profile:*]`` section, a saved token,
an archive of two workouts, the ledger, the watch status and the files exported. Today's
version, on a copy, must read it as the default profile: the same ``status`` output that
version printed, and a ``watch --once`` that uses the saved login, the archive and the
ledger where they are (only the one new workout fetched and exported), with no profile
folder made anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from peloton_export.testing import FakePeloton
from peloton_export.testing.auth0 import _Grant
from peloton_export.testing.synth import synth_workouts

LEGACY = Path(__file__).resolve().parents[1] / "data" / "state-4aa5b10"
TEN_YEARS = 10 * 366 * 86400.0


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the old state folder (the generator left out)."""
    copy = tmp_path / "root"
    shutil.copytree(LEGACY, copy, ignore=shutil.ignore_patterns("make_state.py", "__pycache__"))
    (copy / "config" / "token.json").chmod(0o600)
    (copy / "config").chmod(0o700)
    return copy


@pytest.fixture
def fake(root: Path) -> Iterator[FakePeloton]:
    """The same account with one workout more (the newest), knowing the saved token."""
    fake = FakePeloton(
        lambda: synth_workouts(3, seed=7, duration_s=120), count=3, token_ttl=TEN_YEARS
    ).start()
    token = json.loads((root / "config" / "token.json").read_text(encoding="utf-8"))
    # the token the old version saved, as Peloton still knows it
    fake.tokens.access[token["access_token"]] = _Grant(token["user_id"], fake.now() + TEN_YEARS)
    fake.tokens.refresh[token["refresh_token"]] = _Grant(token["user_id"], fake.now() + TEN_YEARS)
    yield fake
    fake.stop()


def environment(root: Path, fake: FakePeloton | None = None) -> dict[str, str]:
    """The variables the old state was made with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "STRAVA_"))}
    env.update(
        PELOTON_CONFIG=str(root / "peloton.ini"),
        PELOTON_EXPORT_CONFIG_DIR=str(root / "config"),
        PELOTON_EXPORT_STATE_DIR=str(root / "state"),
        PELOTON_EXPORT_DATA_DIR=str(root / "data"),
        PELOTON_EXPORT_ARCHIVE=str(root / "data" / "archive"),
        PELOTON_EXPORT_LOAD_PLUGINS="",
        HOME=str(root.parent / "home"),
    )
    if fake is not None:
        env.update(PELOTON_EXPORT_API_URL=fake.api_url, PELOTON_EXPORT_AUTH_URL=fake.auth_url)
    return env


def peloton_export(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peloton_export", *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_old_state_is_the_default_profile(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peloton_export.config import load_config
    from peloton_export.profiles import load_profiles, resolve_profile

    for name, value in environment(root).items():
        monkeypatch.setenv(name, value)
    profiles = load_profiles(load_config())
    assert [p.name for p in profiles] == ["default"]
    (only,) = profiles
    assert only.dirs.state == root / "state" and only.dirs.config == root / "config"
    assert only.dirs.archive == root / "data" / "archive" and only.dirs.data == root / "data"
    assert only.config.username == "member@example.com"
    assert only.output_dir == Path("out")
    assert resolve_profile(None).dirs == only.dirs


def test_status_prints_what_the_old_version_printed(root: Path) -> None:
    done = peloton_export(root, environment(root), "status")
    assert done.returncode == 0, done.stderr
    want = (LEGACY / "status.txt").read_text(encoding="utf-8")
    assert done.stdout.replace(str(root), "<ROOT>") == want
    assert not done.stderr


def test_watch_goes_on_from_the_old_state(root: Path, fake: FakePeloton) -> None:
    before = sorted(p.name for p in (root / "out").iterdir())
    done = peloton_export(root, environment(root, fake), "watch", "--once", "--now")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Peloton sync: 1 new, 0 updated, 2 already archived" in log, log
    assert "1 exported, 2 unchanged, 0 skipped, 0 failed (2 files written)" in log, log
    assert "profile" not in log  # one account: the log of before
    # the saved login of before was used: no login at Peloton's Auth0
    assert fake.count(host="auth") == 0
    after = sorted(p.name for p in (root / "out").iterdir())
    assert set(before) < set(after) and len(after) == 6
    # the same folders, nothing new beside them
    assert sorted(p.name for p in (root / "state").iterdir()) == [
        "ledger.sqlite3",
        "run.lock",
        "watch-log.jsonl",  # the watcher's kept log (main's web Logs page), new in this version
        "watch-status.json",
        "watch.lock",
    ]
    assert sorted(p.name for p in (root / "config").iterdir()) == ["token.json"]
    assert sorted(p.name for p in root.rglob("profiles")) == []
    assert len(list((root / "data" / "archive" / "workouts").iterdir())) == 3
    status = json.loads((root / "state" / "watch-status.json").read_text(encoding="utf-8"))
    assert status["outcome"] == "ok" and status["counts"]["new"] == 1
    listing = peloton_export(root, environment(root), "status")
    assert "Archive <ROOT>/data/archive: 3 workouts" in listing.stdout.replace(str(root), "<ROOT>")
    assert "Pending in out: nothing" in listing.stdout
    assert "Profile" not in listing.stdout
