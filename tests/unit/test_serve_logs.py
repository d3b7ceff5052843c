"""The Logs page of ``peloton-export serve`` in process: the watcher's kept JSON log
(``watch-log.jsonl``, rotated), this server's own events, the profile's lines only, the
level and text filters, and every secret masked (known ones and credential-shaped text);
``setup_logging(keep=...)`` writing the kept log, redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from peloton_export.config import load_config
from peloton_export.net.redaction import protect
from peloton_export.plugins import create_host
from peloton_export.profiles import load_profiles
from peloton_export.store.ledger import close_all
from peloton_export.unattended.logformat import KEPT_LOG, setup_logging
from peloton_export.web.app import ServeSettings, create_app
from peloton_export.web.logs import mask

from .test_serve_parts import call

CONFIG_PASSWORD = "anna-config-password-77"


def _line(
    message: str, level: str = "INFO", profile: str | None = None, when: str = "2026-12-06T07:00:00Z"
) -> str:
    event = {"time": when, "level": level, "logger": "peloton_export.watch", "message": message}
    if profile:
        event["profile"] = profile
    return json.dumps(event)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    state = tmp_path / "state"
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(state))
    ini = tmp_path / "peloton.ini"
    ini.write_text(
        "[peloton-export]\nkeyring = false\n\n"
        f"[profile:anna]\nusername = anna@example.com\npassword = {CONFIG_PASSWORD}\n\n"
        "[profile:ben]\nusername = ben@example.com\n"
    )
    state.mkdir(parents=True)
    (state / (KEPT_LOG + ".1")).write_text(
        _line("an older cycle started", when="2026-12-05T07:00:00Z") + "\n"
    )
    (state / KEPT_LOG).write_text(
        "\n".join(
            [
                _line("household cycle 3 started"),
                _line("anna: 2 exported", profile="anna", when="2026-12-06T07:00:05Z"),
                _line("ben: 1 exported", profile="ben"),
                _line(
                    f"anna login sent password={CONFIG_PASSWORD}", "WARNING", "anna", "2026-12-06T07:00:06Z"
                ),
                _line('refresh answered {"access_token": "eyJhbGciOi.secret.part"}', "ERROR", "anna"),
                _line("Authorization: Bearer abcdefabcdef0123", "ERROR", "anna"),
                "not json at all",
                json.dumps(["a", "list"]),
            ]
        )
        + "\n"
    )
    app = create_app(load_profiles(load_config(ini)), create_host(entry_points=False), ServeSettings())
    yield {"app": app, "state": state}
    close_all()


def test_the_profile_lines_newest_first_every_secret_masked(site: dict[str, Any]) -> None:
    logging.getLogger("peloton_export.serve").warning("a server event for everyone")
    page = call(site["app"], "GET", "/p/anna/logs")
    assert page.status == 200, page.text[:500]
    text = page.text
    assert (
        "anna: 2 exported" in text
        and "household cycle 3 started" in text
        and "an older cycle started" in text
    )
    assert "ben: 1 exported" not in text  # another member's line
    assert "a server event for everyone" in text  # this server's own
    assert CONFIG_PASSWORD not in text and "eyJhbGciOi" not in text and "abcdefabcdef0123" not in text
    assert "password=***" in text and "Bearer ***" in text
    assert text.index("anna login sent") < text.index("anna: 2 exported") < text.index("an older cycle")
    assert "not json at all" not in text


def test_level_and_text_filters(site: dict[str, Any]) -> None:
    errors = call(site["app"], "GET", "/p/anna/logs?level=ERROR").text
    assert "Bearer ***" in errors and "anna: 2 exported" not in errors and "anna login sent" not in errors
    found = call(site["app"], "GET", "/p/anna/logs?q=EXPORTED").text
    assert "anna: 2 exported" in found and "household cycle" not in found
    hostile = call(site["app"], "GET", "/p/anna/logs?q=%3Cscript%3Ealert(1)%3C/script%3E&level=%22%3E").text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;alert(1)" in hostile


def test_mask_hides_credential_shaped_text() -> None:
    protect("known-secret-value-9")
    assert mask("key known-secret-value-9 and api_key: 'abc123def' and token=xyz789&x=1") == (
        "key *** and api_key: '***' and token=***&x=1"
    )


def test_watch_keeps_its_lines_redacted(tmp_path: Path) -> None:
    import io

    kept = tmp_path / "state" / KEPT_LOG
    protect("watch-secret-42424242")
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        setup_logging("text", 0, io.StringIO(), keep=kept)
        logging.getLogger("peloton_export.watch").info("cycle with watch-secret-42424242 done")
        for handler in root.handlers:
            handler.flush()
        event = json.loads(kept.read_text().splitlines()[-1])
        assert event["message"] == "cycle with *** done" and event["level"] == "INFO"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])


def test_a_kept_log_is_read_again_when_it_grows(site: dict[str, Any]) -> None:
    assert "cycle 4 is new" not in call(site["app"], "GET", "/p/anna/logs").text
    with (site["state"] / KEPT_LOG).open("a") as kept:
        kept.write(_line("cycle 4 is new", when="2026-12-07T07:00:00Z") + "\n")
    page = call(site["app"], "GET", "/p/anna/logs").text
    assert "cycle 4 is new" in page and page.index("cycle 4 is new") < page.index("anna: 2 exported")
