"""A bad value in the config file is one line naming the file, the line, the setting,
what is wrong and what is allowed, and exit 2: never accepted, never a traceback (issue 20).

configparser keeps no line numbers: :func:`peloton_export.config.setting_lines` finds them
by reading the file again, and :func:`peloton_export.config.locate_setting` blames a line
only when its value is the bad one (an environment variable or a flag is named instead).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from peloton_export.config import Config, locate_setting, setting_lines
from peloton_export.errors import SettingError
from tests.conftest import cli

#: Lines before the bad one: a comment, a blank line, another section, a continuation.
HEAD = "# my config\n\n[peloton]\nusername = someone\n\n[peloton-export]\nformats = tcx,\n    fit\n"
BAD_LINE = 9  # the line the bad value is written on (HEAD has 8 lines)

WATCH = ("watch", "--once")
DEMO = ("export", "--demo", "-f", "tcx", "-j", "1")

#: (setting line, command, the error's tail after "<file>, line 9: ")
CASES = [
    (
        "watch_interval = soon",
        ("watch", "--once"),
        "[peloton-export] watch_interval: expected a duration like 24h, 90m or 3600, got 'soon'",
    ),
    (
        "watch_interval = 5m",
        ("watch", "--once"),
        "[peloton-export] watch_interval: the watch interval must be at least 1 h",
    ),
    (
        "watch_jitter = later",
        ("watch", "--once"),
        "[peloton-export] watch_jitter: expected a duration like 24h, 90m or 3600, got 'later'",
    ),
    ("log_format = xml", WATCH, "[peloton-export] log_format: expected text or json, got 'xml'"),
    ("timeout = abc", DEMO, "[peloton-export] timeout: expected a number between 1 and 600, got 'abc'"),
    ("timeout = nan", DEMO, "[peloton-export] timeout: must be between 1 and 600, got nan"),
    ("timeout = inf", ("status",), "[peloton-export] timeout: must be between 1 and 600, got inf"),
    ("page_size = -3", ("status",), "[peloton-export] page_size: must be between 1 and 100, got -3"),
    ("concurrency = 1e400", DEMO, "[peloton-export] concurrency: must be between 1 and"),
    ("skip_imported = maybe", DEMO, "[peloton-export] skip_imported: expected true or false, got 'maybe'"),
    ("keyring = 2", ("status",), "[peloton-export] keyring: expected true or false, got '2'"),
    ("stack = sideways", DEMO, "[peloton-export] stack: must be auto or off, not 'sideways'"),
    ("stack_gap_s = x", DEMO, "[peloton-export] stack_gap_s: must be a whole number of seconds, not 'x'"),
    ("stack_parts = maybe", DEMO, "[peloton-export] stack_parts: expected true or false, got 'maybe'"),
    ("api_url = ftp://x", ("status",), "[peloton-export] api_url: expected an http(s) URL, got 'ftp://x'"),
    ("auth = carrier-pigeon", ("status",), "[peloton-export] auth: unknown strategy ['carrier-pigeon']"),
    ("sinks = directoryy", DEMO, "[peloton-export] sinks: unknown sink 'directoryy' (did you mean 'direc"),
]


def _write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "peloton.ini"
    config.write_text(text)
    monkeypatch.setenv("PELOTON_CONFIG", str(config))
    return config


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(("line", "command", "tail"), CASES, ids=[case[0] for case in CASES])
def test_a_bad_value_names_the_file_and_line(
    line: str,
    command: tuple[str, ...],
    tail: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _write(tmp_path, HEAD + line + "\n", monkeypatch)
    code = cli(*command, "-o", str(tmp_path / "out")) if command[0] == "export" else cli(*command)
    error = _one_error(capsys)
    assert code == 2
    assert error.startswith(f"Error: {config}, line {BAD_LINE}: {tail}"), error
    assert not (tmp_path / "out").exists()  # nothing was exported with the bad value


def test_a_bad_format_in_the_config_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path, "[peloton-export]\n; formats I want\nformats = tcx, tcxx\n", monkeypatch)
    assert cli("export", "--demo", "-o", str(tmp_path / "out")) == 2
    error = _one_error(capsys)
    assert error.startswith(f"Error: {config}, line 3: [peloton-export] formats: unknown format 'tcxx'")
    assert "did you mean 'tcx'?" in error


def test_a_bad_boolean_of_the_peloton_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path, "[peloton]\nusername = someone\nssl_verify = perhaps\n", monkeypatch)
    assert cli("--offline", "-o", str(tmp_path / "out")) == 2
    assert _one_error(capsys) == (
        f"Error: {config}, line 3: [peloton] ssl_verify: expected true or false, got 'perhaps'"
    )


def test_a_profiles_own_bad_value_names_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "[peloton-export]\ntimeout = 30\n\n[profile:Anna]\nusername = anna\ntimeout = 0\n"
    config = _write(tmp_path, text, monkeypatch)
    assert cli("--profile", "anna", "export", "--demo", "-f", "tcx", "-o", str(tmp_path / "out")) == 2
    assert _one_error(capsys) == (
        f"Error: {config}, line 6: [profile:Anna] timeout: must be between 1 and 600, got 0"
    )


def test_an_environment_variable_is_named_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "[peloton-export]\ntimeout = abc\n", monkeypatch)
    monkeypatch.setenv("PELOTON_EXPORT_TIMEOUT", "zz")  # the environment wins over the file
    assert cli("status") == 2
    assert _one_error(capsys) == (
        "Error: $PELOTON_EXPORT_TIMEOUT ([peloton-export] timeout): "
        "expected a number between 1 and 600, got 'zz'"
    )


def test_an_option_value_is_not_blamed_on_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "[peloton-export]\nstack_gap_s = 60\n", monkeypatch)
    code = cli("export", "--demo", "-f", "tcx", "-o", str(tmp_path / "out"), "--option", "stack_gap_s=y")
    assert code == 2
    assert _one_error(capsys) == "Error: stack_gap_s: must be a whole number of seconds, not 'y'"


def test_a_flag_value_is_not_blamed_on_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, "[peloton-export]\nwatch_interval = 24h\n", monkeypatch)
    assert cli("watch", "--once", "--interval", "soon") == 2
    error = capsys.readouterr().err
    assert "expected a duration like 24h, 90m or 3600, got 'soon'" in error
    assert "line" not in error and "Traceback" not in error


def test_good_values_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = HEAD + "timeout = 45\nskip_imported = no\nstack = auto\nstack_gap_s = 120\nstack_parts = yes\n"
    _write(tmp_path, text, monkeypatch)
    assert cli(*DEMO, "-o", str(tmp_path / "out")) == 0
    assert any((tmp_path / "out").rglob("*.tcx"))


def test_setting_lines_reads_the_file_as_configparser_does() -> None:
    text = "# top\n[a]\nKey = 1\n  more = not a key\n; note\nother: 2\n[b]\nkey=3\n"
    assert list(setting_lines(text)) == [(3, "a", "key", "1"), (6, "a", "other", "2"), (8, "b", "key", "3")]


def test_locate_setting_for_a_plugin_section(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text("[plugin:toy]\nretries = many\n")
    error = SettingError("plugin:toy", "retries", "many", "expected a number, got 'many'")
    assert locate_setting(error, Config(path=path), {}) == (
        f"{path}, line 2: [plugin:toy] retries: expected a number, got 'many'"
    )
    # a value the file does not hold (an --option) is left as it is
    other = SettingError("plugin:toy", "retries", "lots", "expected a number, got 'lots'")
    left = locate_setting(other, Config(path=path), {})
    assert left == "[plugin:toy] retries: expected a number, got 'lots'"
