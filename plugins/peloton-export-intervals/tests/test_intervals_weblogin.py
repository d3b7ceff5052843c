"""The intervals.icu login of the ``serve`` Logins page (``register_logins``): the key is
checked against the fake, saved 0600 in the profile's config folder, used by the sink when
the config has none, and never part of an answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from peloton_export_intervals import IntervalsSettings
from peloton_export_intervals.fake import API_KEY, FakeIntervals

from peloton_export.paths import ProfileDirs, use_dirs
from peloton_export.plugins import create_host
from peloton_export.sinkkit import PluginSettings
from peloton_export.specs import LoginRequest


@pytest.fixture
def dirs(tmp_path: Path) -> ProfileDirs:
    return ProfileDirs(
        "default", tmp_path / "data", tmp_path / "archive", tmp_path / "state", tmp_path / "config"
    )


def test_a_key_entered_on_the_page_is_checked_saved_and_used(
    fake_icu: FakeIntervals, dirs: ProfileDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERVALS_API_KEY", raising=False)
    host = create_host(allow=["intervals"])
    section = {"base_url": fake_icu.url}

    def step(name: str, **fields: str) -> tuple[bool, str]:
        answer = host.login_step(
            "intervals", name, LoginRequest(profile="default", section=section, fields=fields)
        )
        return answer.ok, answer.message

    with use_dirs(dirs):
        assert step("state")[1].startswith("no API key")
        ok, message = step("submit", api_key="wrong-key-1234")
        assert not ok and "refused this API key (HTTP 401)" in message and "wrong-key-1234" not in message
        assert not (dirs.config / "intervals-key.json").exists()
        ok, message = step("submit", api_key=API_KEY)
        assert ok and API_KEY not in message
        saved = dirs.config / "intervals-key.json"
        assert API_KEY in saved.read_text() and saved.stat().st_mode & 0o077 == 0
        assert step("state") == (True, "API key saved (entered on this page)")
        assert IntervalsSettings.from_settings(PluginSettings("intervals", section)).api_key == API_KEY
        configured = {**section, "api_key": "from-the-config"}
        assert (
            IntervalsSettings.from_settings(PluginSettings("intervals", configured)).api_key
            == "from-the-config"
        )
        ok, _ = step("logout")
        assert ok and not saved.exists()
    assert [r.header("Authorization") is not None for r in fake_icu.find("GET")] == [True, True]
