"""Strava as it behaves in 2026-2027, against the loopback fake (issue 22).

* an inactive application (no subscription): one line, no refresh, no login advice, the
  sink paused, the workout pending, ``status`` and the notify plugin saying it once;
* Peloton's own share (``strava_id``) and a copy another service forwarded count as
  delivered; ``peloton_share`` toggled never uploads twice;
* the 2027 API: the token only in headers, separate OAuth and API hosts.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import peloton_export_strava
import pytest
from peloton_export_strava.api import AppInactive, StravaApi, StravaSettings
from peloton_export_strava.login import authorize_url
from peloton_export_strava.upload import StravaUploader

from peloton_export import ExportContext, Workout
from peloton_export.cli import run
from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.export.plan import should_upload
from peloton_export.plugins import create_host
from peloton_export.sinkkit import PluginSettings, TokenStore, UploadJournal
from peloton_export.store.ledger import Ledger, close_all
from peloton_export.testing import FakeInbox

SHARED = "4456039585"  # a strava_id as Peloton's detail bodies carry it
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # the start of conftest's workouts
FakeStrava = Any  # conftest's fake (conftest is not importable under --import-mode=importlib)


@pytest.fixture
def make_workout(new_workout: Any) -> Any:
    return new_workout


pytestmark = pytest.mark.usefixtures("strava_clock")


def section_of(settings: StravaSettings, **more: str) -> dict[str, str]:
    return {
        "base_url": settings.base_url,
        "client_id": str(settings.client_id),
        "client_secret": str(settings.client_secret),
        "token_file": str(settings.token_file),
        "journal_file": str(settings.journal_file),
        **more,
    }


def ctx(settings: StravaSettings, tmp_path: Path, **more: str) -> ExportContext:
    return ExportContext(
        output_dir=tmp_path / "exports", plugin_config={"strava": section_of(settings, **more)}
    )


def file_for(tmp_path: Path, workout: Workout) -> Path:
    path = tmp_path / "exports" / f"{workout.id}.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x0e\x10FIT-" + workout.id.encode())
    return path


# -- an inactive application ----------------------------------------------------------------


def test_inactive_app_raises_a_pause_without_refresh_and_keeps_strava_raw_answer(
    fake_strava: FakeStrava, api: StravaApi, workout: Workout, fit_file: Path, context: ExportContext
) -> None:
    fake_strava.inactive = True
    with pytest.raises(AppInactive) as info:
        StravaUploader(api)(fit_file, workout, context)
    message = str(info.value)
    assert "\n" not in message
    assert "inactive" in message and "subscription" in message
    assert "https://www.strava.com/settings/api" in message
    assert "login" not in message.lower()  # a new login cannot fix it
    assert info.value.reason == "app-inactive"
    assert fake_strava.count("POST", "^/oauth/token$") == 0  # no refresh
    assert fake_strava.posts() == []  # nothing uploaded
    assert fake_strava.statuses == [403]  # the first call, then nothing more
    state = api.journal.service_state()
    assert state is not None and state["reason"] == "app-inactive"
    assert '"code": "Inactive"' in state["raw"] or '"code":"Inactive"' in state["raw"]
    assert api.journal.get(workout.id) is None  # nothing in flight: the workout stays pending


def test_another_403_is_not_the_inactive_pause(
    fake_strava: FakeStrava, api: StravaApi, workout: Workout, fit_file: Path, context: ExportContext
) -> None:
    """(test_strava_refusals.py: Strava's own message, never a scope or a login.)"""
    fake_strava.fault("POST", "/api/v3/uploads", 403, {"message": "Forbidden", "errors": []})
    with pytest.raises(UploadError, match="HTTP 403: Forbidden") as info:
        StravaUploader(api)(fit_file, workout, context)
    assert not isinstance(info.value, AppInactive | AuthRequired)
    assert api.journal.service_state() is None


def test_inactive_app_in_a_run_is_one_line_a_paused_sink_and_pending_workouts(
    peloton_env: Any,
    tmp_path: Path,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    inbox: FakeInbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("apprise")
    ini = tmp_path / "peloton.ini"
    strava = "".join(f"{k} = {v}\n" for k, v in section_of(logged_in).items())
    notify = inbox.apprise_url
    ini.write_text(ini.read_text() + f"[plugin:strava]\n{strava}[plugin:notify]\nurls = {notify}\n")
    fake_strava.inactive = True
    host = create_host()  # entry points: the installed strava plugin, notify among the defaults

    assert run(["-f", "fit", "--sink", "strava"], host=host) == 1  # the user has to act
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if "strava" in line.lower()]
    assert len(lines) == 1, lines
    assert "strava paused" in lines[0] and "inactive" in lines[0] and "settings/api" in lines[0]
    assert "login" not in (out + err).lower()
    assert fake_strava.count("POST", "^/oauth/token$") == 0
    assert len(fake_strava.requests) == 1  # one look-up answered 403; no other workout tried
    ledger = Ledger.for_reading()
    assert ledger.uploads_for(["strava"]) == {}  # nothing recorded: all three stay pending
    (pause,) = ledger.sink_pauses().values()
    close_all()

    assert run(["status", "--sink", "strava"], host=host) == 0
    status = capsys.readouterr().out
    assert f"Sink strava paused since {pause.since} (its workouts stay pending): {pause.message}" in status
    assert "3 archived workouts" in status and "strava deliver" in status

    # the next run: still inactive, not notified again
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 1
    capsys.readouterr()
    bodies = inbox.bodies()
    assert len(bodies) == 1 and pause.message in bodies[0]
    assert "log in" not in bodies[0]

    # the user subscribed: the next run delivers, the pause is gone
    fake_strava.inactive = False
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 0
    capsys.readouterr()
    assert len(fake_strava.posts()) == 3
    ledger = Ledger.for_reading()
    assert ledger.sink_pauses() == {}
    assert len(ledger.uploads_for(["strava"])) == 3
    close_all()
    assert UploadJournal(logged_in.journal_file).service_state() is None


# -- Peloton's own share, and copies other services made ----------------------------------------


def test_a_workout_peloton_shared_is_recorded_with_its_id_and_never_uploaded(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path
) -> None:
    fake_strava.add_activity(START, "Ride", activity_id=int(SHARED), name="Peloton: 30 min Power Zone Ride")
    workout = make_workout(strava_id=SHARED)
    context = ctx(logged_in, tmp_path, title_template="{title} · {instructor}", gear="b1001")
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, context)
    assert (result.state, result.remote_id, result.message) == ("duplicate", SHARED, "shared by Peloton")
    assert fake_strava.posts() == []  # no upload POST
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 0  # nor a look-up
    activity = fake_strava.activities[int(SHARED)]
    assert activity["name"] == "30 min Power Zone Ride · Matt Wilpers"  # the user's title template
    assert (activity["sport_type"], activity["gear_id"]) == ("VirtualRide", "b1001")
    assert fake_strava.created == 1
    # a later run: the journal answers, no request at all
    fake_strava.clear_requests()
    again = peloton_export_strava.upload(file_for(tmp_path, workout), workout, context)
    assert (again.state, again.remote_id) == ("duplicate", SHARED)
    assert fake_strava.requests == []


