"""The small things a new user hit (issue 20, point 6): each message says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.cli import run as cli
from peloton_export.plugins import create_host
from peloton_export.store.archive import Archive
from peloton_export.testing.synth.tiny import put_tiny, tiny_id


def test_until_before_since_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(["--demo", "--since", "2026-02-01", "--until", "2026-01-01", "-o", str(tmp_path / "o")])
    assert code == 2
    assert "2026-01-01 is not after --since 2026-02-01" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert cli(["--demo", "--since", "2026-01-01", "--until", "2026-01-01", "-o", str(tmp_path / "o")]) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[peloton-export]\nformats tcx\n", "line 2: 'formats tcx' is not key = value (or a [section])"),
        ("formats = tcx\n", "line 1: 'formats = tcx' comes before any [section]"),
        ("[peloton-export]\nformats = tcx\nformats = fit\n", "line 3: option 'formats' in section"),
        # a line without "=" that starts with a secret setting: its rest never reaches the terminal
        ("[peloton]\npassword hunter2secret\n", "line 2: 'password ...' is not key = value"),
        # PELOTON_CONFIG pointing at a password file: none of it is shown
        (
            "root:$6$SECRETHASH:19000:0:99999:7:::\n",
            "line 1: a line (not shown: it does not start with a known",
        ),
    ],
)
def test_a_config_that_is_not_ini_names_the_line(
    text: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(bad))
    assert cli(["status"]) == 2
    err = capsys.readouterr().err
    assert f"Error: {bad}: cannot read the config file: {expected}" in err, err
    assert "PosixPath" not in err and "Source contains parsing errors" not in err
    assert "hunter2secret" not in err and "SECRETHASH" not in err


def test_counts_are_singular_for_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["--demo", "--limit", "1", "-f", "json", "-o", str(tmp_path / "o"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "(1 file written)" in out and "1 files" not in out, out


def test_watch_summary_counts_are_singular_for_one(tmp_path: Path) -> None:
    from peloton_export.export.exporter import Exporter
    from peloton_export.results import Selection
    from peloton_export.source.sync import SyncReport
    from peloton_export.specs import ExportContext
    from peloton_export.unattended.cycle import summarize

    archive = Archive(tmp_path / "archive")
    put_tiny(archive, tiny_id(0))
    host = create_host(entry_points=False)
    exporter = Exporter(
        host=host,
        archive=archive,
        context=ExportContext(output_dir=tmp_path / "o"),
        formats=host.resolve("format", ["json"]),
    )
    report = exporter.run(Selection())
    report.sync = SyncReport(new=[tiny_id(0)], requests=1)
    line = summarize(report).message
    assert "1 new from Peloton (1 request)" in line and "(1 file written)" in line, line


def test_an_unknown_sink_of_a_first_party_plugin_says_how_to_install_it() -> None:
    host = create_host(entry_points=False)  # the core alone, as a user without the plugin has it
    message = host.unknown_message("sink", "strava")
    assert "unknown sink 'strava'" in message
    assert "separate plugin peloton-export-strava" in message
    assert message.endswith("separate plugin peloton-export-strava: peloton-export install strava")
    assert "separate plugin" not in host.unknown_message("sink", "dropbox")


def test_an_unknown_format_suggests_the_nearest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli(["--demo", "-f", "tcxx", "-o", str(tmp_path / "o")]) == 2
    assert "unknown format 'tcxx' (did you mean 'tcx'?)" in capsys.readouterr().err
    message = create_host(entry_points=False).unknown_message("format", "zzzz")
    assert "did you mean" not in message and "choose one of: " in message
