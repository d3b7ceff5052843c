"""One config home (issue 25): ``~/.config/peloton-export/config.ini`` (platformdirs) by
default, peloton-client-library's ``$PELOTON_CONFIG`` and ``~/.config/peloton`` still read,
``--config``/``$PELOTON_EXPORT_CONFIG`` over everything; and ``peloton-export config
path|show|set|unset`` (``edit`` is in tests/e2e/test_config_edit.py: it starts an editor).

Every file is under the private HOME of tests/home_guard.py (``XDG_CONFIG_HOME`` in it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from peloton_export.config import config_source, home_config_path, load_config
from tests.conftest import cli
from tests.unit.test_config_lines import CASES

OLD = "[peloton]\nusername = old@example.com\n"
NEW = "[peloton]\nusername = new@example.com\n"


@pytest.fixture
def home() -> Path:
    """The private HOME (tests/home_guard.py)."""
    return Path(os.environ["HOME"])


def _legacy(home: Path) -> Path:
    path = home / ".config" / "peloton"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _home_file(text: str) -> Path:
    path = home_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_home_is_platformdirs_config_folder(home: Path) -> None:
    assert home_config_path() == Path(os.environ["XDG_CONFIG_HOME"]) / "peloton-export" / "config.ini"
    assert config_source().origin == "home" and not home_config_path().exists()
    assert load_config().path is None  # no file anywhere: an empty config
    _home_file(NEW)
    assert load_config().username == "new@example.com"


def test_precedence_flag_then_variables_then_old_place_then_home(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _home_file(NEW)
    _legacy(home).write_text(OLD, encoding="utf-8")
    assert config_source().origin == "legacy"
    assert load_config().username == "old@example.com"  # the old place keeps working
    named = tmp_path / "named.ini"
    named.write_text("[peloton]\nusername = named@example.com\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(named))
    assert load_config().username == "named@example.com"
    flag = tmp_path / "flag.ini"
    flag.write_text("[peloton]\nusername = flag@example.com\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG", str(flag))
    assert load_config().username == "flag@example.com"
    monkeypatch.delenv("PELOTON_EXPORT_CONFIG")
    capsys.readouterr()
    assert cli("--config", str(flag), "config", "path") == 0
    assert capsys.readouterr().out == f"{flag}\n"
    assert "PELOTON_EXPORT_CONFIG" not in os.environ  # the flag's variable is given back
    assert cli("config", "path") == 0
    assert capsys.readouterr().out == f"{named}\n"


def test_a_missing_named_file_is_an_error_naming_the_flag_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.ini"
    assert cli("--config", str(missing), "formats") == 2
    assert capsys.readouterr().err.strip() == f"Error: --config names {missing}, which does not exist"
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG", str(missing))
    assert cli("formats") == 2
    err = capsys.readouterr().err.strip()
    assert err == f"Error: PELOTON_EXPORT_CONFIG names {missing}, which does not exist"


def test_the_old_place_is_noted_once_and_again_when_the_home_appears(
    home: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    legacy = _legacy(home)
    legacy.write_text(OLD, encoding="utf-8")
    from peloton_export import config as config_module

    config_module._NOTED.clear()  # a new process
    load_config()
    notes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("note:")]
    assert len(notes) == 1 and str(legacy) in notes[0] and str(home_config_path()) in notes[0]
    config_module._NOTED.clear()  # the next process: the state folder remembers
    caplog.clear()
    load_config()
    assert not [r for r in caplog.records if r.getMessage().startswith("note:")]
    _home_file(NEW)  # both exist now: a different note, given once
    config_module._NOTED.clear()
    load_config()
    notes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("note:")]
    assert len(notes) == 1 and "exists too and is not read" in notes[0]


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "sparse_300mb", "folder", "dangling"])
def test_a_special_noted_marker_neither_hangs_nor_stops_the_note(
    kind: str, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The state folder's ``config-location-noted`` is a state file like the others (it was
    read with ``read_text`` and written through: a FIFO there hung every command)."""
    from peloton_export import config as config_module
    from peloton_export.paths import default_dirs
    from tests.unit.test_state_files import make_special, quick

    _legacy(home).write_text(OLD, encoding="utf-8")
    marker = default_dirs().state / config_module.NOTED_FILE
    make_special(marker, kind)
    config_module._NOTED.clear()
    assert quick(load_config).username == "old@example.com"
    notes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("note:")]
    assert len(notes) == 1
    if kind != "folder":  # a folder cannot be replaced by a file: the note may come again
        assert marker.is_file() and not marker.is_symlink()


