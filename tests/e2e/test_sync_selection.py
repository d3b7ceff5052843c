"""A run that asks for less fetches less: --limit, --since, --workout, --discipline, --dry-run.

Request counts are asserted at the fake Peloton (a new account of 120 workouts).
"""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    FakeFactory,
    fake_peloton_factory,
    peloton_env,
)
from peloton_export.testing.synth import synth_workouts
from tests.conftest import cli

N = 120
PAGE = 10  # the default page_size
#: Seconds of each of the fake's workouts. The tests here are about which workouts are
#: listed, fetched and exported (ids, pages, dates, disciplines), not their samples: the
#: same mix of kinds and start dates as the fake's default, two minutes each (the default
#: 20-60 minutes of 1 Hz samples made the 120-workout backfills the slowest e2e tests).
WORKOUT_S = 120


@pytest.fixture
def fake_peloton(fake_peloton_factory: FakeFactory) -> FakePeloton:
    return fake_peloton_factory(lambda: synth_workouts(N, duration_s=WORKOUT_S), count=N)


def fetched(fake: FakePeloton) -> set[str]:
    """Ids of the workouts whose detail the fake served."""
    return {
        r.path.rsplit("/", 1)[1]
        for r in fake.requests
        if r.host == "api" and r.path.startswith("/api/workout/") and r.path.count("/") == 3
    }


def items(fake: FakePeloton) -> list[dict[str, object]]:
    return [dict(item) for item in fake.store.page(0, N)]


