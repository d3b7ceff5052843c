"""The sink toolkit's parts that the upload plugins no longer hand-write: the journaled
upload state machine, the settings reader, the shared cooldown and the token store."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peloton_export.errors import AuthRequired, ConfigError, UploadError
from peloton_export.model import Workout
from peloton_export.sinkkit import (
    Clock,
    InDoubt,
    JournaledUploader,
    LoginCooldown,
    PluginSettings,
    Rejected,
    SendAgain,
    Sent,
    TokenStore,
    UploadJournal,
    UploadLost,
)
from peloton_export.specs import ExportContext, UploadResult
from peloton_export.testing import FakeClock

START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def workout(workout_id: str = "w1", discipline: str = "cycling") -> Workout:
    return Workout(
        id=workout_id,
        discipline=discipline,
        start=START,
        end=START + timedelta(minutes=20),
        elapsed_s=1200.0,
        timer_s=1200.0,
    )


class Service:
    """A service with a memory: activities by external id, uploads being processed."""

    def __init__(self) -> None:
        self.activities: dict[str, str] = {}  # external id -> remote id
        self.processing: dict[str, str] = {}  # upload id -> external id
        self.sends = 0
        self.answers: list[Exception | str] = []  # what the next sends do ("ok", "ticket")
        self.updates: list[tuple[str, str, str]] = []
        self.update_fails = 0

    def take(self, external: str) -> str:
        remote = self.activities.setdefault(external, f"r{len(self.activities) + 1}")
        return remote


class ToySink(JournaledUploader):
    """The smallest sink: the base does all the journal work."""

    attempts = 3
    check_after_doubt = True

    def __init__(self, service: Service, journal: UploadJournal, clock: Clock) -> None:
        super().__init__(journal, clock)
        self.service = service

    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        self.service.sends += 1
        answer = self.service.answers.pop(0) if self.service.answers else "ok"
        if answer == "taken-then-500":
            self.service.take(workout.id)
            raise InDoubt("server error (HTTP 500)")
        if isinstance(answer, Exception):
            raise answer
        if answer == "ticket":
            self.service.processing["u1"] = workout.id
            return Sent(upload_id="u1")
        return Sent(UploadResult(state="uploaded", remote_id=self.service.take(workout.id)))

    def poll(self, upload_id: str, workout: Workout, progress: Any) -> UploadResult:
        external = self.service.processing.pop(upload_id, None)
        if external is None:
            raise UploadLost(f"unknown upload {upload_id}")
        return UploadResult(state="uploaded", remote_id=self.service.take(external))

    def find(self, workout: Workout) -> str | None:
        return self.service.activities.get(workout.id)

    def followups(self, workout: Workout, context: ExportContext) -> dict[str, str]:
        gear = PluginSettings.from_context(context, "toy").per_discipline("gear", workout.discipline)
        return {"gear": gear} if gear else {}

    def follow_up(self, remote_id: str, name: str, value: str) -> None:
        if self.service.update_fails:
            self.service.update_fails -= 1
            raise UploadError("HTTP 503")
        self.service.updates.append((remote_id, name, value))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def sink(service: Service, tmp_path: Path, clock: FakeClock) -> ToySink:
    real = Clock(time=clock.time, sleep=clock.sleep)
    return ToySink(service, UploadJournal(tmp_path / "journal.json", clock=real), real)


def ctx(tmp_path: Path, **section: str) -> ExportContext:
    return ExportContext(output_dir=tmp_path, plugin_config={"toy": section})


def test_done_answers_from_the_journal(sink: ToySink, service: Service, tmp_path: Path) -> None:
    first = sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
    again = sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
    assert (first.state, first.remote_id) == ("uploaded", "r1")
    assert (again.remote_id, again.message) == ("r1", "uploaded by an earlier run")
    assert service.sends == 1


def test_a_crash_mid_send_looks_up_before_sending_again(
    sink: ToySink, service: Service, tmp_path: Path
) -> None:
    sink.journal.begin("w1")  # the process died with the request on the wire...
    service.take("w1")  # ...after the service stored it
    result = sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
    assert (result.state, result.remote_id, service.sends) == ("uploaded", "r1", 0)


def test_a_known_upload_id_is_polled_not_resent(sink: ToySink, service: Service, tmp_path: Path) -> None:
    service.answers = ["ticket"]
    service.processing["u1"] = "w1"
    sink.journal.note("w1", upload_id="u1")  # the process died while polling
    assert sink(tmp_path / "f.fit", workout(), ctx(tmp_path)).remote_id == "r1"
    assert service.sends == 0
    service.processing.clear()
    sink.journal.note("w2", upload_id="u1")  # the service forgot the upload
    with pytest.raises(UploadLost):
        sink(tmp_path / "f.fit", workout("w2"), ctx(tmp_path))
    assert sink.journal.get("w2")["phase"] == "sending"  # the next run looks first


def test_rejected_and_auth_drop_the_entry(sink: ToySink, service: Service, tmp_path: Path) -> None:
    for error in (Rejected("bad file"), AuthRequired("log in")):
        service.answers = [error]
        with pytest.raises(type(error)):
            sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
        assert sink.journal.get("w1") is None


def test_in_doubt_checks_then_finds_what_the_service_took(
    sink: ToySink, service: Service, tmp_path: Path, clock: FakeClock
) -> None:
    service.answers = ["taken-then-500"]
    result = sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
    assert (result.remote_id, service.sends, clock.sleeps) == ("r1", 1, [2.0])


def test_in_doubt_every_time_gives_up_and_keeps_sending_phase(
    sink: ToySink, service: Service, tmp_path: Path
) -> None:
    service.answers = [InDoubt("server error (HTTP 502)")] * 3
    with pytest.raises(UploadError, match=r"HTTP 502\) after 3 tries"):
        sink(tmp_path / "f.fit", workout(), ctx(tmp_path))
    assert sink.journal.get("w1")["phase"] == "sending"


def test_send_again_waits_longer_each_time(
    sink: ToySink, service: Service, tmp_path: Path, clock: FakeClock
) -> None:
    service.answers = [SendAgain("429", 60.0), SendAgain("429", 60.0)]
    assert sink(tmp_path / "f.fit", workout(), ctx(tmp_path)).state == "uploaded"
    assert clock.sleeps == [60.0, 120.0]


def test_followups_are_kept_until_they_work_and_never_resend(
    sink: ToySink, service: Service, tmp_path: Path, clock: FakeClock
) -> None:
    context = ctx(tmp_path, **{"gear.running": "shoes", "gear": "bike"})
    service.update_fails = 1
    first = sink(tmp_path / "f.fit", workout(), context)
    assert first.message == "gear not set (HTTP 503); a later run tries again"
    sink(tmp_path / "g.fit", workout("w2", "running"), context)  # too soon to retry w1
    assert service.updates == [("r2", "gear", "shoes")]
    clock.sleep(600)
    sink(tmp_path / "h.fit", workout("w3", "running"), context)
    assert ("r1", "gear", "bike") in service.updates
    assert service.sends == 3
    assert "pending" not in sink.journal.get("w1")


# -- settings ---------------------------------------------------------------------------------


def test_plugin_settings_option_then_section_then_environment(tmp_path: Path) -> None:
    context = ExportContext(
        output_dir=tmp_path,
        options={"toy.flag": "yes", "toy.n": "2"},
        plugin_config={"toy": {"n": "1", "flag": "no", "bad": "maybe", "gear": "g", "gear.rowing": "r"}},
    )
    settings = PluginSettings("toy", context.config_for("toy"), context.options, {"TOY_X": "env"})
    assert settings.flag("flag") is True and settings.number("n", 0) == 2.0
    assert settings.get("x", "TOY_X") == "env" and settings.get("y", default="d") == "d"
    assert settings.per_discipline("gear", "rowing") == "r"
    assert settings.per_discipline("gear", "cycling") == "g"
    with pytest.raises(ConfigError, match=r"\[plugin:toy\] bad: expected true or false"):
        settings.flag("bad")
    assert PluginSettings.from_context(context, "toy").get("n") == "2"


# -- cooldown and token store --------------------------------------------------------------


def test_cooldown_after_a_rate_limit_is_at_least_the_floor(tmp_path: Path) -> None:
    now = [0.0]
    cooldown = LoginCooldown(tmp_path / "c.json", now=lambda: now[0], base=60, cap=600, after_rate_limit=300)
    assert cooldown.fail("x").until == 60
    assert cooldown.fail("429", rate_limited=True).until == 300
    assert cooldown.remaining() == 300 and cooldown.active() is not None
    assert stat.S_IMODE((tmp_path / "c.json").stat().st_mode) == 0o600
    now[0] = 400
    assert cooldown.active() is None and cooldown.remaining() == 0


class MemoryKeyring:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.data.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.data[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        del self.data[(service, user)]


def test_token_store_uses_the_keyring_when_asked(tmp_path: Path) -> None:
    ring = MemoryKeyring()
    store = TokenStore(tmp_path / "t.json", keyring_name="strava-token", keyring=ring)
    assert store.save({"access_token": "keyring-held-token"}) == "keyring"
    assert not (tmp_path / "t.json").exists()
    assert json.loads(ring.data[("peloton-export", "strava-token")]) == {"access_token": "keyring-held-token"}
    assert store.load() == {"access_token": "keyring-held-token"}
    assert store.clear() and store.load() is None
    file_only = TokenStore(tmp_path / "t.json", keyring=ring)  # no keyring_name: the file
    assert file_only.save({"a": "b"}) == str(tmp_path / "t.json")