def test_an_old_place_that_is_a_folder_is_not_the_config(home: Path) -> None:
    (home / ".config" / "peloton").mkdir(parents=True)
    _home_file(NEW)
    assert config_source().origin == "home" and load_config().username == "new@example.com"


def test_set_and_unset_keep_comments_and_other_keys(capsys: pytest.CaptureFixture[str]) -> None:
    path = _home_file(
        "# my settings\n[peloton]\nusername = me@example.com  ; mine\n\n"
        "[peloton-export]\n# the formats I like\nformats = tcx\ntimeout = 30\n"
    )
    assert cli("config", "set", "formats", "tcx,fit") == 0
    assert cli("config", "set", "page_size", "20") == 0
    assert cli("config", "set", "strava.client_id", "123") == 0
    assert cli("config", "set", "profile:anna.formats", "gpx") == 0
    assert path.read_text(encoding="utf-8") == (
        "# my settings\n[peloton]\nusername = me@example.com  ; mine\n\n"
        "[peloton-export]\n# the formats I like\nformats = tcx,fit\ntimeout = 30\npage_size = 20\n"
        "\n[plugin:strava]\nclient_id = 123\n\n[profile:anna]\nformats = gpx\n"
    )
    config = load_config()
    assert config.get("formats") == "tcx,fit" and config.plugins["strava"]["client_id"] == "123"
    assert cli("config", "unset", "timeout") == 0
    assert "timeout" not in path.read_text(encoding="utf-8")
    assert "# the formats I like" in path.read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli("config", "unset", "timeout") == 0
    assert "is not set" in capsys.readouterr().err


def test_set_with_profile_option_writes_the_profiles_section() -> None:
    path = _home_file("[profile:anna]\nusername = anna@example.com\n")
    assert cli("--profile", "anna", "config", "set", "formats", "fit") == 0
    assert cli("--profile", "anna", "config", "set", "strava.client_id", "9") == 0
    text = path.read_text(encoding="utf-8")
    assert text == "[profile:anna]\nusername = anna@example.com\nformats = fit\nstrava.client_id = 9\n"


@pytest.mark.parametrize(("line", "command", "tail"), CASES, ids=[case[0] for case in CASES])
def test_set_refuses_what_a_run_refuses_with_the_runs_message(
    line: str, command: tuple[str, ...], tail: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every bad value of issue 20's list (a run's checkers and messages) is refused by
    ``config set``, with the run's words, and nothing is written."""
    before = "[peloton-export]\nformats = tcx\n"
    path = _home_file(before)
    key, _, value = (part.strip() for part in line.partition("="))
    capsys.readouterr()
    assert cli("config", "set", key, value) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"Error: not changed: {path}, line 3: {tail}"), err
    assert path.read_text(encoding="utf-8") == before


def test_set_refuses_unknown_keys_and_a_problem_already_there_is_not_blamed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _home_file("[peloton-export]\ntimeout = abc\n")
    assert cli("config", "set", "fromats", "tcx") == 2
    assert "unknown key 'fromats' in [peloton-export]; did you mean formats?" in capsys.readouterr().err
    assert cli("config", "set", "peloton.colour", "red") == 2
    assert cli("config", "set", "profile:anna.watch_interval", "2h") == 2
    assert "the watcher's setting" in capsys.readouterr().err
    assert cli("config", "set", "directory.nonsense", "1") == 2  # a sink that declares its keys
    assert "unknown key 'nonsense' in [plugin:directory]" in capsys.readouterr().err
    assert cli("config", "set", "formats", "gpx") == 0  # the old bad timeout is not this change's
    assert path.read_text(encoding="utf-8") == "[peloton-export]\ntimeout = abc\nformats = gpx\n"


