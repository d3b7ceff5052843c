"""The Settings page of ``peloton-export serve`` in process: the run's own checks beside
each field, nothing written until every field is good, comments and the file's mode kept,
a named profile's keys in its own section, the server serving the new settings, the CSRF
token, read-only mode; and the in-place INI editor."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from peloton_export.config import load_config
from peloton_export.errors import ConfigError
from peloton_export.plugins import create_host
from peloton_export.profiles import load_profiles
from peloton_export.store.ledger import close_all
from peloton_export.web.app import ServeSettings, create_app
from peloton_export.web.configedit import set_keys

from .test_serve_parts import Browser, call

CONFIG = """# the household's config: keep this comment
[peloton-export]
keyring = false
# what we like
formats = json,
  tcx
output_dir = {out}

[profile:anna]
username = anna@example.com
password = anna's secret password
formats = json

[profile:ben]
username = ben@example.com
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("PELOTON_EXPORT_FORMATS", "PELOTON_EXPORT_SINKS", "PELOTON_EXPORT_OUTPUT_DIR"):
        monkeypatch.delenv(name, raising=False)
    ini = tmp_path / "peloton.ini"
    ini.write_text(CONFIG.format(out=tmp_path / "out"))
    ini.chmod(0o640)
    profiles = load_profiles(load_config(ini))
    app = create_app(profiles, create_host(entry_points=False), ServeSettings())
    yield {"app": app, "ini": ini, "tmp": tmp_path}
    close_all()


def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_saved(site: dict[str, Any]) -> None:
    before = site["ini"].read_bytes()
    browser = Browser(site["app"])
    page = browser.get("/p/anna/settings")
    assert page.status == 200 and 'name="formats" value="json"' in page.text
    answer = browser.post(
        "/p/anna/settings",
        {
            "formats": "fitt, gpx",
            "output_dir": "relative/folder",
            "sinks": "dropbox",
            "watch_interval": "10m",
        },
    )
    assert answer.status == 400
    text = answer.text
    assert "Nothing was saved: 4 settings to fix" in text
    assert "unknown format &#39;fitt&#39; (did you mean &#39;fit&#39;?)" in text  # the run's own line
    assert 'id="error-output_dir">give the whole path of a folder' in text
    assert 'id="error-sinks">unknown sink &#39;dropbox&#39;' in text
    assert 'id="error-watch_interval">at least 1h' in text
    assert 'name="formats" value="fitt, gpx"' in text  # what was typed, to correct it
    file_instead = site["tmp"] / "a-file"
    file_instead.write_text("x")
    answer = browser.post("/p/anna/settings", {"formats": "json", "output_dir": str(file_instead)})
    assert answer.status == 400 and "is a file, not a folder" in answer.text
    answer = browser.post("/p/anna/settings", {"formats": "json", "colour": "red"})
    assert answer.status == 400 and "unknown setting &#39;colour&#39;" in answer.text
    assert site["ini"].read_bytes() == before
    assert "anna&#39;s secret password" not in page.text + text


def test_good_values_are_written_in_place_and_served_at_once(site: dict[str, Any]) -> None:
    browser = Browser(site["app"])
    out = site["tmp"] / "anna-files"
    answer = browser.post(
        "/p/anna/settings",
        {"formats": "gpx, csv", "output_dir": str(out), "sinks": "directory", "watch_interval": "6h"},
    )
    assert answer.status == 200 and "Saved to" in answer.text, answer.text[:2000]
    text = site["ini"].read_text()
    assert text.startswith("# the household's config: keep this comment\n") and "# what we like\n" in text
    assert stat.S_IMODE(site["ini"].stat().st_mode) == 0o640
    config = load_config(site["ini"])
    assert (
        config.profiles["anna"]["formats"] == "gpx, csv" and config.profiles["anna"]["sinks"] == "directory"
    )
    assert config.profiles["anna"]["output_dir"] == str(out)
    assert (
        config.settings["watch_interval"] == "6h" and config.settings["formats"] == "json,\ntcx"
    )  # shared kept
    assert "formats" not in config.profiles["ben"]
    dashboard = browser.get("/p/anna")
    assert "Formats: gpx, csv. Sinks: directory." in dashboard.text  # the server serves the new settings
    assert "Formats: json, tcx." in browser.get("/p/ben").text
    cleared = browser.post(
        "/p/anna/settings", {"formats": "", "output_dir": "", "sinks": "", "watch_interval": "6h"}
    )
    assert cleared.status == 200
    assert "formats" not in load_config(site["ini"]).profiles["anna"]  # empty: back to the default


def test_settings_need_the_csrf_token_and_a_writable_server(site: dict[str, Any]) -> None:
    before = site["ini"].read_bytes()
    assert call(site["app"], "POST", "/p/anna/settings", form={"formats": "gpx"}).status == 403
    read_only = create_app(
        load_profiles(load_config(site["ini"])),
        create_host(entry_points=False),
        ServeSettings(read_only=True),
    )
    assert call(read_only, "GET", "/p/anna/settings").status == 403
    assert Browser(read_only).post("/p/anna/settings", {"formats": "gpx"}).status == 403
    assert site["ini"].read_bytes() == before


def test_the_ini_editor_keeps_every_other_line() -> None:
    text = "# top\n[a]\nx = 1\n  continued\n; note\ny = 2\n\n[B ]\nz = 3\n"
    assert (
        set_keys(text, "a", {"x": "9", "w": "new", "y": None})
        == "# top\n[a]\nx = 9\nw = new\n; note\n\n[B ]\nz = 3\n"  # after the last key line left
    )
    assert set_keys(text, "b", {"z": "4"}, matches=lambda n: n.strip().lower() == "b").endswith(
        "[B ]\nz = 4\n"
    )
    assert set_keys(text, "c", {"k": "v"}).endswith("z = 3\n\n[c]\nk = v\n")
    assert set_keys(text, "c", {"k": None}) == text
    with pytest.raises(ConfigError, match="one line"):
        set_keys(text, "a", {"x": "1\n[evil]\nk = v"})
