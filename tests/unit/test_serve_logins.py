"""The Logins page of ``peloton-export serve`` in process (the real ASGI app, no socket):
the ``register_logins`` hook through the plugin host, a broken plugin reported by name,
secrets stored and never echoed (page, log), the CSRF token, the OAuth ``state`` (made
here, used once, checked before the plugin's callback), read-only mode."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from peloton_export.config import load_config
from peloton_export.hookspecs import hookimpl
from peloton_export.net.tokens import TokenStore
from peloton_export.paths import ProfileDirs, config_dir
from peloton_export.plugins import create_host
from peloton_export.profiles import Profile
from peloton_export.specs import LoginAnswer, LoginField, LoginRequest, LoginSpec
from peloton_export.store.ledger import close_all
from peloton_export.web.app import ServeSettings, create_app
from peloton_export.web.auth import hash_password

from .test_serve_parts import Browser, call

TYPED_SECRET = "typed-key-0123456789-never-shown"


class KeyPlugin:
    """A sink plugin with an API-key form and an OAuth login, recording what it was given."""

    def __init__(self) -> None:
        self.seen: list[LoginRequest] = []

    @staticmethod
    def store() -> TokenStore:
        return TokenStore(config_dir() / "keyplug.json")

    def state(self, request: LoginRequest) -> str:
        saved = self.store().load()
        return f"key saved for {request.profile}" if saved else "no key"

    def submit(self, request: LoginRequest) -> LoginAnswer:
        self.seen.append(request)
        key = request.fields.get("api_key", "")
        if key == "bad":
            return LoginAnswer(message="the service refused that key", ok=False)
        self.store().save({"api_key": key})
        return LoginAnswer(message="the key is saved")

    def start(self, request: LoginRequest) -> LoginAnswer:
        self.seen.append(request)
        return LoginAnswer(
            message="on to the service", redirect=f"https://auth.example.test/authorize?state={request.state}"
        )

    def callback(self, request: LoginRequest) -> LoginAnswer:
        self.seen.append(request)
        self.store().save({"code": request.fields.get("code", "")})
        return LoginAnswer(message="logged in with the code")

    @hookimpl
    def register_logins(self) -> Iterator[LoginSpec]:
        yield LoginSpec(
            name="keyplug",
            title="Key Service",
            state=self.state,
            fields=(LoginField(name="api_key", label="API key", kind="secret"),),
            submit=self.submit,
            start=self.start,
            callback=self.callback,
        )


class BrokenRegistration:
    @hookimpl
    def register_logins(self) -> Iterator[LoginSpec]:
        raise RuntimeError("cannot even start")


class BrokenStep:
    """Its state line raises; its submit raises with the typed secret in the message."""

    @hookimpl
    def register_logins(self) -> Iterator[LoginSpec]:
        def state(request: LoginRequest) -> str:
            raise KeyError("state exploded")

        def submit(request: LoginRequest) -> LoginAnswer:
            raise ValueError(f"bad key {request.fields.get('api_key')}")

        yield LoginSpec(
            name="shaky",
            title="Shaky Service",
            state=state,
            fields=(LoginField(name="api_key", label="Key", kind="secret"),),
            submit=submit,
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    ini = tmp_path / "peloton.ini"
    ini.write_text(f"[peloton-export]\nkeyring = false\noutput_dir = {tmp_path / 'out'}\n")
    config = load_config(ini, environ={})
    dirs = ProfileDirs(
        "default", tmp_path / "data", tmp_path / "archive", tmp_path / "state", tmp_path / "config"
    )
    plugin = KeyPlugin()
    host = create_host(
        entry_points=False,
        extra={"keyplug": plugin, "brokenreg": BrokenRegistration(), "shaky": BrokenStep()},
        warn=lambda line: logging.getLogger("peloton_export.test").warning(line),
    )
    yield {"profile": Profile("default", config, dirs), "host": host, "plugin": plugin, "tmp": tmp_path}
    close_all()


def _app(site: dict[str, Any], **settings: Any) -> Any:
    return create_app([site["profile"]], site["host"], ServeSettings(**settings))


def test_the_page_shows_each_login_and_names_the_broken_plugins(site: dict[str, Any]) -> None:
    page = call(_app(site), "GET", "/p/default/logins")
    assert page.status == 200, page.text[:500]
    text = page.text
    assert "none saved: log in on the Logins page" in text  # Peloton's state
    assert "Key Service" in text and "no key" in text
    assert "plugin &#39;brokenreg&#39; could not offer its login (RuntimeError: cannot even start)" in text
    assert "plugin &#39;shaky&#39; failed in its login state" in text  # the page goes on
    assert (
        'action="/p/default/logins/keyplug/submit"' in text
        and 'action="/p/default/logins/keyplug/start"' in text
    )
    assert 'type="password" name="api_key"' in text


def test_the_dashboard_shows_each_sink_login_state(site: dict[str, Any]) -> None:
    browser = Browser(_app(site))
    assert "Key Service login</dt><dd>no key" in browser.get("/p/default").text
    browser.post("/p/default/logins/keyplug/submit", {"api_key": TYPED_SECRET})
    page = browser.get("/p/default").text
    assert "Key Service login</dt><dd>key saved for default" in page and TYPED_SECRET not in page
    assert "plugin &#39;brokenreg&#39; could not offer its login" in page  # named, the page goes on


def test_an_entered_key_is_stored_never_shown_nor_logged(
    site: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser(_app(site))
    answer = browser.post("/p/default/logins/keyplug/submit", {"api_key": TYPED_SECRET})
    assert answer.status == 200 and "the key is saved" in answer.text
    assert TYPED_SECRET not in answer.text
    assert "key saved for default" in answer.text  # the state line read the store again
    stored = site["tmp"] / "config" / "keyplug.json"
    assert TYPED_SECRET in stored.read_text() and stored.stat().st_mode & 0o077 == 0
    assert site["plugin"].seen[-1].profile == "default"
    refused = browser.post("/p/default/logins/keyplug/submit", {"api_key": "bad"})
    assert refused.status == 400 and "the service refused that key" in refused.text
    crashed = browser.post("/p/default/logins/shaky/submit", {"api_key": TYPED_SECRET})
    assert crashed.status == 400 and "plugin &#39;shaky&#39; failed in its login submit" in crashed.text
    assert TYPED_SECRET not in crashed.text
    assert "shaky" in caplog.text and TYPED_SECRET not in caplog.text  # type only, never the text


def test_login_posts_need_the_csrf_token_and_the_same_origin(site: dict[str, Any]) -> None:
    app = _app(site)
    plain = call(app, "POST", "/p/default/logins/keyplug/submit", form={"api_key": TYPED_SECRET})
    assert plain.status == 403 and "CSRF" in plain.text
    browser = Browser(app)
    foreign = browser.post(
        "/p/default/logins/keyplug/submit",
        {"api_key": TYPED_SECRET},
        headers={"origin": "http://evil.example.test"},
    )
    assert foreign.status == 403
    assert not (site["tmp"] / "config" / "keyplug.json").exists()
    for target in (
        "/p/default/logins/../../etc/submit",
        "/p/default/logins/keyplug/steal",
        "/p/nobody/logins",
    ):
        assert browser.get(target).status == 404 or browser.post(target).status in (404, 405)


def test_oauth_state_is_made_here_used_once_and_checked_first(site: dict[str, Any]) -> None:
    browser = Browser(_app(site, password_hash=hash_password("household password 1")))
    app = browser.app
    browser.jar["pe_session"] = app.state.sessions.new()
    onward = browser.post("/p/default/logins/keyplug/start")
    assert onward.status == 200, onward.text[:300]
    found = re.search(r'href="https://auth\.example\.test/authorize\?state=([A-Za-z0-9_-]+)"', onward.text)
    assert found and 'http-equiv="refresh"' in onward.text
    state = found.group(1)
    started = site["plugin"].seen[-1]
    assert started.redirect_uri == "http://127.0.0.1:8740/keyplug/callback" and started.state == state
    # the redirect back carries no session cookie (SameSite=Strict), and needs none
    forged = call(app, "GET", "/keyplug/callback?code=stolen&state=made-up-state-value")
    assert forged.status == 400 and "does not belong to a login started on this server" in forged.text
    wrong_sink = call(app, "GET", f"/shaky/callback?code=c0de&state={state}")
    assert wrong_sink.status == 400  # the state was for keyplug, and is now spent
    onward = browser.post("/p/default/logins/keyplug/start")
    state = re.search(r"state=([A-Za-z0-9_-]+)\"", onward.text).group(1)  # type: ignore[union-attr]
    done = call(app, "GET", f"/keyplug/callback?code=the-code-123&state={state}&extra=ignored")
    assert done.status == 200 and "logged in with the code" in done.text
    assert "the-code-123" not in done.text
    assert dict(site["plugin"].seen[-1].fields) == {"code": "the-code-123", "state": state}
    again = call(app, "GET", f"/keyplug/callback?code=the-code-123&state={state}")
    assert again.status == 400  # used once
    assert call(app, "GET", "/p/default/logins").status == 303  # the page itself needs the login


def test_read_only_serves_no_login(site: dict[str, Any]) -> None:
    app = _app(site, read_only=True)
    assert call(app, "GET", "/p/default/logins").status == 403
    browser = Browser(app)
    assert browser.post("/p/default/logins/keyplug/submit", {"api_key": "x" * 20}).status == 403
    assert 'href="/p/default/logins"' not in call(app, "GET", "/p/default").text


def test_the_host_wrapper_never_raises(site: dict[str, Any]) -> None:
    host = site["host"]
    assert set(host.logins()) == {"keyplug", "shaky"}
    assert host.owner("login", "keyplug") == "keyplug"
    assert not host.login_step("nothing", "state", LoginRequest(profile="default")).ok
    assert not host.login_step("shaky", "logout", LoginRequest(profile="default")).ok
    answer = host.login_step("shaky", "state", LoginRequest(profile="default"))
    assert not answer.ok and answer.message == "plugin 'shaky' failed in its login state"
