"""The GitHub Action's script (``action/sync``, run by ``action.yml``) end to end.

Two scheduled runs against the fake Peloton API and the fake Strava, sharing the state
folder the way the workflow's cache restores it (saved after run 1 into a cache folder,
restored into a fresh workspace for run 2): run 1 fetches, writes and uploads everything;
run 2 makes no workout request, writes nothing and uploads nothing. The Strava login comes
from a token made by ``strava login`` on "the user's own machine", passed like a
repository secret; secrets never appear in the output. The installed ``peloton-export``
stands in for the action's own pip install (``PE_BIN``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from peloton_export.testing import FakePeloton

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "action" / "sync"
WORKOUTS = 4

fake_module = pytest.importorskip("peloton_export_strava.fake", reason="the Strava plugin is not installed")


def _base_env(tmp_path: Path) -> dict[str, str]:
    ours = ("PELOTON", "STRAVA", "INTERVALS", "GITHUB")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return {**keep, "HOME": str(tmp_path / "home")}


def _strava_token(fake: Any, tmp_path: Path) -> str:
    """``peloton-export strava login`` on the user's own machine: the token file's content."""
    own = tmp_path / "own-machine"
    env = {
        **_base_env(tmp_path),
        "PELOTON_CONFIG": str(own / "peloton.ini"),
        "PELOTON_EXPORT_CONFIG_DIR": str(own / "config"),
        "PELOTON_EXPORT_STATE_DIR": str(own / "state"),
        "PELOTON_EXPORT_DATA_DIR": str(own / "data"),
        "PELOTON_EXPORT_STRAVA_URL": fake.url,
        "STRAVA_CLIENT_ID": fake_module.CLIENT_ID,
        "STRAVA_CLIENT_SECRET": fake_module.CLIENT_SECRET,
    }
    own.mkdir()
    (own / "peloton.ini").write_text("[peloton-export]\nkeyring = false\n", encoding="utf-8")
    login = subprocess.run(
        [sys.executable, "-m", "peloton_export", "strava", "login", "--code", fake_module.GOOD_CODE],
        env=env,
        cwd=own,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    return (own / "config" / "strava-token.json").read_text(encoding="utf-8")


def _run(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    workspace.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, cwd=workspace, capture_output=True, text=True, timeout=300
    )


def test_two_scheduled_runs_sharing_the_cached_state_the_second_does_nothing(
    fake_peloton_factory: Any, tmp_path: Path
) -> None:
    peloton: FakePeloton = fake_peloton_factory(count=WORKOUTS)
    strava = fake_module.FakeStrava()
    strava.polls_before_ready = 0
    with strava:
        token = _strava_token(strava, tmp_path)
        github_output = tmp_path / "github-output"
        summary = tmp_path / "summary.md"
        env = {
            **_base_env(tmp_path),
            "PE_ACTION_PATH": str(ROOT),
            "PE_BIN": str(Path(sys.executable).with_name("peloton-export")),
            "PE_FORMATS": "fit,tcx",
            "PE_SINKS": "strava",
            "PE_STATE": ".peloton-export-state",
            "PE_OUTPUT": "out",
            "PE_ARGS": "--limit 50",
            "PE_STRAVA_TOKEN": token,
            "PELOTON_USERNAME": peloton.user.username,
            "PELOTON_PASSWORD": peloton.user.password,
            "STRAVA_CLIENT_ID": fake_module.CLIENT_ID,
            "STRAVA_CLIENT_SECRET": fake_module.CLIENT_SECRET,
            "INTERVALS_API_KEY": "",  # an input left empty is no setting
            "PELOTON_EXPORT_API_URL": peloton.api_url,
            "PELOTON_EXPORT_AUTH_URL": peloton.auth_url,
            "PELOTON_EXPORT_STRAVA_URL": strava.url,
            "GITHUB_OUTPUT": str(github_output),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        workspace = tmp_path / "work"  # GitHub's runners check out into the same path each run
        first = _run(workspace, env)
        assert first.returncode == 0, first.stdout + first.stderr
        files = sorted(p.name for p in (workspace / "out").rglob("*") if p.is_file())
        assert sum(name.endswith(".fit") for name in files) == WORKOUTS, files
        assert sum(name.endswith(".tcx") for name in files) == WORKOUTS, files
        assert strava.created == WORKOUTS
        assert github_output.read_text(encoding="utf-8") == "exit-code=0\n"
        assert f"peloton-export (exit 0): {len(files)} new files" in summary.read_text(encoding="utf-8")
        details_after_first = peloton.count(r"/api/workout/[0-9a-f]+$")
        assert details_after_first >= WORKOUTS

        # actions/cache: save the state folder, restore it into the next run's fresh workspace
        cache = tmp_path / "cache"
        shutil.copytree(workspace / ".peloton-export-state", cache)
        shutil.rmtree(workspace)  # a fresh runner
        workspace.mkdir()
        shutil.copytree(cache, workspace / ".peloton-export-state")
        second = _run(workspace, env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert peloton.count(r"/api/workout/[0-9a-f]+$") == details_after_first  # nothing fetched again
        assert strava.created == WORKOUTS and len(strava.posts()) == WORKOUTS  # nothing uploaded again
        assert not [p for p in (workspace / "out").rglob("*") if p.is_file()]  # nothing new to hand over
        assert "0 new files" in second.stdout
        assert f"0 exported, {WORKOUTS} unchanged, 0 failed" in second.stdout

    state = workspace / ".peloton-export-state"
    assert (state / "config" / "token.json").is_file()  # Peloton's login kept for the next run
    assert (state / "data" / "archive").is_dir()
    assert oct((state / "config").stat().st_mode & 0o777) == "0o700"
    for run in (first, second):
        for secret in (peloton.user.password, fake_module.CLIENT_SECRET, token.strip()):
            assert secret not in run.stdout + run.stderr
    for path in state.rglob("*"):
        if path.is_file():
            assert peloton.user.password not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_bad_plugin_name_is_one_error_line(tmp_path: Path) -> None:
    env = {
        **_base_env(tmp_path),
        "PE_ACTION_PATH": str(ROOT),
        "PE_PLUGINS": "stravaa",
        "RUNNER_TEMP": str(tmp_path),
    }
    run = _run(tmp_path / "ws", env)
    assert run.returncode == 2
    assert run.stdout.strip() == (
        "::error::peloton-export action: no first-party plugin 'stravaa' (try: strava intervals garmin)"
    )