def test_peloton_share_without_a_title_template_keeps_pelotons_name(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path
) -> None:
    fake_strava.add_activity(START, "Ride", activity_id=int(SHARED), name="Peloton ride")
    workout = make_workout(strava_id=SHARED)
    peloton_export_strava.upload(file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path))
    assert [r.form for r in fake_strava.find("PUT")] == [{"sport_type": "VirtualRide"}]
    assert fake_strava.activities[int(SHARED)]["name"] == "Peloton ride"


@pytest.mark.parametrize("not_shared", [None, "-1", "0", "", "abc"])
def test_no_real_strava_id_uploads(
    make_workout: Any,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    tmp_path: Path,
    not_shared: str | None,
) -> None:
    workout = make_workout(strava_id=not_shared)
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path))
    assert result.state == "uploaded" and len(fake_strava.posts()) == 1


def test_peloton_share_ignore_uploads_our_own_copy(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path
) -> None:
    """For users who deleted Peloton's copy; even when it is still there it does not count."""
    fake_strava.add_activity(START, "Ride", activity_id=int(SHARED))
    workout = make_workout(strava_id=SHARED)
    context = ctx(logged_in, tmp_path, peloton_share="ignore")
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, context)
    assert result.state == "uploaded" and result.remote_id != SHARED
    assert len(fake_strava.posts()) == 1


def test_peloton_share_must_be_respect_or_ignore(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path
) -> None:
    workout = make_workout(strava_id=SHARED)
    with pytest.raises(ConfigError, match=r"\[plugin:strava\] peloton_share: expected respect or ignore"):
        peloton_export_strava.upload(
            file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path, peloton_share="maybe")
        )


