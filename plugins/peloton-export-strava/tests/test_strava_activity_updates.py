"""After the upload: Virtual Ride and gear through ``PUT /activities/{id}``, kept until they work."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest
from peloton_export_strava.upload import StravaUploader

from peloton_export import ExportContext
from peloton_export.cli import run
from peloton_export.config import Config
from peloton_export.plugins import create_host


def strava_context(logged_in: Any, tmp_path: Path, **settings: str) -> ExportContext:
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
        "journal_file": str(logged_in.journal_file),
        **settings,
    }
    return ExportContext(output_dir=tmp_path / "exports", plugin_config={"strava": section})


def puts(fake: Any) -> list[Any]:
    return fake.find("PUT", r"^/api/v3/activities/")


def test_indoor_cycling_becomes_a_virtual_ride_after_the_upload(
    fake_strava, api, workout, fit_file, context
) -> None:
    result = StravaUploader(api)(fit_file, workout, context)
    activity = fake_strava.activities[int(result.remote_id)]
    assert activity["sport_type"] == "VirtualRide"  # the fake, like Strava, took "Ride" from the file
    (put,) = puts(fake_strava)
    assert put.path == f"/api/v3/activities/{result.remote_id}"
    assert put.form == {"sport_type": "VirtualRide"}
    assert api.journal.get(workout.id).get("pending") is None


def test_virtual_ride_off_leaves_the_type_to_the_file(
    fake_strava, logged_in, clock, workout, fit_file, tmp_path
):
    context = strava_context(logged_in, tmp_path, virtual_ride="false")
    api = peloton_export_strava.StravaApi(logged_in, clock=clock)
    result = StravaUploader(api)(fit_file, workout, context)
    api.close()
    assert fake_strava.activities[int(result.remote_id)]["sport_type"] == "Ride"
    assert puts(fake_strava) == []
    assert "sport_type" not in fake_strava.posts()[0].form


def test_gear_by_name_per_discipline(fake_strava, logged_in, clock, new_workout, tmp_path) -> None:
    context = strava_context(logged_in, tmp_path, **{"gear.cycling": "peloton bike+", "gear": "g2002"})
    api = peloton_export_strava.StravaApi(logged_in, clock=clock)
    ride, run_ = new_workout("r1"), new_workout("r2", discipline="running", title="Tread Run")
    for w in (ride, run_):
        (tmp_path / f"{w.id}.fit").write_bytes(w.id.encode())
    ride_id = StravaUploader(api)(tmp_path / "r1.fit", ride, context).remote_id
    run_id = StravaUploader(api)(tmp_path / "r2.fit", run_, context).remote_id
    api.close()
    assert fake_strava.activities[int(ride_id)]["gear_id"] == "b1001"  # gear.cycling, looked up by name
    assert fake_strava.activities[int(run_id)]["gear_id"] == "g2002"  # gear, an id as it is
    assert fake_strava.count("GET", "^/api/v3/athlete$") == 1  # only the name needed the gear list


def test_failed_gear_is_retried_by_a_later_run_without_uploading_again(
    fake_strava, logged_in, clock, new_workout, tmp_path
) -> None:
    context = strava_context(logged_in, tmp_path, gear="b1001")
    first, second = new_workout("w1"), new_workout("w2")
    for w in (first, second):
        (tmp_path / f"{w.id}.fit").write_bytes(w.id.encode())
    fake_strava.fault("PUT", r"/api/v3/activities/\d+", 503, b"", times=2)  # both updates fail
    api = peloton_export_strava.StravaApi(logged_in, clock=clock)
    result = StravaUploader(api)(tmp_path / "w1.fit", first, context)
    assert result.state == "uploaded"
    assert "gear not set" in result.message and "a later run tries again" in result.message
    assert api.journal.get("w1")["pending"] == {"sport_type": "VirtualRide", "gear": "b1001"}
    assert "gear_id" not in fake_strava.activities[int(result.remote_id)]
    StravaUploader(api)(tmp_path / "w1.fit", first, context)  # at once again: not retried yet
    assert len(puts(fake_strava)) == 2

    # the next run uploads another workout; ten minutes on, the gear of the first is set again
    clock.sleep(601)
    StravaUploader(api)(tmp_path / "w2.fit", second, context)
    api.close()
    activity = fake_strava.activities[int(result.remote_id)]
    assert (activity["gear_id"], activity["sport_type"]) == ("b1001", "VirtualRide")
    assert api.journal.get("w1").get("pending") is None
    assert len(fake_strava.posts()) == 2  # one upload per workout: the retry never re-uploaded


def test_unknown_gear_name_says_which_gear_there_is(
    fake_strava, logged_in, clock, workout, fit_file, tmp_path
):
    context = strava_context(logged_in, tmp_path, gear="Old Bike")
    api = peloton_export_strava.StravaApi(logged_in, clock=clock)
    result = StravaUploader(api)(fit_file, workout, context)
    api.close()
    assert result.state == "uploaded"
    assert "no gear named 'Old Bike'" in result.message and "Peloton Bike+ (b1001)" in result.message


def test_strava_gear_command_lists_names_and_ids(fake_strava, logged_in, capsys) -> None:
    host = create_host(entry_points=False, extra={"strava": peloton_export_strava})
    section = {
        "base_url": logged_in.base_url,
        "client_id": logged_in.client_id,
        "client_secret": logged_in.client_secret,
        "token_file": str(logged_in.token_file),
    }
    assert run(["strava", "gear"], host=host, config=Config(plugins={"strava": section})) == 0
    out = capsys.readouterr().out
    assert "b1001  Peloton Bike+ [bike]" in out and "g2002  Tread Shoes [shoes]" in out
    fake_strava.scopes.discard("profile:read_all")
    assert run(["strava", "gear"], host=host, config=Config(plugins={"strava": section})) == 2
    err = capsys.readouterr().err
    assert "profile:read_all" in err and "strava login" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture(autouse=True)
def _strava_clock(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    monkeypatch.setattr(peloton_export_strava, "CLOCK", clock)


def test_force_does_not_add_a_second_sport_type_update_for_a_duplicate(
    fake_strava, api, workout, fit_file, context, tmp_path
) -> None:
    StravaUploader(api)(fit_file, workout, context)
    again = StravaUploader(api)(fit_file, workout, dataclasses.replace(context, force=True))
    assert again.state == "duplicate"
    assert len(puts(fake_strava)) == 1
