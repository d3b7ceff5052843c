"""Garmin in late 2026: web-session-only logins, the device preset, gear, Python 3.12+."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import fitparse
import peloton_export_garmin
import pytest
from click.testing import CliRunner
from peloton_export_garmin.sink import DEVICE_TRADE_OFF, GarminSession, GarminSettings

from peloton_export import ExportContext
from peloton_export.cli import build_cli
from peloton_export.config import Config
from peloton_export.errors import UploadError
from peloton_export.formats.fit.encode import FitOptions, encode_workout
from peloton_export.plugins import create_host
from peloton_export.sinkkit import PluginSettings

PLUGIN = Path(peloton_export_garmin.__file__).resolve().parent.parent
BIKE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_the_plugin_needs_python_312_and_a_working_garminconnect() -> None:
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.12"
    (requirement,) = [d for d in project["dependencies"] if d.startswith("garminconnect")]
    assert requirement == "garminconnect>=0.3.10,<0.4"  # 0.3.2 cannot log in since June 2026
    assert sys.version_info >= (3, 12)
    import importlib.metadata

    version = tuple(int(p) for p in importlib.metadata.version("garminconnect").split(".")[:3])
    assert (0, 3, 10) <= version < (0, 4, 0)
    assert "Python 3.11" in (PLUGIN / "README.md").read_text()


def test_a_web_session_only_login_is_not_saved_and_starts_no_cooldown(stub_world, section, clock) -> None:
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    stub_world["web_session_only"] = True
    session = GarminSession(settings, factory=stub_world["factory"], clock=clock)
    with pytest.raises(UploadError, match="Garmin gave only a web session"):
        session.login("rider@example.com", "correct horse", lambda: "1")
    assert not settings.token_file.exists()
    assert not settings.cooldown_file.exists()  # not the user's fault: the next login may go ahead
    stub_world["web_session_only"] = False
    session.login("rider@example.com", "correct horse", lambda: "1")
    assert json.loads(settings.token_file.read_text())["di_token"]


def fit_of(workout: Any) -> bytes:
    return encode_workout(workout, FitOptions())


def manufacturer(data: bytes) -> str:
    (file_id,) = [m.get_values() for m in fitparse.FitFile(io.BytesIO(data)).get_messages("file_id")]
    return str(file_id["manufacturer"])


def test_device_preset_rewrites_only_the_fit_sent_to_garmin(
    fake_garmin, real_library, saved_tokens, clock, workout, section, tmp_path
) -> None:
    path = tmp_path / "exports" / "ride.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fit_of(workout))
    assert manufacturer(path.read_bytes()) == "development"  # the honest default, as written
    context = ExportContext(output_dir=tmp_path, plugin_config={"garmin": {**section, "device": "garmin"}})
    result = peloton_export_garmin.upload(path, workout, context)
    sent = fake_garmin.files[int(result.remote_id)]
    assert manufacturer(sent) == "garmin"  # the Garmin preset (tacx training app for cycling)
    assert manufacturer(path.read_bytes()) == "development"  # the exported file is untouched
    (_m, _p, _h, files) = fake_garmin.uploads()[0]
    assert files["file"][0] == "ride.fit"


def test_without_a_device_setting_the_file_goes_as_written(
    fake_garmin, real_library, saved_tokens, clock, workout, context, tmp_path
) -> None:
    path = tmp_path / "ride.fit"
    path.write_bytes(fit_of(workout))
    result = peloton_export_garmin.upload(path, workout, context)
    assert fake_garmin.files[int(result.remote_id)] == path.read_bytes()


def test_login_offers_the_device_preset_with_its_trade_off(stub_world, section, clock, monkeypatch) -> None:
    monkeypatch.delenv("GARMIN_PASSWORD", raising=False)
    monkeypatch.delenv("GARMIN_DEVICE", raising=False)
    cli = build_cli(create_host(entry_points=False, extra={"garmin": peloton_export_garmin}))
    config = Config(plugins={"garmin": section})
    result = CliRunner().invoke(
        cli, ["garmin", "login", "--email", "rider@example.com"], obj=config, input="correct horse\ngarmin\n"
    )
    assert result.exit_code == 0, result.output
    assert "Training Effect, VO2 max and badges" in result.output
    assert "'honest'" in result.output and DEVICE_TRADE_OFF.splitlines()[0] in result.output
    settings = GarminSettings.from_settings(PluginSettings("garmin", section))
    assert settings.device == "garmin"  # remembered for the sink
    # a device in the config wins over the one chosen at login, and login does not ask then
    config = Config(plugins={"garmin": {**section, "device": "honest"}})
    result = CliRunner().invoke(
        cli, ["garmin", "login", "--email", "rider@example.com"], obj=config, input="correct horse\n"
    )
    assert result.exit_code == 0, result.output
    assert "from your settings" in result.output and "VO2 max" not in result.output
    assert GarminSettings.from_settings(PluginSettings("garmin", config.plugins["garmin"])).device == "honest"


def test_gear_by_name_per_discipline_is_linked_after_the_upload(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, section, tmp_path
) -> None:
    context = ExportContext(
        output_dir=tmp_path, plugin_config={"garmin": {**section, "gear.cycling": "peloton bike"}}
    )
    result = peloton_export_garmin.upload(fit_file, workout, context)
    assert result.state == "uploaded" and result.message == ""
    assert fake_garmin.links == [(BIKE, int(result.remote_id))]
    run = dataclasses.replace(workout, id="run1", discipline="running")
    run_file = tmp_path / "run.fit"
    run_file.write_bytes(b"another file")
    peloton_export_garmin.upload(run_file, run, context)
    assert len(fake_garmin.links) == 1  # no gear for running


def test_failed_gear_is_retried_later_without_uploading_again(
    fake_garmin, real_library, saved_tokens, clock, workout, fit_file, section, tmp_path
) -> None:
    context = ExportContext(output_dir=tmp_path, plugin_config={"garmin": {**section, "gear": BIKE}})
    fake_garmin.fault(r"/gear-service/gear/link/.*", 500, {"message": "oops"}, times=10)
    result = peloton_export_garmin.upload(fit_file, workout, context)
    assert result.state == "uploaded" and "gear not set" in result.message
    journal = json.loads(Path(section["journal_file"]).read_text())
    assert journal[workout.id]["pending"] == {"gear": BIKE}
    fake_garmin.clear_faults()
    clock.sleep(601)
    other = tmp_path / "other.fit"
    other.write_bytes(b"a second ride")
    peloton_export_garmin.reset_sessions()  # the next run
    peloton_export_garmin.upload(other, dataclasses.replace(workout, id="second"), context)
    assert (BIKE, int(result.remote_id)) in fake_garmin.links
    assert len(fake_garmin.uploads()) == 2  # the first ride was never uploaded again
    journal = json.loads(Path(section["journal_file"]).read_text())
    assert "pending" not in journal[workout.id]


def test_garmin_gear_command_lists_names_and_ids(
    fake_garmin, real_library, saved_tokens, clock, section
) -> None:
    cli = build_cli(create_host(entry_points=False, extra={"garmin": peloton_export_garmin}))
    result = CliRunner().invoke(cli, ["garmin", "gear"], obj=Config(plugins={"garmin": section}))
    assert result.exit_code == 0, result.output
    assert f"{BIKE}  Peloton Bike [Bike]" in result.output
    assert "Tread Shoes [Shoes]" in result.output