@pytest.mark.parametrize(
    ("first", "second"),
    [("respect", "ignore"), ("ignore", "respect")],
    ids=["respect-then-ignore", "ignore-then-respect"],
)
def test_toggling_peloton_share_never_uploads_twice(
    make_workout: Any,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    tmp_path: Path,
    first: str,
    second: str,
) -> None:
    """Through the core's ledger; with the ledger forgotten the sink's journal answers for our
    own upload, while Peloton's share does not count under ``ignore`` (the README's way for
    a user who deleted Peloton's copy): our copy is uploaded, once."""
    fake_strava.add_activity(START, "Ride", activity_id=int(SHARED))
    (sink,) = list(peloton_export_strava.register_sinks())
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    workout = make_workout(strava_id=SHARED)
    path = file_for(tmp_path, workout)
    for mode in (first, second, first):
        context = ctx(logged_in, tmp_path, peloton_share=mode)
        if should_upload(ledger, workout.id, "strava"):
            result = sink.upload(path, workout, context)
            ledger.record_upload(workout.id, "strava", result.state, result.remote_id, None)
    record = ledger.upload_state(workout.id, "strava")
    assert record is not None
    expected = ("duplicate", SHARED) if first == "respect" else ("uploaded", "12000000001")
    assert (record.state, record.remote_id) == expected
    ledger.forget(workout.id)  # the ledger lost it (or `ledger forget`): the journal knows
    for _ in range(2):
        result = sink.upload(path, workout, ctx(logged_in, tmp_path, peloton_share=second))
        if first == "respect":  # now ignore: our own copy, uploaded once
            assert (result.state, len(fake_strava.posts())) in {("uploaded", 1), ("duplicate", 1)}
        else:  # ours, uploaded under ignore: the journal answers, no second copy
            assert (result.remote_id, len(fake_strava.posts())) == (expected[1], 1)
    close_all()


@pytest.mark.parametrize(
    ("offset_s", "sport", "duplicate"),
    [(40, "VirtualRide", True), (-110, "Ride", True), (300, "VirtualRide", False), (30, "Run", False)],
)
def test_a_copy_garmin_forwarded_counts_as_a_duplicate(
    make_workout: Any,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    tmp_path: Path,
    offset_s: int,
    sport: str,
    duplicate: bool,
) -> None:
    """Same sport starting within 2 minutes: Garmin Connect's forward of our Garmin upload."""
    other = fake_strava.add_activity(
        START + timedelta(seconds=offset_s), sport, external_id="garmin_push_1234567", name="Indoor Cycling"
    )
    workout = make_workout()
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path))
    if duplicate:
        assert (result.state, result.remote_id) == ("duplicate", str(other))
        assert "same sport, same start" in result.message
        assert fake_strava.posts() == [] and fake_strava.find("PUT") == []  # not our activity
    else:
        assert result.state == "uploaded" and len(fake_strava.posts()) == 1


def test_our_upload_of_another_workout_at_the_same_start_is_not_a_duplicate(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path
) -> None:
    first, second = make_workout("w000000first"), make_workout("w00000second")
    context = ctx(logged_in, tmp_path)
    peloton_export_strava.upload(file_for(tmp_path, first), first, context)
    result = peloton_export_strava.upload(file_for(tmp_path, second), second, context)
    assert result.state == "uploaded" and len(fake_strava.posts()) == 2


