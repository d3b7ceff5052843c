"""Settings from the environment and secrets from files (config.load_config)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peloton_export.config import load_config, setting_from_env_name
from peloton_export.errors import ConfigError
from peloton_export.source.client.settings import client_settings

INI = """\
[peloton]
username = file-user
password = file-password

[peloton-export]
output_dir = /from/file
formats = tcx

[plugin:strava]
client_id = 111
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "peloton.ini"
    path.write_text(INI, encoding="utf-8")
    return path


def test_environment_wins_over_the_file_for_core_and_plugin_settings(ini: Path) -> None:
    env = {
        "PELOTON_EXPORT_OUTPUT_DIR": "/from/env",
        "PELOTON_EXPORT_PLUGIN_STRAVA_CLIENT_ID": "222",
        "PELOTON_EXPORT_PLUGIN_INTERVALS_ATHLETE_ID": "i42",
    }
    config = load_config(ini, env)
    assert config.get("output_dir") == "/from/env"
    assert config.get("formats") == "tcx"  # untouched keys stay
    assert config.plugins["strava"]["client_id"] == "222"
    assert config.plugins["intervals"] == {"athlete_id": "i42"}


def test_existing_variables_are_never_read_as_settings(ini: Path, tmp_path: Path) -> None:
    env = {
        "PELOTON_EXPORT_ARCHIVE": "/a",
        "PELOTON_EXPORT_STATE_DIR": "/s",
        "PELOTON_EXPORT_DATA_DIR": "/d",
        "PELOTON_EXPORT_CONFIG_DIR": "/c",
        "PELOTON_EXPORT_TOKEN": "tok",
        "PELOTON_EXPORT_LOAD_PLUGINS": "x",
        "PELOTON_EXPORT_DISABLE_PLUGINS": "y",
        "PELOTON_EXPORT_STRICT_PLUGINS": "1",
        "PELOTON_EXPORT_TRACE_PLUGINS": "1",
        "PELOTON_EXPORT_STRAVA_URL": "http://127.0.0.1:1",
        "PELOTON_EXPORT_INTERVALS_URL": "http://127.0.0.1:2",
        "PELOTON_EXPORT_WATCH_MIN_INTERVAL": "1",
    }
    config = load_config(ini, env)
    assert config.settings == {"output_dir": "/from/file", "formats": "tcx"}
    assert config.plugins == {"strava": {"client_id": "111"}}
    assert setting_from_env_name("PELOTON_EXPORT_TOKEN_FILE") is None  # PELOTON_EXPORT_TOKEN's secret


def test_api_and_auth_url_variables_keep_their_meaning(ini: Path) -> None:
    env = {"PELOTON_EXPORT_API_URL": "http://127.0.0.1:8/", "PELOTON_EXPORT_AUTH_URL": "http://127.0.0.1:9"}
    settings = client_settings(load_config(ini, env), env)
    assert (settings.api_url, settings.auth_url) == ("http://127.0.0.1:8", "http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("PELOTON_EXPORT_OUTPUT_DIR", (None, "output_dir")),
        ("PELOTON_EXPORT_NOTIFY_URLS", (None, "notify_urls")),
        ("PELOTON_EXPORT_PLUGIN_STRAVA_CLIENT_ID", ("strava", "client_id")),
        ("PELOTON_EXPORT_PLUGIN_MY_SINK__API_KEY", ("my_sink", "api_key")),
        ("PELOTON_EXPORT_PLUGIN_STRAVA", None),
        ("PELOTON_EXPORT_ARCHIVE", None),
        ("PELOTON_EXPORT_PASSWORD_FILE", (None, "password_file")),
        ("PELOTON_USERNAME", None),
        ("HOME", None),
    ],
)
def test_naming_rule(variable: str, expected: tuple[str | None, str] | None) -> None:
    assert setting_from_env_name(variable) == expected


def test_a_plugin_name_with_a_dash_matches_its_section(tmp_path: Path) -> None:
    ini = tmp_path / "p.ini"
    ini.write_text("[plugin:my-sink]\nurl = a\n", encoding="utf-8")
    config = load_config(ini, {"PELOTON_EXPORT_PLUGIN_MY_SINK__API_KEY": "k"})
    assert config.plugins["my-sink"] == {"url": "a", "api_key": "k"}


