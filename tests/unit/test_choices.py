"""Remembered choices: ``status``, ``--dry-run`` and ``schedule`` follow the user's runs.

The config's ``formats``/``output_dir``/``sinks`` when it has them; where the user ran with
flags and no config, the flags of the last successful run (kept in the ledger).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from peloton_export.cli import run as cli
from peloton_export.export.choices import Choices
from peloton_export.paths import state_dir
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import LEDGER_FILE
from peloton_export.testing.synth.tiny import put_tiny, tiny_id


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Archive:
    """Three tiny workouts in the archive the commands use by default."""
    archive = Archive(tmp_path / "archive")
    monkeypatch.setenv("PELOTON_EXPORT_ARCHIVE", str(archive.root))
    for index in range(3):
        put_tiny(archive, tiny_id(index), title=f"Ride {index}")
    return archive


def _out(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def _systemd_exec(output: str) -> str:
    match = re.search(r"^ExecStart=(.*)$", output, re.M)
    assert match, output
    return match.group(1)


def test_status_checks_the_formats_and_folder_of_the_last_run(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    workouts = private_home / "workouts"
    assert cli(["--offline", "-f", "tcx,fit", "-o", str(workouts), "-q"]) == 0
    capsys.readouterr()
    assert cli(["status"]) == 0
    out = _out(capsys)
    assert "Last run: -f tcx,fit -o ~/workouts" in out
    assert f"Pending in {workouts}: nothing" in out, out  # was: "Pending in exports: 3" for 5 formats
    put_tiny(archive, tiny_id(7), title="New ride")
    assert cli(["status"]) == 0
    out = _out(capsys)
    assert f"Pending in {workouts}: 1 archived workouts" in out, out
    assert "csv" not in out.split(f"Pending in {workouts}")[1], out


def test_the_config_wins_over_the_last_run(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(["--offline", "-f", "tcx", "-o", str(tmp_path / "flags"), "-q"]) == 0
    ini = tmp_path / "peloton.ini"
    ini.write_text(f"[peloton-export]\nformats = json\noutput_dir = {tmp_path / 'cfg'}\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(ini))
    capsys.readouterr()
    assert cli(["status"]) == 0
    assert f"Pending in {tmp_path / 'cfg'}: 3 archived workouts" in _out(capsys)
    assert cli(["--dry-run", "--offline"]) == 0
    out = _out(capsys)
    assert "as your last run" not in out
    planned = re.findall(r"would write (\S+)", out)
    assert planned and all(p.startswith(str(tmp_path / "cfg")) and p.endswith(".json") for p in planned), out


def test_a_dry_run_without_flags_shows_what_the_last_run_did(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "mine"
    assert cli(["--offline", "-f", "tcx,fit", "-o", str(out_dir), "-q"]) == 0
    put_tiny(archive, tiny_id(8), title="New ride")
    capsys.readouterr()
    assert cli(["--dry-run", "--offline"]) == 0
    out = _out(capsys)
    assert f"as your last run: -f tcx,fit -o {out_dir}" in out, out
    planned = re.findall(r"would write (\S+)", out)
    assert sorted(Path(p).suffix for p in planned) == [".fit", ".tcx"], out
    assert all(Path(p).parent == out_dir for p in planned), out
    assert cli(["--dry-run", "--offline", "-f", "json", "-o", str(tmp_path / "other")]) == 0
    out = _out(capsys)
    assert "as your last run" not in out
    assert {Path(p).suffix for p in re.findall(r"would write (\S+)", out)} == {".json"}, out


def test_a_failed_run_is_not_remembered(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["--offline", "-f", "tcx", "-o", str(tmp_path / "good"), "-q"]) == 0
    (archive.folder(tiny_id(1)) / "workout.json").write_text("{", encoding="utf-8")  # now it fails
    assert cli(["--offline", "-f", "json", "-o", str(tmp_path / "bad"), "-q"]) == 1
    capsys.readouterr()
    assert cli(["status"]) == 0
    assert f"Last run: -f tcx -o {tmp_path / 'good'}" in _out(capsys)


def test_schedule_writes_the_last_runs_flags_into_the_unit_and_says_so(
    archive: Archive, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    workouts = private_home / "workouts"
    assert cli(["--offline", "-f", "tcx,fit", "-o", str(workouts), "-q"]) == 0
    capsys.readouterr()
    assert cli(["schedule", "systemd", "--at", "05:00"]) == 0
    captured = capsys.readouterr()
    assert _systemd_exec(captured.out).endswith(f"watch --once -f tcx,fit -o {workouts}")
    assert "-f tcx,fit -o ~/workouts: the flags of your last run" in captured.err
    assert "The job runs" not in captured.out  # standard output is the unit itself


def test_schedule_writes_the_flags_given_to_it_with_an_absolute_folder(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        cli(["schedule", "cron", "--at", "05:00", "--", "-f", "gpx", "--output=rel", "--sink", "directory"])
        == 0
    )
    captured = capsys.readouterr()
    assert f"watch --once -f gpx --output={tmp_path / 'rel'} --sink directory" in captured.out
    assert f"The job runs `peloton-export watch --once -f gpx --output={tmp_path / 'rel'}" in captured.err


def test_schedule_with_nothing_to_go_on_says_what_the_job_will_do(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["schedule", "launchd", "--at", "05:00"]) == 0
    err = capsys.readouterr().err
    assert "no -f, -o or --sink, none in the config and no earlier run" in err
    assert "every format into ./exports of the folder it starts in (/)" in err
    assert "peloton-export schedule launchd -- -f tcx -o ~/workouts" in err


def test_run_export_takes_a_plain_string_of_formats(archive: Archive, tmp_path: Path) -> None:
    from peloton_export import ExportRequest, run_export

    report = run_export(ExportRequest(formats="tcx,json", offline=True, output_dir=tmp_path / "o"))  # type: ignore[arg-type]
    assert report.ok and sorted({f.format for r in report.results for f in r.files}) == ["json", "tcx"]
    report = run_export(ExportRequest(formats="tcx", offline=True, output_dir=tmp_path / "p"))  # type: ignore[arg-type]
    assert {f.format for r in report.results for f in r.files} == {"tcx"}  # was: unknown format 't'


@pytest.mark.parametrize(
    "text", [None, "", "[]", '{"formats": "tcx", "sinks": [], "output_dir": null}', '{"formats": [1]}']
)
def test_a_damaged_last_run_record_is_no_record(text: str | None) -> None:
    assert Choices.from_json(text) is None
    good = Choices(("tcx",), Path("/x"), ("strava",))
    assert Choices.from_json(good.to_json()) == good


def test_a_demo_run_changes_nothing_status_dry_run_or_schedule_follow(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str], private_home: Path
) -> None:
    """The choice (docs/limits.md): a ``--demo`` run is not one of the user's runs. It keeps
    no state at all (no ledger, no lock), so the last real run's flags stay what
    ``status``, ``--dry-run`` and ``schedule`` use, and a demo alone leaves nothing to use."""
    before = sorted(private_home.rglob("*"))
    assert cli(["--demo", "-f", "gpx,json", "-o", str(tmp_path / "demo"), "-q", "-j", "1"]) == 0
    assert any((tmp_path / "demo").rglob("*.json"))
    assert sorted(private_home.rglob("*")) == before  # no ledger, no lock, no state of any kind
    assert not (state_dir() / LEDGER_FILE).exists()
    capsys.readouterr()
    assert cli(["schedule", "cron", "--at", "05:00"]) == 0
    assert "no earlier run" in capsys.readouterr().err  # the demo is not an earlier run

    workouts = private_home / "workouts"
    assert cli(["--offline", "-f", "tcx,fit", "-o", str(workouts), "-q"]) == 0
    assert cli(["--demo", "-f", "gpx", "-o", str(tmp_path / "demo2"), "-q", "-j", "1"]) == 0
    capsys.readouterr()
    assert cli(["status"]) == 0
    out = _out(capsys)
    assert "Last run: -f tcx,fit -o ~/workouts" in out, out
    assert f"Pending in {workouts}: nothing" in out, out
    assert cli(["--dry-run", "--offline"]) == 0
    assert "as your last run: -f tcx,fit -o ~/workouts" in _out(capsys)
    assert cli(["schedule", "systemd", "--at", "05:00"]) == 0
    assert _systemd_exec(capsys.readouterr().out).endswith(f"watch --once -f tcx,fit -o {workouts}")