def test_request_counts_of_a_first_delivery_of_20_workouts_8_shared_by_peloton(
    make_workout: Any,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The closing note's numbers: 20 indoor rides an hour apart, 8 with a ``strava_id``."""
    context = ctx(logged_in, tmp_path)
    workouts = []
    for n in range(20):
        start = START + timedelta(hours=n)
        shared = str(5_000_000_000 + n) if n % 5 in (0, 2) else None  # 8 of 20
        workout = make_workout(f"w{n:011d}", start=start, end=start + timedelta(minutes=30), strava_id=shared)
        if shared:
            fake_strava.add_activity(start, "Ride", activity_id=int(shared))
        fake_strava.starts[f"peloton-{workout.id}"] = int(start.timestamp())
        workouts.append(workout)
    results = [peloton_export_strava.upload(file_for(tmp_path, w), w, context) for w in workouts]
    assert sum(r.message == "shared by Peloton" for r in results) == 8
    assert sum(r.state == "uploaded" for r in results) == 12
    counts = {
        "look-ups": fake_strava.count("GET", "^/api/v3/athlete/activities$"),
        "upload POSTs": len(fake_strava.posts()),
        "status polls": fake_strava.count("GET", r"^/api/v3/uploads/\d+$"),
        "activity PUTs": len(fake_strava.find("PUT")),
        "token refreshes": fake_strava.count("POST", "^/oauth/token$"),
    }
    counts["total"] = len(fake_strava.requests)
    with capsys.disabled():
        print(f"\nfirst Strava delivery, 20 workouts, 8 with strava_id: {counts}")
    # one look-up for the run (the 20 rides lie within a day of the first; it was one per
    # upload, 12); 12 uploads: the POST, 2 polls (the fake's processing), a sport_type PUT;
    # 8 shared: one sport_type PUT each, nothing else
    assert counts == {
        "look-ups": 1,
        "upload POSTs": 12,
        "status polls": 24,
        "activity PUTs": 20,
        "token refreshes": 0,
        "total": 57,
    }
    assert fake_strava.created == 20  # 8 of Peloton's, 12 of ours: one activity per workout


# -- 2027: headers only, an API host of its own -------------------------------------------------


def test_2027_api_host_and_header_only_tokens(
    fake_strava: FakeStrava,
    settings: StravaSettings,
    tmp_path: Path,
    clock: Any,
    workout: Workout,
    fit_file: Path,
    context: ExportContext,
) -> None:
    fake_strava.api_prefix = ""  # api-v3.strava.com/uploads, not www.strava.com/api/v3/uploads
    fake_strava.header_only = True
    settings = StravaSettings.from_settings(
        PluginSettings(
            "strava",
            {
                "oauth_url": fake_strava.url + "/",
                "api_url": fake_strava.url,
                "client_id": str(settings.client_id),
                "client_secret": str(settings.client_secret),
                "token_file": str(tmp_path / "token.json"),
                "journal_file": str(tmp_path / "journal.json"),
            },
        )
    )
    assert (settings.oauth, settings.api) == (fake_strava.url, fake_strava.url)
    assert authorize_url(settings, "http://127.0.0.1:1/callback", "s").startswith(
        f"{fake_strava.url}/oauth/authorize?"
    )
    TokenStore(settings.token_file).save(
        {"access_token": "expired", "refresh_token": fake_strava.refresh_token, "expires_at": 0}
    )
    api = StravaApi(settings, clock=clock)
    result = StravaUploader(api)(fit_file, workout, context)
    api.close()
    assert result.state == "uploaded"
    paths = [r.path for r in fake_strava.requests]
    assert paths[0] == "/oauth/token" and "/uploads" in paths and "/athlete/activities" in paths
    assert not any(p.startswith("/api/v3") for p in paths)
    assert 401 not in fake_strava.statuses  # no token in a form or a query anywhere
    for request in fake_strava.requests[1:]:
        assert request.header("Authorization", "").startswith("Bearer ")


def test_api_and_oauth_urls_default_to_todays_and_must_be_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PELOTON_EXPORT_STRAVA_URL",
        "PELOTON_EXPORT_STRAVA_OAUTH_URL",
        "PELOTON_EXPORT_STRAVA_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    default = StravaSettings.from_settings(PluginSettings("strava", {}))
    assert (default.oauth, default.api) == ("https://www.strava.com", "https://www.strava.com/api/v3")
    monkeypatch.setenv("PELOTON_EXPORT_STRAVA_API_URL", "https://api-v3.strava.com/")
    moved = StravaSettings.from_settings(PluginSettings("strava", {}))
    assert (moved.oauth, moved.api) == ("https://www.strava.com", "https://api-v3.strava.com")
    with pytest.raises(ConfigError, match=r"\[plugin:strava\] oauth_url: expected an http\(s\) URL"):
        StravaSettings.from_settings(PluginSettings("strava", {"oauth_url": "www.strava.com"}))


def test_strava_id_is_read_from_the_detail_body() -> None:
    from peloton_export.normalize.summary import strava_share

    assert strava_share({"strava_id": "4456039585"}) == "4456039585"
    assert strava_share({"strava_id": 4456039585}) == "4456039585"
    for value in (None, "-1", "", "0", True, "12a"):
        assert strava_share({"strava_id": value}) is None
    assert strava_share({}) is None


def test_replace_keeps_strava_id(make_workout: Any) -> None:
    assert dataclasses.replace(make_workout(), strava_id=SHARED).strava_id == SHARED


@pytest.mark.parametrize(
    "hostile",
    [
        {"id": 5},
        [4456039585],
        -7,
        "-7",
        4.5,
        "9" * 5000,
        "²",
        "４４５６",
        "9223372036854775808",
        2**70,
        " 12 3",
    ],
)
def test_a_hostile_strava_id_is_no_share_and_fails_nothing(hostile: object) -> None:
    """A ``strava_id`` that is no Strava activity id (a dict, a negative, beyond 64 bits,
    5,000 digits, other scripts' digits) reads as not shared; 5,000 digits and '²' made
    the whole workout fail to export (int() raised ValueError)."""
    from peloton_export.normalize.summary import strava_share

    assert strava_share({"strava_id": hostile}) is None
    assert strava_share({"strava_id": 9223372036854775807}) == "9223372036854775807"


@pytest.mark.parametrize("hostile", ["9" * 5000, "²", "99999999999999999999999999", "12 3"])
def test_a_hostile_strava_id_on_a_workout_uploads_it(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path, hostile: str
) -> None:
    workout = make_workout(strava_id=hostile)  # a Workout made elsewhere (an importer, a plugin)
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path))
    assert result.state == "uploaded" and len(fake_strava.posts()) == 1
    assert all(len(r.path) < 100 for r in fake_strava.requests)