def test_show_masks_every_secret(capsys: pytest.CaptureFixture[str]) -> None:
    secrets = ["hunter2", "s3cr3t-strava", "tok-123", "key-456", "mailto://u:pw@x", "gm-pass", "multi"]
    _home_file(
        "[peloton]\nusername = me@example.com\npassword = hunter2\n"
        "[peloton-export]\nformats = tcx\nnotify_urls = mailto://u:pw@x\nkeyring = false\n"
        "[plugin:strava]\nclient_id = 42\nclient_secret = s3cr3t-strava\ntoken_file = ~/t.json\n"
        "[plugin:intervals]\napi_key = key-456\n"
        "[profile:anna]\npassword = gm-pass\n  multi\nstrava.refresh_token = tok-123\n"
    )
    capsys.readouterr()
    assert cli("config", "show") == 0
    out = capsys.readouterr().out
    for secret in secrets:
        assert secret not in out
    assert out.count("********") == 6
    for kept in (
        "me@example.com",
        "formats = tcx",
        "client_id = 42",
        "token_file = ~/t.json",
        "keyring = false",
    ):
        assert kept in out
    assert out.startswith(f"# {home_config_path()}\n")


def test_a_secret_set_is_never_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    path = _home_file("")
    assert cli("config", "set", "peloton.password", "hunter2") == 0
    captured = capsys.readouterr()
    assert "hunter2" not in captured.out + captured.err and "********" in captured.out
    assert "password = hunter2" in path.read_text(encoding="utf-8")
    assert (path.stat().st_mode & 0o777) in (0o600, 0o644)


def test_a_new_home_file_is_private() -> None:
    assert cli("config", "set", "formats", "tcx") == 0
    assert home_config_path().read_text(encoding="utf-8") == "[peloton-export]\nformats = tcx\n"
    assert home_config_path().stat().st_mode & 0o777 == 0o600


def test_config_commands_work_on_a_broken_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = _home_file("[peloton]\nssl_verify = perhaps\n")
    assert cli("formats") == 2  # a run refuses it
    capsys.readouterr()
    assert cli("config", "path") == 0 and capsys.readouterr().out == f"{path}\n"
    assert cli("config", "set", "peloton.ssl_verify", "true") == 0
    assert load_config().ssl_verify is True


def test_a_devnull_config_cannot_be_changed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    assert cli("config", "set", "formats", "tcx") == 2
    assert "there is no file to change" in capsys.readouterr().err


def test_show_masks_a_secret_that_is_all_continuation_lines(capsys: pytest.CaptureFixture[str]) -> None:
    # configparser reads ``session_token =`` then an indented line as the value "\ncont-secret",
    # and keeps a blank line inside a value: show printed both secrets in the clear (review 25)
    _home_file(
        "[peloton]\nsession_token =\n    cont-secret\nusername = me\n"
        "[plugin:strava]\nclient_secret = first\n\n  after-blank-secret\nclient_id = 42\n"
        "[peloton-export]\npassword_empty =\nformats = tcx\n"
    )
    capsys.readouterr()
    assert cli("config", "show") == 0
    out = capsys.readouterr().out
    for secret in ("cont-secret", "first", "after-blank-secret"):
        assert secret not in out
    assert out.count("********") == 2
    for kept in ("username = me", "client_id = 42", "formats = tcx", "password_empty =\n"):
        assert kept in out


def test_set_writes_through_a_symlinked_config_and_keeps_the_link(home: Path) -> None:
    # a dotfiles manager (stow, chezmoi) links config.ini to a file in its repository:
    # set replaced the link by a new file, the linked file unchanged (review 25)
    target = home / "dotfiles" / "peloton-export.ini"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("[peloton-export]\n# mine\nformats = tcx\n", encoding="utf-8")
    target.chmod(0o640)
    link = home_config_path()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    assert cli("config", "set", "formats", "gpx") == 0
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "[peloton-export]\n# mine\nformats = gpx\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert cli("config", "unset", "formats") == 0
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "[peloton-export]\n# mine\n"
