"""``peloton-export serve`` in process: the pages, the guard and the actions through the real
ASGI application (called directly, no socket), the password hash, the workouts table.

The attacks here: a hostile title and instructor (HTML, script) in an archived body, a
broken body, a cross-site POST, a POST without or with a wrong CSRF token, a rebinding
``Host``, traversal in every path parameter, a ledger record pointing outside the output
folder (and through a symlink), a password brute force, ``X-Forwarded-Proto`` from an
untrusted client, secrets in the token file and the config.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")

from peloton_export.config import load_config
from peloton_export.paths import ProfileDirs
from peloton_export.plugins import create_host
from peloton_export.profiles import Profile
from peloton_export.source.client.tokens import Token, TokenStore
from peloton_export.store.archive import Archive
from peloton_export.store.ledger import LEDGER_FILE, Ledger, close_all
from peloton_export.testing.synth import synth_workouts
from peloton_export.web.app import ServeSettings, create_app
from peloton_export.web.auth import (
    MIN_PASSWORD,
    Throttle,
    check_bind,
    hash_password,
    is_loopback,
    verify_password,
)
from peloton_export.web.guard import CSP, host_allowed, host_name
from peloton_export.web.rows import Row, RowIndex, read_row, select

HOSTILE_TITLE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'
HOSTILE_INSTRUCTOR = '"><b onmouseover=alert(2)>Evil</b>'
SECRET_ACCESS = "ACCESS-SECRET-0123456789abcdef"
SECRET_REFRESH = "REFRESH-SECRET-0123456789abcdef"
CONFIG_PASSWORD = "config password never shown 42"


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")

    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k == "set-cookie"]


def call(
    app: Any,
    method: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    client: str = "127.0.0.1",
    cookies: dict[str, str] | None = None,
) -> Answer:
    """One request through the ASGI app, as uvicorn would pass it."""
    path, _, query = target.partition("?")
    given = {"host": "127.0.0.1:8740", **(headers or {})}
    if cookies:
        given["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = urllib.parse.urlencode(form).encode() if form is not None else b""
    if form is not None:
        given["content-type"] = "application/x-www-form-urlencoded"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in given.items()],
        "client": (client, 50000),
        "server": ("127.0.0.1", 8740),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], [(k.decode(), v.decode()) for k, v in start.get("headers", [])], data)


class Browser:
    """Keeps the CSRF cookie (and a session cookie) like a browser."""

    def __init__(self, app: Any, client: str = "127.0.0.1") -> None:
        self.app = app
        self.client = client
        self.jar: dict[str, str] = {}

    def _keep(self, answer: Answer) -> Answer:
        for value in answer.cookies():
            name, _, rest = value.partition("=")
            self.jar[name] = rest.split(";", 1)[0]
        return answer

    def get(self, target: str, **kw: Any) -> Answer:
        return self._keep(call(self.app, "GET", target, cookies=self.jar, client=self.client, **kw))

    def post(self, target: str, form: dict[str, str] | None = None, **kw: Any) -> Answer:
        if "pe_csrf" not in self.jar:
            self.get("/static/style.css")
        full = {"csrf": self.jar.get("pe_csrf", ""), **(form or {})}
        return self._keep(
            call(self.app, "POST", target, form=full, cookies=self.jar, client=self.client, **kw)
        )


@pytest.fixture
def household(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """One profile with 4 archived synthetic workouts, one hostile and one broken, a
    saved Peloton login holding secrets, a config holding a password, and a ledger."""
    ini = tmp_path / "peloton.ini"
    out = tmp_path / "out"
    ini.write_text(
        f"[peloton]\nusername = anna@example.com\npassword = {CONFIG_PASSWORD}\n\n"
        f"[peloton-export]\nkeyring = false\nformats = json\noutput_dir = {out}\n"
    )
    config = load_config(ini, environ={})
    dirs = ProfileDirs(
        "default", tmp_path / "data", tmp_path / "data" / "archive", tmp_path / "state", tmp_path / "config"
    )
    profile = Profile("default", config, dirs)
    archive = Archive(dirs.archive)
    ids = []
    for raw in synth_workouts(4, seed=5, duration_s=120):
        archive.put_raw(raw)
        ids.append(raw.workout_id)
    hostile = json.loads(archive.body_path(ids[0], "workout").read_text())
    hostile["ride"]["title"] = HOSTILE_TITLE
    hostile["ride"]["instructor"] = {"name": HOSTILE_INSTRUCTOR}
    hostile["ride"]["instructor_id"] = "x1"
    archive.body_path(ids[0], "workout").write_text(json.dumps(hostile))
    archive.body_path(ids[1], "workout").write_text('{"id": "' + ids[1] + '", "ride": [')  # broken
    TokenStore(dirs.config / "token.json", use_keyring=False).save(
        Token(access_token=SECRET_ACCESS, refresh_token=SECRET_REFRESH, expires_at=time.time() + 3600)
    )
    dirs.state.mkdir(parents=True)
    ledger = Ledger(dirs.state / LEDGER_FILE)
    out.mkdir()
    (out / "good.json").write_text("{}")
    ledger.record_export(ids[2], "json", out / "good.json", "sha256:0")
    (tmp_path / "secret.txt").write_text("TOP-SECRET-FILE")
    ledger.record_export(ids[3], "json", tmp_path / "secret.txt", "sha256:0")
    ledger.record_fetch_failure("f" * 32, "HTTP 500 from Peloton", now=time.time())
    host = create_host()
    yield {"profile": profile, "ids": ids, "host": host, "out": out, "tmp": tmp_path}
    close_all()


def _app(h: dict[str, Any], **settings: Any) -> Any:
    return create_app([h["profile"]], h["host"], ServeSettings(**settings))


def test_pages_answer_with_the_security_headers_and_no_secret(household: dict[str, Any]) -> None:
    app = _app(household)
    browser = Browser(app)
    ids = household["ids"]
    pages = [
        "/",
        "/p/default",
        "/p/default/workouts",
        "/p/default/workouts?q=ride&sort=output&dir=asc",
        f"/p/default/workouts/{ids[0]}",
        f"/p/default/workouts/{ids[1]}",
        f"/p/default/workouts/{ids[2]}/report",
    ]
    for page in pages:
        answer = browser.get(page)
        assert answer.status in (200, 303), (page, answer.status, answer.text[:300])
        assert answer.header("x-frame-options") == "DENY"
        assert answer.header("x-content-type-options") == "nosniff"
        assert "frame-ancestors 'none'" in answer.header("content-security-policy")
        for secret in (SECRET_ACCESS, SECRET_REFRESH, CONFIG_PASSWORD):
            assert secret not in answer.text, page
    dashboard = browser.get("/p/default")
    assert dashboard.header("content-security-policy") == CSP
    assert "saved (pkce)" in dashboard.text and "renewable" in dashboard.text
    assert "4 archived workouts" in dashboard.text
    assert "HTTP 500 from Peloton" in dashboard.text  # the fetch failure, with its reason


def test_hostile_title_is_escaped_and_a_broken_workout_is_an_error_row(household: dict[str, Any]) -> None:
    app = _app(household)
    ids = household["ids"]
    table = call(app, "GET", "/p/default/workouts")
    assert table.status == 200
    assert "<script>document.title" not in table.text and "<img src=x" not in table.text
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in table.text
    assert "<b onmouseover" not in table.text and "&lt;b onmouseover=alert(2)&gt;Evil" in table.text
    assert 'class="error-row"' in table.text and ids[1] in table.text
    detail = call(app, "GET", f"/p/default/workouts/{ids[0]}")
    assert detail.status == 200 and "<script>document.title" not in detail.text
    report = call(app, "GET", f"/p/default/workouts/{ids[0]}/report")
    assert report.status == 200 and "<script>document.title" not in report.text
    assert "script-src" not in report.header("content-security-policy")  # the report page runs no script
    broken = call(app, "GET", f"/p/default/workouts/{ids[1]}/report")
    assert broken.status == 422 and ids[1] in broken.text and "Traceback" not in broken.text
    broken_detail = call(app, "GET", f"/p/default/workouts/{ids[1]}")
    assert broken_detail.status == 200 and 'class="error"' in broken_detail.text


def test_rows_read_peloton_facts_and_the_table_searches_sorts_and_pages(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    raws = list(synth_workouts(6, seed=9, duration_s=600))
    for raw in raws:
        archive.put_raw(raw)
    index = RowIndex(archive)
    rows = index.rows()
    assert len(rows) == 6
    by_id = {r.workout_id: r for r in rows}
    for raw in raws:
        row = by_id[raw.workout_id]
        ride = raw.workout["ride"]
        assert row.title == ride["title"]
        assert row.discipline == raw.workout["fitness_discipline"]
        assert row.start == raw.workout["start_time"]
        if raw.workout.get("total_work"):
            assert row.output_kj == round(raw.workout["total_work"] / 1000, 1)
    newest = select(rows, sort="date", descending=True)
    starts = [r.start for r in newest.rows]
    assert starts == sorted(starts, reverse=True)
    word = rows[0].title.split()[-1].lower()
    found = select(rows, query=word.upper())
    assert found.total == sum(1 for r in rows if word in r.search_text)
    paged = select(rows, page=2, page_size=4)
    assert (paged.page, paged.pages, len(paged.rows)) == (2, 2, 2)
    assert select(rows, sort="nonsense").sort == "date"
    # a changed entry is read again; an unchanged one comes from the cache
    first = raws[0].workout_id
    archive.put(
        first,
        {"workout": json.dumps({**raws[0].workout, "title": "x", "ride": {"title": "Renamed"}}).encode()},
        replace=True,
    )
    assert {r.workout_id: r for r in index.rows()}[first].title == "Renamed"


def test_a_row_that_cannot_be_read_names_the_workout(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    raw = next(iter(synth_workouts(1, seed=2, duration_s=60)))
    archive.put_raw(raw)
    archive.body_path(raw.workout_id, "workout").write_bytes(b"\xff\xfe not json")
    row = read_row(archive, raw.workout_id)
    assert row.error and raw.workout_id in row.error and "\n" not in row.error
    assert select([row, Row("a" * 32, start=1, title="ok")]).rows[-1] is row  # error rows last


def test_cross_site_and_tokenless_posts_are_refused(household: dict[str, Any]) -> None:
    app = _app(household)
    target = f"/p/default/workouts/{household['ids'][2]}/forget"
    no_token = call(app, "POST", target, form={})
    assert no_token.status == 403 and "CSRF" in no_token.text
    wrong = call(app, "POST", target, form={"csrf": "x" * 43}, cookies={"pe_csrf": "y" * 43})
    assert wrong.status == 403
    browser = Browser(app)
    other_site = browser.post(target, headers={"origin": "http://evil.example"})
    assert other_site.status == 403 and "cross-site" in other_site.text
    fetch_site = browser.post(target, headers={"sec-fetch-site": "cross-site"})
    assert fetch_site.status == 403
    ledger = Ledger(household["profile"].state_dir / LEDGER_FILE)
    assert ledger.exported(household["ids"][2], "json") is not None  # nothing was forgotten
    done = browser.post(target, headers={"origin": "http://127.0.0.1:8740"})
    assert done.status == 200 and "Forgot workout" in done.text
    assert ledger.exported(household["ids"][2], "json") is None


def test_rebinding_host_and_traversal_are_refused(household: dict[str, Any]) -> None:
    app = _app(household)
    assert call(app, "GET", "/p/default", headers={"host": "attacker.example:8740"}).status == 421
    assert call(app, "GET", "/p/default", headers={"host": ""}).status == 421
    assert call(app, "GET", "/p/default", headers={"host": "localhost:8740"}).status == 200
    for target in (
        "/p/..%2F..%2Fetc/workouts",
        "/p/default/workouts/..%2F..%2Fetc%2Fpasswd",
        "/p/default/workouts/%2e%2e/report",
        f"/p/default/workouts/{household['ids'][2]}/files/..%2F..%2Fsecret",
        "/static/..%2Fapp.py",
        "/p/nobody",
    ):
        answer = call(app, "GET", target)
        assert answer.status == 404, (target, answer.status)
    # a ledger record pointing outside the output folder, directly or by a symlink
    outside = call(app, "GET", f"/p/default/workouts/{household['ids'][3]}/files/json")
    assert outside.status == 404 and b"TOP-SECRET-FILE" not in outside.body
    link = household["out"] / "link.json"
    link.symlink_to(household["tmp"] / "secret.txt")
    Ledger(household["profile"].state_dir / LEDGER_FILE).record_export(household["ids"][3], "json", link, "x")
    assert call(app, "GET", f"/p/default/workouts/{household['ids'][3]}/files/json").status == 404
    inside = call(app, "GET", f"/p/default/workouts/{household['ids'][2]}/files/json")
    assert inside.status == 200 and inside.body == b"{}"
    assert "attachment" in inside.header("content-disposition")


def test_read_only_serves_pages_and_refuses_actions(household: dict[str, Any]) -> None:
    app = _app(household, read_only=True)
    browser = Browser(app)
    assert browser.get("/p/default").status == 200
    assert "Sync now</button>" not in browser.get("/p/default").text
    assert browser.post("/p/default/sync").status == 403
    assert browser.post(f"/p/default/workouts/{household['ids'][2]}/forget").status == 403


def test_password_login_sessions_rate_limit_and_secure_cookie(household: dict[str, Any]) -> None:
    stored = hash_password("correct horse battery")
    app = _app(household, password_hash=stored, trusted_proxies=frozenset({"10.0.0.2"}))
    browser = Browser(app, client="192.0.2.7")
    first = browser.get("/p/default")
    assert first.status == 303 and first.header("location") == "/login"
    assert browser.post("/p/default/sync").status == 403
    for _ in range(5):
        assert browser.post("/login", {"password": "guess"}).status == 403
    blocked = browser.post("/login", {"password": "correct horse battery"})
    assert blocked.status == 429  # even the right password waits out the window
    other = Browser(app, client="192.0.2.8")
    ok = other.post("/login", {"password": "correct horse battery"})
    assert ok.status == 303
    session = next(c for c in ok.cookies() if c.startswith("pe_session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Secure" not in session
    assert other.get("/p/default").status == 200
    assert other.post("/logout").status == 303
    assert other.get("/p/default").status == 303
    # X-Forwarded-Proto is believed from the trusted proxy only
    proxied = Browser(app, client="10.0.0.2")
    answer = proxied.post(
        "/login", {"password": "correct horse battery"}, headers={"x-forwarded-proto": "https"}
    )
    assert any(c.startswith("pe_session=") and c.endswith("Secure") for c in answer.cookies())
    spoofed = Browser(app, client="192.0.2.9")
    answer = spoofed.post(
        "/login", {"password": "correct horse battery"}, headers={"x-forwarded-proto": "https"}
    )
    assert not any("Secure" in c for c in answer.cookies())


def test_the_password_hash_and_the_bind_rule() -> None:
    stored = hash_password("a long password")
    assert stored.startswith("scrypt$") and "a long password" not in stored
    assert verify_password("a long password", stored)
    assert not verify_password("a long passwore", stored)
    assert not verify_password("x", "scrypt$bad")
    assert not verify_password("x", "md5$1$2$3$00$00")
    assert MIN_PASSWORD >= 10
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"):
        assert is_loopback(host)
        check_bind(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::", "nas.local"):
        assert not is_loopback(host)
        with pytest.raises(Exception, match="set a password first") as caught:
            check_bind(host, None)
        assert "\n" not in str(caught.value)
        check_bind(host, stored)


def test_host_header_rules() -> None:
    assert host_name("[::1]:8740") == "::1" and host_name("Example.COM:80") == "example.com"
    assert host_allowed("127.0.0.1:8740", frozenset())
    assert host_allowed("192.168.1.5", frozenset())
    assert host_allowed("[::1]:8740", frozenset())
    assert not host_allowed("rebind.attacker.example", frozenset())
    assert host_allowed("nas.home.arpa:8740", frozenset({"nas.home.arpa"}))
    assert not host_allowed("bad host", frozenset({"bad host"}))


def test_throttle_window() -> None:
    throttle = Throttle(limit=2, window=10)
    throttle.failed("a", now=0)
    throttle.failed("a", now=1)
    assert throttle.blocked("a", now=2) and not throttle.blocked("b", now=2)
    assert not throttle.blocked("a", now=12)


def test_pages_open_a_current_ledger_without_a_write_lock(tmp_path: Path) -> None:
    """A page opening the ledger while a run holds the write lock does not wait (the
    ledger's migrate returns early when the schema is current)."""
    path = tmp_path / LEDGER_FILE
    Ledger(path).set_meta("k", "v")
    close_all()
    writer = sqlite3.connect(path, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        ledger = Ledger(path)
        assert ledger.get_meta("k") == "v"
        assert time.monotonic() - started < 5
    finally:
        writer.rollback()
        writer.close()
        close_all()
