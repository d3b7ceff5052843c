"""Garmin as it behaves since April 2026 (issue 22), against the loopback fake.

* a fresh login refused with Cloudflare's 429, then ``garmin login --import`` of the token
  store garminconnect wrote on another machine, then an upload with it;
* a refused (expired) session in ``watch``: a typed state that pauses the sink, notifies
  once, makes no request to Garmin while it holds, and resumes after a new login.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import peloton_export_garmin
import pytest
from click.testing import CliRunner
from peloton_export_garmin.sink import GarminLoginNeeded, GarminSession, GarminSettings, read_token_import

from peloton_export.cli import build_cli, run
from peloton_export.errors import UploadError
from peloton_export.plugins import create_host
from peloton_export.sinkkit import PluginSettings
from peloton_export.store.ledger import Ledger, close_all
from peloton_export.testing import FakeInbox

DI_CLIENT = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"


def desktop_tokens(folder: Path, di_token: str, refresh: str) -> Path:
    """What garminconnect writes on another machine: ``Garmin.client.dump(folder)``."""
    from garminconnect import Garmin

    garmin = Garmin()
    garmin.client.di_token = di_token
    garmin.client.di_refresh_token = refresh
    garmin.client.di_client_id = DI_CLIENT
    garmin.client.dump(str(folder))
    return folder / "garmin_tokens.json"


@pytest.fixture
def blocked(
    fake_garmin: Any, real_library: None, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> dict[str, Any]:
    """A fresh login (email and password) reaches the fake SSO, which Cloudflare blocks; a
    sign-in from tokens is the real garminconnect against the fake Connect API."""
    fake_garmin.sso_blocked = True
    token_factory = peloton_export_garmin.FACTORY
    world: dict[str, Any] = {"sso": fake_garmin.url, "created": []}
    stub_class = _conftest().StubGarmin

    def factory(**kwargs: Any) -> Any:
        if kwargs.get("email"):
            stub = stub_class(world=world, **kwargs)
            world["created"].append(stub)
            return stub
        return token_factory(**kwargs)

    monkeypatch.setattr(peloton_export_garmin, "FACTORY", factory)
    return world


def _conftest() -> Any:
    """The plugin's conftest module (not importable by name under --import-mode=importlib)."""
    import sys

    for module in list(sys.modules.values()):
        if hasattr(module, "StubGarmin") and hasattr(module, "FakeConnectApi"):
            return module
    raise AssertionError("the garmin conftest is not loaded")


def cli(args: list[str], section: dict[str, str], **kwargs: Any) -> Any:
    from peloton_export.config import Config

    host = create_host(entry_points=False, extra={"garmin": peloton_export_garmin})
    return CliRunner().invoke(build_cli(host), args, obj=Config(plugins={"garmin": section}), **kwargs)


