"""Tests of peloton_export.sinkkit, the toolkit for upload plugins (and its old name, uploads)."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from peloton_export.errors import ConfigError, UploadError
from peloton_export.model import Sample, Workout
from peloton_export.sinkkit import (
    Clock,
    TokenStore,
    UploadJournal,
    json_object,
    plugin_setting,
    protect,
    redact,
    render_template,
    retry_after_seconds,
    send,
    template_fields,
)
from peloton_export.specs import ExportContext
from peloton_export.testing import FakeClock

NOW = datetime(2026, 11, 23, 10, 5, tzinfo=UTC).timestamp()


def response(status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body
    resp.headers.update(headers or {})
    return resp


class ScriptedSession(requests.Session):
    """Answers requests from a script of responses or exceptions."""

    def __init__(self, *answers: requests.Response | Exception) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls = 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def clock_of(fake: FakeClock) -> Clock:
    return Clock(time=fake.time, sleep=fake.sleep)


# -- token store ------------------------------------------------------------------------------


def test_token_store_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "cfg" / "svc" / "token.json")
    assert store.load() is None
    store.save({"access_token": "tok-1234567", "expires_at": 5})
    assert store.load() == {"access_token": "tok-1234567", "expires_at": 5}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.clear()
    assert store.load() is None


def test_token_store_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("{oops")
    with pytest.raises(UploadError, match="not valid JSON"):
        TokenStore(path).load()
    path.write_text("[]")
    with pytest.raises(UploadError, match="JSON object"):
        TokenStore(path).load()


# -- secrets ----------------------------------------------------------------------------------


def test_protected_secrets_are_redacted_in_logs_and_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    protect("s3cr3t-value-for-test", None, "abc")  # "abc" is too short to redact safely
    logging.getLogger("some.library").debug("sending Authorization: Bearer %s", "s3cr3t-value-for-test")
    assert "s3cr3t-value-for-test" not in caplog.text
    assert "Bearer ***" in caplog.text
    assert redact("x s3cr3t-value-for-test y abc") == "x *** y abc"


def test_values_loaded_from_a_token_store_are_protected(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"refresh_token": "refresh-loaded-from-disk"}))
    TokenStore(path).load()
    assert redact("error: refresh-loaded-from-disk") == "error: ***"


# -- send -------------------------------------------------------------------------------------


def test_send_waits_out_429_with_retry_after() -> None:
    fake = FakeClock()
    session = ScriptedSession(response(429, headers={"Retry-After": "7"}), response(200))
    assert send(session, "POST", "http://127.0.0.1/x", what="t", clock=clock_of(fake), idempotent=False).ok
    assert fake.sleeps == [7.0]


def test_send_uses_the_services_own_429_rule() -> None:
    fake = FakeClock()
    session = ScriptedSession(response(429), response(200))
    send(
        session,
        "GET",
        "http://127.0.0.1/x",
        what="t",
        clock=clock_of(fake),
        idempotent=True,
        wait_on_429=lambda r: 123.0,
    )
    assert fake.sleeps == [123.0]


def test_send_refuses_a_wait_longer_than_max_wait() -> None:
    session = ScriptedSession(response(429, headers={"Retry-After": "7200"}))
    with pytest.raises(UploadError, match="rate limited"):
        send(session, "GET", "http://127.0.0.1/x", what="t", clock=clock_of(FakeClock()), idempotent=True)


def test_send_retries_5xx_only_when_idempotent() -> None:
    fake = FakeClock()
    session = ScriptedSession(response(503), response(502), response(200))
    assert send(session, "GET", "http://127.0.0.1/x", what="t", clock=clock_of(fake), idempotent=True).ok
    assert fake.sleeps == [2.0, 4.0]
    session = ScriptedSession(response(503))
    assert (
        send(
            session, "POST", "http://127.0.0.1/x", what="t", clock=clock_of(fake), idempotent=False
        ).status_code
        == 503
    )


def test_send_connection_errors() -> None:
    fake = FakeClock()
    session = ScriptedSession(requests.ConnectionError("boom"), response(200))
    assert send(session, "GET", "http://127.0.0.1/x", what="t", clock=clock_of(fake), idempotent=True).ok
    session = ScriptedSession(requests.ConnectionError("boom http://127.0.0.1/x?key=k"))
    with pytest.raises(UploadError, match=r"^t: ConnectionError \(127.0.0.1\)$"):
        send(session, "POST", "http://127.0.0.1/x", what="t", clock=clock_of(fake), idempotent=False)


def test_retry_after_http_date() -> None:
    when = datetime.fromtimestamp(NOW + 90, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(response(429, headers={"Retry-After": when}), NOW) == pytest.approx(90)
    assert retry_after_seconds(response(429, headers={"Retry-After": "soon"}), NOW) is None


def test_json_object() -> None:
    assert json_object(response(200, b'{"a": 1}'), "t") == {"a": 1}
    with pytest.raises(UploadError, match="not JSON"):
        json_object(response(200, b"<html>"), "t")
    with pytest.raises(UploadError, match="not a JSON object"):
        json_object(response(200, b"[1]"), "t")


# -- settings and templates ----------------------------------------------------------------------


def test_plugin_setting_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVC_KEY", "from-env")
    ctx = ExportContext(
        output_dir=tmp_path, options={"svc.a": "opt"}, plugin_config={"svc": {"a": "cfg", "b": "cfg"}}
    )
    assert plugin_setting(ctx, "svc", "a", env="SVC_KEY") == "opt"
    assert plugin_setting(ctx, "svc", "b", env="SVC_KEY") == "cfg"
    assert plugin_setting(ctx, "svc", "c", env="SVC_KEY") == "from-env"
    assert plugin_setting(ctx, "svc", "d", default="x") == "x"


def workout() -> Workout:
    start = datetime(2026, 1, 31, 7, 0, tzinfo=UTC)
    samples = tuple(
        Sample(offset=i, time=start + timedelta(seconds=i), power_w=200.0, cadence_rpm=90.0)
        for i in range(60)
    )
    return Workout(
        id="w1",
        discipline="cycling",
        start=start,
        end=start + timedelta(minutes=61),
        elapsed_s=3660.0,
        timer_s=3660.0,
        title="60 min Ride",
        instructor="Ally Love",
        calories_kcal=600.0,
        distance_m=30_000.0,
        samples=samples,
    )


def test_template_fields() -> None:
    fields = template_fields(workout())
    assert fields["duration"] == "1:01:00"
    assert fields["avg_power"] == "200"
    assert fields["distance_km"] == "30.00"
    assert fields["avg_hr"] == ""


def test_render_template_drops_lines_whose_fields_are_empty() -> None:
    text = render_template("{title} with {instructor}\\nHR {avg_hr}\n{calories} kcal", workout(), setting="s")
    assert text == "60 min Ride with Ally Love\n600 kcal"
    with pytest.raises(ConfigError, match=r"s: unknown field \{title.__class__\}"):
        render_template("{title.__class__}", workout(), setting="s")


# -- journal ----------------------------------------------------------------------------------


def test_journal_phases_and_pruning(tmp_path: Path) -> None:
    fake = FakeClock()
    journal = UploadJournal(tmp_path / "j.json", clock=clock_of(fake), keep_days=1)
    journal.begin("w1")
    assert journal.get("w1")["phase"] == "sending"
    journal.note("w1", upload_id="77")
    assert journal.get("w1") == {"phase": "sent", "upload_id": "77", "at": NOW}
    journal.finish("w1", "A1", "uploaded")
    assert journal.get("w1")["remote_id"] == "A1"
    assert stat.S_IMODE((tmp_path / "j.json").stat().st_mode) == 0o600
    journal.begin("w2")
    journal.drop("w2")
    assert journal.get("w2") is None
    fake.sleep(2 * 86400)
    journal.begin("w3")  # any write prunes finished entries older than keep_days
    assert journal.get("w1") is None and journal.get("w3") is not None


def test_journal_ignores_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "j.json").write_text("garbage")
    assert UploadJournal(tmp_path / "j.json").get("w") is None


def test_install_redaction_covers_handlers_added_later() -> None:
    from peloton_export.sinkkit import RedactingFilter, install_redaction

    protect("added-before-the-handler")
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_redaction()
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    finally:
        root.removeHandler(handler)


# -- the old module name ------------------------------------------------------------------------


def test_uploads_is_a_deprecated_alias_of_sinkkit() -> None:
    import peloton_export.uploads as old
    from peloton_export import sinkkit

    for name in old.__all__:
        with pytest.warns(DeprecationWarning, match=f"uploads.{name} is deprecated"):
            assert getattr(old, name) is getattr(sinkkit, name)
    with pytest.raises(AttributeError):
        old.nothing_here  # noqa: B018


def test_sinkkit_all_is_explicit_and_importable() -> None:
    from peloton_export import sinkkit

    assert sorted(sinkkit.__all__) == sorted(set(sinkkit.__all__))
    for name in sinkkit.__all__:
        assert getattr(sinkkit, name) is not None


def test_the_peloton_client_and_the_sinks_share_one_retry_after_parser() -> None:
    from peloton_export.net import retry
    from peloton_export.sinkkit import parse_retry_after
    from peloton_export.source.client import http

    assert http.parse_retry_after is parse_retry_after is retry.parse_retry_after
    assert http.RateLimiter is retry.RateLimiter