def test_a_pause_ends_when_strava_answers_otherwise(
    peloton_env: Any,
    tmp_path: Path,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Inactive, then reactivated but the login lacks a scope: the second run says only the
    scope (it also printed the stale "strava paused ... inactive" line), and status no
    longer shows the pause."""
    ini = tmp_path / "peloton.ini"
    strava = "".join(f"{k} = {v}\n" for k, v in section_of(logged_in).items())
    ini.write_text(ini.read_text() + f"[plugin:strava]\n{strava}")
    host = create_host()
    fake_strava.inactive = True
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 1
    assert "strava paused" in capsys.readouterr().out
    fake_strava.inactive = False
    fake_strava.scopes.discard("activity:write")
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 1
    out = capsys.readouterr().out
    assert "activity:write" in out and "paused" not in out and "inactive" not in out
    close_all()
    assert Ledger.for_reading().sink_pauses() == {}
    close_all()
    assert run(["status", "--sink", "strava"], host=host) == 0
    assert "paused" not in capsys.readouterr().out


def test_a_deleted_peloton_share_says_how_to_upload_our_own_and_is_not_retried(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path, clock: Any
) -> None:
    """Peloton's copy was deleted on Strava: the update's 404 is final (it was kept and
    tried again every 10 minutes for ever), and the line says how to get our own copy."""
    workout = make_workout(strava_id=SHARED)  # no such activity on the fake
    context = ctx(logged_in, tmp_path)
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, context)
    assert (result.state, result.remote_id) == ("duplicate", SHARED)
    assert f"Strava has no activity {SHARED} (deleted?)" in result.message
    assert f"peloton_share = ignore and run `peloton-export ledger forget {workout.id}`" in result.message
    assert "a later run tries again" not in result.message
    assert "pending" not in UploadJournal(logged_in.journal_file).get(workout.id)
    clock.sleep(3600)  # past the 10 minutes between follow-up tries
    fake_strava.clear_requests()
    other = make_workout("f00dcafe0002", strava_id=None)
    peloton_export_strava.upload(file_for(tmp_path, other), other, context)
    assert fake_strava.count("PUT", f"^/api/v3/activities/{SHARED}$") == 0  # not tried again


@pytest.mark.parametrize("fake_peloton", [{"strava_id": SHARED}], indirect=True)
def test_peloton_share_ignore_after_forget_uploads_our_own_copy_once(
    peloton_env: Any,
    tmp_path: Path,
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    fake_peloton: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's way for a user who deleted Peloton's copy: ``peloton_share = ignore``,
    ``ledger forget ID``, and the next run uploads our copy (the journal answered
    "uploaded by an earlier run" for ever); with ``respect`` it stays Peloton's."""
    ini = tmp_path / "peloton.ini"
    strava = "".join(f"{k} = {v}\n" for k, v in section_of(logged_in).items())
    ini.write_text(ini.read_text() + f"[plugin:strava]\n{strava}")
    host = create_host()
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 0
    assert fake_strava.posts() == []
    wid = str(fake_peloton.store.page(0, 3)[0]["id"])
    close_all()
    assert run(["ledger", "forget", wid], host=host) == 0
    assert run(["-f", "fit", "--sink", "strava"], host=host) == 0  # still respect: Peloton's
    out = capsys.readouterr().out
    assert fake_strava.posts() == [] and "shared by Peloton (recorded by an earlier run)" in out
    close_all()
    assert run(["ledger", "forget", wid], host=host) == 0
    ignore = ["--option", "strava.peloton_share=ignore"]
    assert run(["-f", "fit", "--sink", "strava", *ignore], host=host) == 0
    assert len(fake_strava.posts()) == 1  # our own copy of that one workout
    assert run(["-f", "fit", "--sink", "strava", *ignore], host=host) == 0
    assert len(fake_strava.posts()) == 1  # and only once
    assert run(["-f", "fit", "--sink", "strava", "--force", *ignore], host=host) == 0
    assert fake_strava.created == 1  # --force offers it again: Strava's duplicate answer


@pytest.mark.parametrize(
    "answer",
    [b"[" * 100_000, b"<html>Cloudflare</html>", b'[{"id": "../../athlete", "external_id": "x"}]'],
    ids=["nested", "html", "hostile-id"],
)
def test_a_hostile_look_up_answer_still_uploads_once(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path, answer: bytes
) -> None:
    fake_strava.fault("GET", "/api/v3/athlete/activities", 200, answer, times=None)
    workout = make_workout()
    result = peloton_export_strava.upload(file_for(tmp_path, workout), workout, ctx(logged_in, tmp_path))
    assert result.state == "uploaded" and len(fake_strava.posts()) == 1
    assert not any(".." in r.path for r in fake_strava.requests)


def test_a_look_up_is_shared_by_the_run_but_not_a_full_page_nor_an_old_one(
    make_workout: Any, fake_strava: FakeStrava, logged_in: StravaSettings, tmp_path: Path, clock: Any
) -> None:
    """The run's look-up answers later workouts in its window (a forwarded copy already
    there is still found), but a full page (more may exist) or one older than 15 minutes
    is asked again."""
    context = ctx(logged_in, tmp_path)
    rides = [make_workout(f"w{n:011d}", start=START + timedelta(hours=n)) for n in range(3)]
    forwarded = fake_strava.add_activity(START + timedelta(hours=2, seconds=40), "Ride", name="Garmin copy")
    results = [peloton_export_strava.upload(file_for(tmp_path, w), w, context) for w in rides[:2]]
    assert [r.state for r in results] == ["uploaded", "uploaded"]
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 1
    third = peloton_export_strava.upload(file_for(tmp_path, rides[2]), rides[2], context)
    assert (third.state, third.remote_id) == ("duplicate", str(forwarded))  # from the shared answer
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 1

    clock.sleep(901)  # the answer is older than 15 minutes
    late = make_workout("w00000000009", start=START + timedelta(hours=3))
    peloton_export_strava.upload(file_for(tmp_path, late), late, context)
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 2

    full = ctx(logged_in, tmp_path)  # another run, whose look-up is a full page of 100
    for n in range(100):
        fake_strava.add_activity(START - timedelta(hours=5, minutes=n), "Run", name=f"run {n}")
    others = [make_workout(f"x{n:011d}", start=START + timedelta(hours=4 + n)) for n in range(2)]
    fake_strava.clear_requests()
    for w in others:
        peloton_export_strava.upload(file_for(tmp_path, w), w, full)
    assert fake_strava.count("GET", "^/api/v3/athlete/activities$") == 2


def test_a_wrong_api_url_says_which_setting(
    fake_strava: FakeStrava,
    logged_in: StravaSettings,
    workout: Workout,
    fit_file: Path,
    context: ExportContext,
) -> None:
    """``api_url`` set to the 2027 host's path on today's host (or a typo): the line names
    the setting (it was "HTTP 404: Record Not Found")."""
    settings = dataclasses.replace(logged_in, api_url=fake_strava.url + "/v3")
    api = StravaApi(settings)
    with pytest.raises(UploadError, match=r"/v3/uploads: no Strava API there; check the api_url"):
        StravaUploader(api)(fit_file, workout, context)
    api.close()
    assert fake_strava.created == 0