def archived(tmp_path: Path) -> list[str]:
    root = tmp_path / "data" / "archive" / "workouts"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_limit_one_on_a_new_account_then_plain_run_completes_the_backfill(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli("-f", "tcx", "--limit", "1", "-o", str(out)) == 0
    assert peloton_env.count() <= 5
    newest = str(items(peloton_env)[0]["id"])
    assert fetched(peloton_env) == {newest}
    assert [p.stem.rsplit("_", 1)[1] for p in out.glob("*.tcx")] == [newest]
    capsys.readouterr()

    before = peloton_env.count()
    assert cli("-f", "tcx", "-o", str(out)) == 0
    plain = peloton_env.count() - before
    assert plain <= 2 * (N - 1) + math.ceil(N / PAGE) + 3
    assert len(archived(tmp_path)) == N
    assert newest not in fetched_since(peloton_env, before)
    capsys.readouterr()

    # The backfill is recorded as done: a third run stops at the first known page.
    before = peloton_env.count()
    assert cli("-f", "tcx", "-o", str(out)) == 0
    assert peloton_env.count() - before <= 3


def fetched_since(fake: FakePeloton, start: int) -> set[str]:
    records = [r for r in fake.requests if r.host == "api"][start:]
    return {
        r.path.rsplit("/", 1)[1]
        for r in records
        if r.path.startswith("/api/workout/") and r.path.count("/") == 3
    }


def test_workout_id_is_fetched_directly(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = items(peloton_env)[57]
    workout_id = str(target["id"])
    out = tmp_path / "out"
    assert cli("-f", "json", "--workout", workout_id, "-o", str(out)) == 0
    assert peloton_env.count() <= 4
    assert peloton_env.count("/workouts") == 0
    assert fetched(peloton_env) == {workout_id}
    assert [p.stem.rsplit("_", 1)[1] for p in out.glob("*.json")] == [workout_id]
    capsys.readouterr()

    # A unique prefix of an archived workout works, with no request for it.
    before = peloton_env.count()
    assert cli("-f", "json", "--workout", workout_id[:8], "-o", str(out), "--force") == 0
    assert "1 exported" in capsys.readouterr().out
    assert fetched_since(peloton_env, before) == set()

    # The later plain run completes the backfill (the direct fetch left a gap in the list).
    assert cli("-f", "json", "-o", str(out)) == 0
    assert len(archived(tmp_path)) == N


def test_since_a_week_ago_fetches_that_week_and_one_extra_page_at_most(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = items(peloton_env)
    newest = datetime.fromtimestamp(int(str(listed[0]["start_time"])), UTC)
    since = (newest - timedelta(days=7)).replace(microsecond=0)
    week = {str(i["id"]) for i in listed if int(str(i["start_time"])) >= since.timestamp()}
    assert 0 < len(week) < N
    out = tmp_path / "out"
    assert cli("-f", "csv", "--since", since.isoformat(), "-o", str(out)) == 0
    assert fetched(peloton_env) == week
    needed_pages = math.ceil(len(week) / PAGE)
    assert peloton_env.count("/workouts$") <= needed_pages + 1
    assert f"{len(week)} exported" in capsys.readouterr().out

    before = peloton_env.count()
    assert cli("-f", "csv", "-o", str(out)) == 0
    assert peloton_env.count() - before <= 2 * (N - len(week)) + math.ceil(N / PAGE) + 3
    assert len(archived(tmp_path)) == N


def test_discipline_fetches_only_that_discipline(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = {str(i["id"]) for i in items(peloton_env) if i["fitness_discipline"] == "running"}
    assert cli("-f", "json", "--discipline", "running", "-o", str(tmp_path / "out")) == 0
    assert fetched(peloton_env) == running
    capsys.readouterr()


def test_dry_run_fetches_no_workout(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workout_id = str(items(peloton_env)[3]["id"])
    assert cli("-f", "tcx", "--dry-run", "--workout", workout_id, "-o", str(tmp_path / "o")) == 0
    assert cli("-f", "tcx", "--dry-run", "--limit", "3", "-o", str(tmp_path / "o")) == 0
    text = capsys.readouterr().out
    assert fetched(peloton_env) == set() and archived(tmp_path) == []
    assert "would be fetched" in text
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_unknown_workout_ids_are_usage_errors(
    peloton_env: FakePeloton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("-f", "json", "--workout", "deadbeef", "-o", str(tmp_path / "o")) == 2
    assert "unknown workout id: deadbeef" in capsys.readouterr().err
    assert peloton_env.count() == 0
    assert cli("-f", "json", "--workout", "f" * 32, "-o", str(tmp_path / "o")) == 2
    assert f"unknown workout id: {'f' * 32}" in capsys.readouterr().err
    assert json.dumps(archived(tmp_path)) == "[]"


def test_unknown_discipline_is_a_usage_error_with_the_nearest_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--demo", "-f", "json", "--discipline", "cyclin", "-o", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "unknown discipline 'cyclin'; did you mean cycling?" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize(("alias", "expected"), [("row", {"caesar"}), ("Bike", {"cycling"})])
def test_discipline_aliases_select_peloton_names(
    peloton_env: FakePeloton,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    alias: str,
    expected: set[str],
) -> None:
    wanted = {str(i["id"]) for i in items(peloton_env) if i["fitness_discipline"] in expected}
    assert wanted
    assert cli("-f", "json", "--discipline", alias, "--limit", "2", "-o", str(tmp_path / "o")) == 0
    assert fetched(peloton_env) <= wanted and len(fetched(peloton_env)) == 2
    assert "2 exported" in capsys.readouterr().out


def test_format_names_are_case_insensitive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--demo", "-f", "TCX", "--limit", "1", "-o", str(tmp_path / "o")) == 0
    assert len(list((tmp_path / "o").glob("*.tcx"))) == 1
    capsys.readouterr()


def test_verbose_logs_one_line_per_step(
    peloton_env: FakePeloton,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("INFO", logger="peloton_export.progress")
    assert cli("-v", "-f", "json", "--limit", "2", "-o", str(tmp_path / "o")) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "peloton_export.progress"]
    assert any(line.startswith("listing 1") for line in lines)
    assert any(line.startswith("fetching 2 of 2: fetching ") for line in lines)
    assert any(line.startswith("export 2 of 2: exporting ") for line in lines)
    capsys.readouterr()


def test_wording_of_the_sync_and_skip_lines() -> None:
    from peloton_export.cli import _result_lines
    from peloton_export.results import WorkoutResult
    from peloton_export.source.sync import SyncReport

    assert SyncReport(requests=1).summary().endswith("(1 request)")
    assert SyncReport(requests=2).summary().endswith("(2 requests)")
    result = WorkoutResult("abc", "skipped", reason="workout abc: no samples")
    assert list(_result_lines(result, dry_run=False)) == ["  skipped abc: no samples"]


def test_top_level_help_shows_the_export_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--help") == 0
    text = capsys.readouterr().out
    assert "Export options" in text and "--format NAME" in text and "--discipline NAME" in text
    assert "row/rowing" in text


def test_unknown_config_keys_and_sections_warn_with_the_nearest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ini = tmp_path / "typo.ini"
    ini.write_text("[peloton-export]\nformat = tcx\n[pelton]\nusername = me\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    caplog.set_level("WARNING", logger="peloton_export.config")
    assert cli("--demo", "--limit", "1", "-f", "json", "-o", str(tmp_path / "o")) == 0
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "peloton_export.config")
    assert "unknown key 'format' in [peloton-export] is ignored; did you mean formats?" in text
    assert "unknown section [pelton] is ignored; did you mean [peloton]?" in text


def test_unknown_option_key_of_a_known_plugin_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--demo", "-f", "fit", "--option", "fit.virtaul=true", "-o", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert "unknown option 'fit.virtaul'; did you mean fit.virtual?" in err
    assert not (tmp_path / "o").exists()


def test_a_bad_option_value_is_one_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--demo", "-f", "fit", "--option", "fit.device=fenix-99", "-o", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert err.count("fenix-99") == 1 and "unknown fit.device preset 'fenix-99'" in err
    assert not (tmp_path / "o").exists()
    assert cli("--demo", "-f", "csv", "--option", "csv.units=furlongs", "-o", str(tmp_path / "o")) == 2
    assert "csv.units must be 'metric' or 'imperial'" in capsys.readouterr().err


def test_out_of_range_settings_are_an_error_in_demo_mode_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = tmp_path / "big.ini"
    ini.write_text("[peloton-export]\npage_size = 500\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    assert cli("--demo", "-f", "json", "-o", str(tmp_path / "o")) == 2
    assert "page_size: must be between 1 and 100, got 500" in capsys.readouterr().err


def _readme_ini_blocks() -> list[str]:
    """The ```ini blocks of the README and the docs pages that hold a ``[peloton-export]`` section."""
    import re

    root = Path(__file__).resolve().parents[2]
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    blocks = [b for p in pages for b in re.findall(r"```ini\n(.*?)```", p.read_text(encoding="utf-8"), re.S)]
    return [b for b in blocks if "[peloton-export]" in b]


@pytest.mark.parametrize("index", range(3))
def test_the_documented_config_examples_load_without_warnings_and_run(
    index: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    private_home: Path,
) -> None:
    from peloton_export.config import load_config

    blocks = _readme_ini_blocks()
    assert len(blocks) == 3, "the main example, the Household profiles one and the Stacked classes one"
    ini = tmp_path / "readme.ini"
    ini.write_text(blocks[index].replace("password = ...", "password = x"), encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_DIR", str(tmp_path / "config"))
    caplog.set_level("WARNING", logger="peloton_export.config")
    settings = load_config().settings
    assert all(";" not in value for value in settings.values()), settings
    assert cli("--demo", "--limit", "1", "-f", "json", "-o", str(tmp_path / "o")) == 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "peloton_export.config"]
    assert not warnings, warnings
    if "path = ~/Sync/workouts" in blocks[index]:  # the directory sink: into the test's own HOME
        assert list((private_home / "Sync" / "workouts").rglob("*.json")), "the directory sink wrote nothing"


@pytest.mark.parametrize(
    ("option", "hint"), [("titel={title}", "did you mean title?"), ("stak=auto", "stack?")]
)
def test_a_typo_in_a_run_option_is_a_usage_error(
    option: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--demo", "-f", "json", "--option", option, "-o", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert f"unknown option {option.split('=')[0]!r}; " in err and hint in err
    assert not (tmp_path / "o").exists()
    good = ("--option", "title={title}", "--option", "stack=auto", "--option", "laps=session")
    assert cli("--demo", "--limit", "1", "-f", "json", *good, "-o", str(tmp_path / "ok")) == 0