def test_cloudflare_refused_fresh_login_then_imported_tokens_upload(
    blocked: dict[str, Any],
    fake_garmin: Any,
    section: dict[str, str],
    tmp_path: Path,
    workout: Any,
    fit_file: Path,
    context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    DI_TOKEN, DI_REFRESH = _conftest().DI_TOKEN, _conftest().DI_REFRESH
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    monkeypatch.setenv("GARMIN_PASSWORD", "correct horse")
    refused = cli(["garmin", "login", "--email", "rider@example.com", "--device", "honest"], section)
    assert refused.exit_code != 0
    assert "too many requests" in refused.output and "--import PATH" in refused.output
    assert "Traceback" not in refused.output
    (_path, status, headers) = blocked["sso_answers"][0]
    assert status == 429 and "cloudflare" in headers["Server"] and headers["CF-RAY"]  # Cloudflare's shape
    assert not settings.token_file.exists()

    made_elsewhere = desktop_tokens(tmp_path / "desktop" / ".garminconnect", DI_TOKEN, DI_REFRESH)
    imported = cli(["garmin", "login", "--import", str(made_elsewhere.parent)], section)
    assert imported.exit_code == 0, imported.output
    assert "Imported the Garmin session" in imported.output and DI_TOKEN not in imported.output
    assert json.loads(settings.token_file.read_text())["di_token"] == DI_TOKEN
    assert stat.S_IMODE(settings.token_file.stat().st_mode) == 0o600
    assert len(blocked["sso_answers"]) == 1  # the import never went near the SSO

    peloton_export_garmin.reset_sessions()
    result = peloton_export_garmin.upload(fit_file, workout, context)
    assert (result.state, result.remote_id) == ("uploaded", "21000000001")
    assert fake_garmin.created == 1


def test_import_reads_the_token_string_from_standard_input(
    fake_garmin: Any, real_library: None, section: dict[str, str], clock: Any
) -> None:
    DI_TOKEN, DI_REFRESH = _conftest().DI_TOKEN, _conftest().DI_REFRESH
    text = json.dumps({"di_token": DI_TOKEN, "di_refresh_token": DI_REFRESH, "di_client_id": DI_CLIENT})
    result = cli(["garmin", "login", "--import", "-"], section, input=text)
    assert result.exit_code == 0, result.output
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    assert json.loads(settings.token_file.read_text())["di_refresh_token"] == DI_REFRESH


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"di_token": null, "di_refresh_token": null, "di_client_id": null}', "di_token null"),
        ('[{"oauth_token": "a"}, {"access_token": "b"}]', "garth session"),
        ("not json", "not valid JSON"),
        ('{"token": "x"}', "no di_token"),
    ],
)
def test_import_refuses_stores_that_cannot_be_loaded(
    section: dict[str, str], tmp_path: Path, clock: Any, text: str, message: str
) -> None:
    path = tmp_path / "garmin_tokens.json"
    path.write_text(text)
    result = cli(["garmin", "login", "--import", str(path)], section)
    assert result.exit_code != 0 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not GarminSettings.from_settings(PluginSettings("garmin", section)).token_file.exists()
    with pytest.raises(UploadError, match=message):
        read_token_import(text, str(path))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("nested", "nested too deeply"),  # was a RecursionError traceback
        ("large", "too large"),  # was read whole into memory (50 MB: 131 MB)
        ("device", "a device, not a regular file"),  # /dev/zero never ends
        ("fifo", "not a regular file"),  # a FIFO would block for ever
        ("stdin", "longer than 1048576 bytes"),
        ("missing", "no such file"),
        ("binary", "not UTF-8"),
    ],
)
def test_import_of_a_hostile_file_is_one_line(
    section: dict[str, str], tmp_path: Path, clock: Any, kind: str, message: str
) -> None:
    import os

    path = tmp_path / "garmin_tokens.json"
    stdin = None
    if kind == "nested":
        path.write_text("[" * 100_000)
    elif kind == "large":
        path.write_bytes(b" " * (2 * 2**20))
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe{" * 10)
    elif kind == "stdin":
        stdin = b"{" + b" " * (2**20 + 10)
    source = "-" if stdin is not None else str(path if kind != "missing" else tmp_path / "nothing")
    result = cli(["garmin", "login", "--import", source], section, input=stdin)
    assert result.exit_code == 1 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert isinstance(result.exception, SystemExit)  # a usage line, not an exception
    assert not GarminSettings.from_settings(PluginSettings("garmin", section)).token_file.exists()


def test_a_hostile_pause_file_is_no_pause(section: dict[str, str], tmp_path: Path, clock: Any) -> None:
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    settings.pause_file.parent.mkdir(parents=True, exist_ok=True)
    settings.pause_file.write_text("[" * 100_000)
    session = GarminSession(settings, factory=peloton_export_garmin.FACTORY, clock=clock)
    assert session.paused() is None  # was RecursionError, failing every Garmin upload


def test_import_of_tokens_garmin_refuses_keeps_nothing(
    fake_garmin: Any, real_library: None, section: dict[str, str], tmp_path: Path, clock: Any
) -> None:
    jwt = _conftest().jwt
    fake_garmin.refuse_refresh = True
    stale = desktop_tokens(tmp_path / "old", jwt(4_102_444_999), "di-refresh-token-stale")
    result = cli(["garmin", "login", "--import", str(stale)], section)
    assert result.exit_code != 0 and "Garmin needs a login" in result.output
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    assert not settings.token_file.exists() and not settings.pause_file.exists()


def test_a_refused_session_in_watch_pauses_notifies_once_and_resumes_after_a_new_login(
    peloton_env: Any,
    fake_garmin: Any,
    real_library: None,
    saved_tokens: Path,
    section: dict[str, str],
    inbox: FakeInbox,
    tmp_path: Path,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("apprise")
    monkeypatch.setenv("PELOTON_EXPORT_WATCH_MIN_INTERVAL", "0")
    ini = tmp_path / "peloton.ini"
    garmin = "".join(f"{k} = {v}\n" for k, v in section.items())
    notify = inbox.apprise_url
    ini.write_text(ini.read_text() + f"[plugin:garmin]\n{garmin}[plugin:notify]\nurls = {notify}\n")
    fake_garmin.expire_token()  # the saved session expired ...
    fake_garmin.refuse_refresh = True  # ... and cannot be refreshed
    watch = ["watch", "--once", "--now", "-f", "fit", "--sink", "garmin"]
    host = create_host()  # one process, like a watcher: the plugin's sessions live on

    assert run(watch, host=host) == 1
    assert len(inbox.bodies()) == 1
    assert "Garmin needs a login: Garmin refused the saved session" in inbox.bodies()[0]
    assert fake_garmin.created == 0
    ledger = Ledger.for_reading()
    assert ledger.uploads_for(["garmin"]) == {}  # the workouts stay pending
    assert "garmin" in ledger.sink_pauses()
    close_all()
    seen = len(fake_garmin.requests)

    for _ in range(2):  # later runs: paused, no request to Garmin, no second notification
        clock.sleep(600)
        assert run(watch, host=host) == 1
    assert len(fake_garmin.requests) == seen
    assert len(inbox.bodies()) == 1
    capsys.readouterr()
    assert run(["status", "--sink", "garmin"], host=host) == 0
    assert "Sink garmin paused since" in capsys.readouterr().out

    # the user logs in again (on a desktop, and imports the tokens): the next run resumes
    fake_garmin.refuse_refresh = False
    fresh = desktop_tokens(tmp_path / "desktop", fake_garmin.token, _conftest().DI_REFRESH)
    assert run(["garmin", "login", "--import", str(fresh)], host=host) == 0
    assert run(watch, host=host) == 0
    assert fake_garmin.created == 3
    ledger = Ledger.for_reading()
    assert len(ledger.uploads_for(["garmin"])) == 3 and ledger.sink_pauses() == {}
    close_all()
    assert len(inbox.bodies()) == 1  # nothing new to tell
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    assert not settings.pause_file.exists()


def test_no_saved_session_is_the_same_typed_state(
    section: dict[str, str], clock: Any, workout: Any, fit_file: Path, context: Any
) -> None:
    with pytest.raises(GarminLoginNeeded, match=r"^Garmin needs a login: no saved Garmin session") as info:
        peloton_export_garmin.upload(fit_file, workout, context)
    assert info.value.reason == "login-needed"
    session = GarminSession(GarminSettings.from_settings(PluginSettings("garmin", section)))
    assert session.paused() is not None