def test_secret_files_for_settings_and_for_the_password(ini: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n", encoding="utf-8")
    password = tmp_path / "password"
    password.write_text("  spaces kept  \n", encoding="utf-8")
    env = {
        "PELOTON_EXPORT_PLUGIN_STRAVA_CLIENT_SECRET_FILE": str(secret),
        "PELOTON_PASSWORD_FILE": str(password),
        "PELOTON_EXPORT_PLUGIN_STRAVA_TOKEN_FILE": "/data/strava-token.json",  # a path setting
    }
    config = load_config(ini, env)
    assert config.plugins["strava"]["client_secret"] == "s3cret-value"
    assert config.plugins["strava"]["token_file"] == "/data/strava-token.json"
    assert config.password == "  spaces kept  "
    assert config.username == "file-user"


def test_secret_file_puts_legacy_variables_into_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "strava"
    secret.write_text("from-a-docker-secret", encoding="utf-8")
    monkeypatch.delenv("STRAVA_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("STRAVA_CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    load_config()
    assert os.environ["STRAVA_CLIENT_SECRET"] == "from-a-docker-secret"
    load_config()  # a second read in the same process is no conflict


def test_secret_file_errors_are_one_line(ini: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"PELOTON_PASSWORD_FILE: cannot read .*missing"):
        load_config(ini, {"PELOTON_PASSWORD_FILE": str(tmp_path / "missing")})
    secret = tmp_path / "secret"
    secret.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="both PELOTON_PASSWORD and PELOTON_PASSWORD_FILE"):
        load_config(ini, {"PELOTON_PASSWORD_FILE": str(secret), "PELOTON_PASSWORD": "y"})
    with pytest.raises(
        ConfigError, match="both PELOTON_EXPORT_NOTIFY_URLS and PELOTON_EXPORT_NOTIFY_URLS_FILE"
    ):
        load_config(ini, {"PELOTON_EXPORT_NOTIFY_URLS_FILE": str(secret), "PELOTON_EXPORT_NOTIFY_URLS": "y"})


# -- $PELOTON_CONFIG naming a missing file --------------------------------------------------


def test_peloton_config_naming_a_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=f"PELOTON_CONFIG names {tmp_path}, which is not a file"):
        load_config()


def test_dev_null_and_the_optional_flag_mean_no_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PELOTON_EXPORT_CONFIG_OPTIONAL", raising=False)
    monkeypatch.setenv("PELOTON_CONFIG", os.devnull)
    assert load_config().settings == {} and load_config().path is None
    missing = tmp_path / "peloton.ini"
    monkeypatch.setenv("PELOTON_CONFIG", str(missing))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config()
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_OPTIONAL", "true")  # what the container sets
    assert load_config().path is None
    assert "config_optional" not in load_config().settings  # reserved, never a setting
    missing.write_text("[peloton-export]\nformats = gpx\n", encoding="utf-8")
    config = load_config()
    assert config.path == missing and config.get("formats") == "gpx"


def test_unset_peloton_config_with_no_default_file_is_still_no_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PELOTON_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/peloton
    assert load_config().path is None
    monkeypatch.setenv("PELOTON_CONFIG", "")  # empty: the default, as before
    assert load_config().path is None


def test_container_image_sets_the_optional_flag_and_schedule_passes_it_on() -> None:
    from peloton_export.unattended.schedule import service_environment

    containerfile = (Path(__file__).parents[2] / "Containerfile").read_text(encoding="utf-8")
    assert "PELOTON_CONFIG=/config/peloton.ini" in containerfile
    assert "PELOTON_EXPORT_CONFIG_OPTIONAL=true" in containerfile
    env = {"PELOTON_CONFIG": "/c/p.ini", "PELOTON_EXPORT_CONFIG_OPTIONAL": "true", "PELOTON_PASSWORD": "x"}
    assert service_environment(env) == {
        "PELOTON_CONFIG": "/c/p.ini",
        "PELOTON_EXPORT_CONFIG_OPTIONAL": "true",
    }
