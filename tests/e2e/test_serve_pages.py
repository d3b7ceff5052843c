"""The Logins, Settings and Logs pages of ``peloton-export serve`` as a person uses them:
the real command (a uvicorn subprocess on loopback) with the Strava and intervals.icu
plugins, the fake Peloton, the fake Strava and the fake intervals.icu, driven in Debian's
Chromium through Playwright. Screenshots go to ``$PELOTON_EXPORT_ARTIFACTS/serve/``.

In the browser: a Peloton password login, a Strava OAuth round trip (the fake's authorize
page sends the browser back to ``/strava/callback``), an intervals.icu key refused then
saved, a setting with a bad value shown beside its field, a good one saved and used by
sync now, the Logs page with the run's lines. Over HTTP, the attacks on these pages: a
rebinding ``Host``, path traversal in every parameter, a form without its CSRF token,
a second sync now while one runs. No typed secret reaches a page or the server's output.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peloton_export.testing import FakePeloton
from peloton_export.testing.synth import synth_workouts

pytest.importorskip("starlette")
strava_fake = pytest.importorskip("peloton_export_strava.fake")
intervals_fake = pytest.importorskip("peloton_export_intervals.fake")
from .test_serve import ARGS, CHROMIUM, Server, _page  # noqa: E402

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.integration

ANNA = ("anna@example.com", "anna's typed password 9", "c" * 32)
WRONG_KEY = "wrong-icu-key-000000"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("PELOTON_EXPORT_ARTIFACTS")
    folder = Path(root) / "serve" if root else tmp_path_factory.mktemp("serve-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("serve-pages")
    peloton = FakePeloton(
        lambda: synth_workouts(2, seed=41, duration_s=300),
        count=2,
        username=ANNA[0],
        password=ANNA[1],
        user_id=ANNA[2],
    ).start()
    strava = strava_fake.FakeStrava()
    strava.polls_before_ready = 0
    strava.start()
    icu = intervals_fake.FakeIntervals()
    icu.start()
    config = tmp / "peloton.ini"
    config.write_text(
        f"""# the household's config (this comment stays)
[peloton-export]
keyring = false
max_rate = 0
max_attempts = 1
formats = json
output_dir = {tmp / "out"}

[plugin:strava]
base_url = {strava.url}
client_id = {strava_fake.CLIENT_ID}
client_secret = {strava_fake.CLIENT_SECRET}

[plugin:intervals]
base_url = {icu.url}

[profile:anna]
username = {ANNA[0]}
api_url = {peloton.api_url}
auth_url = {peloton.auth_url}
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "STRAVA_", "INTERVALS_"))}
    env.update(
        {
            "PELOTON_CONFIG": str(config),
            "PELOTON_EXPORT_CONFIG_DIR": str(tmp / "config"),
            "PELOTON_EXPORT_STATE_DIR": str(tmp / "state"),
            "PELOTON_EXPORT_DATA_DIR": str(tmp / "data"),
            "PELOTON_EXPORT_LOAD_PLUGINS": "strava,intervals",
            "HOME": str(tmp / "home"),
        }
    )
    server = Server(env)
    yield {"url": server.url, "tmp": tmp, "peloton": peloton, "strava": strava, "icu": icu, "config": config}
    err = server.stop()
    assert "Traceback" not in err, err
    for secret in (ANNA[1], intervals_fake.API_KEY, WRONG_KEY, strava.access_token, strava_fake.GOOD_CODE):
        assert secret not in err
    peloton.stop()
    strava.stop()
    icu.stop()


def _visible_secrets(page: Any) -> list[str]:
    html = page.content()
    return [s for s in (ANNA[1], intervals_fake.API_KEY, WRONG_KEY, "access-token-gen") if s in html]


def test_logins_in_the_browser(site: dict[str, Any], browser: Any, shots: Path) -> None:
    context, page, problems = _page(browser)
    page.goto(f"{site['url']}/p/anna/logins")
    assert "none saved" in page.inner_text("#login-peloton .state")
    assert page.inner_text("#login-strava .state") == "not logged in"
    assert page.inner_text("#login-intervals .state").startswith("no API key")
    page.screenshot(path=str(shots / "logins.png"), full_page=True)
    # Peloton: the password typed into the form
    page.fill("#login-peloton input[name=password]", ANNA[1])
    page.click("button:has-text('Log in to Peloton')")
    assert "Logged in to Peloton" in page.inner_text("#message")
    assert page.inner_text("#login-peloton .state").startswith("saved (")
    assert page.input_value("#login-peloton input[name=password]") == ""
    # Strava: out to the fake's authorize page and back to /strava/callback
    page.click("button:has-text('Log in with Strava')")
    page.wait_for_url(re.compile(r"/strava/callback\?"))
    assert "logged in to Strava as athlete 777" in page.inner_text("#message")
    page.screenshot(path=str(shots / "strava-callback.png"), full_page=True)
    page.click("text=Back to the logins")
    assert page.inner_text("#login-strava .state").startswith("logged in as athlete 777")
    assert [p.parent.name for p in (site["tmp"] / "config").rglob("strava-token.json")] == ["anna"]
    # intervals.icu: a wrong key is refused and nothing kept, the right one saved
    page.fill("#login-intervals input[name=api_key]", WRONG_KEY)
    page.click("button:has-text('Check and save the key')")
    assert "refused this API key" in page.inner_text("#message")
    assert not list((site["tmp"] / "config").rglob("intervals-key.json"))
    page.fill("#login-intervals input[name=api_key]", intervals_fake.API_KEY)
    page.click("button:has-text('Check and save the key')")
    assert "accepted the API key" in page.inner_text("#message")
    assert page.inner_text("#login-intervals .state") == "API key saved (entered on this page)"
    assert page.input_value("#login-intervals input[name=api_key]") == ""
    page.screenshot(path=str(shots / "logins-done.png"), full_page=True)
    assert _visible_secrets(page) == []
    assert not [p for p in problems if "status of 400" not in p], problems  # the refused key: a 400 page
    context.close()


def test_settings_with_a_bad_value_then_a_good_one(site: dict[str, Any], browser: Any, shots: Path) -> None:
    context, page, problems = _page(browser)
    before = site["config"].read_bytes()
    page.goto(f"{site['url']}/p/anna/settings")
    page.fill("input[name=formats]", "json, tcxx")
    page.fill("input[name=watch_interval]", "5m")
    page.click("button:has-text('Save the settings')")
    assert "Nothing was saved" in page.inner_text("#message")
    assert "did you mean 'tcx'?" in page.inner_text("#error-formats")
    assert "at least 1h" in page.inner_text("#error-watch_interval")
    assert page.get_attribute("input[name=formats]", "aria-invalid") == "true"
    page.screenshot(path=str(shots / "settings-error.png"), full_page=True)
    problems.clear()  # the refused form is a 400 page
    assert site["config"].read_bytes() == before
    page.fill("input[name=formats]", "json, tcx")
    page.fill("input[name=watch_interval]", "12h")
    page.click("button:has-text('Save the settings')")
    assert "Saved to" in page.inner_text("#message")
    page.screenshot(path=str(shots / "settings-saved.png"), full_page=True)
    text = site["config"].read_text()
    assert text.startswith("# the household's config (this comment stays)")
    assert (
        "[profile:anna]\nusername" in text
        and "formats = json, tcx" in text
        and "watch_interval = 12h" in text
    )
    page.goto(f"{site['url']}/p/anna")
    assert "Formats: json, tcx." in page.inner_text("main")  # sync now uses the saved settings
    assert not problems, problems
    context.close()


def test_sync_now_then_the_logs_page(site: dict[str, Any], browser: Any, shots: Path) -> None:
    context, page, problems = _page(browser)
    page.goto(f"{site['url']}/p/anna")
    if "Logged in" not in page.inner_text("main") and "saved (" not in page.inner_text("main"):
        pytest.skip("the Peloton login of test_logins_in_the_browser is needed")
    page.click("button:has-text('Sync now')")
    page.wait_for_url(re.compile(r"/p/anna/runs/\d+$"))
    page.wait_for_selector("#run[data-done='1']", state="attached", timeout=60_000)
    assert page.inner_text("#outcome") == "ok", page.inner_text("#lines")
    out = site["tmp"] / "out" / "anna"
    assert len(list(out.glob("*.json"))) == 2 and len(list(out.glob("*.tcx"))) == 2
    page.goto(f"{site['url']}/p/anna/logs")
    runs = page.inner_text("ul.runs")
    assert "sync now" in runs and "ok" in runs and "2 workouts" in runs
    page.screenshot(path=str(shots / "logs.png"), full_page=True)
    page.select_option("select[name=level]", "WARNING")
    page.click("button:has-text('Filter')")
    assert "level=WARNING" in page.url
    assert _visible_secrets(page) == []
    assert not problems, problems
    context.close()


def _status(
    url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        exc.close()
        return exc.code, body


def test_attacks_on_the_pages(site: dict[str, Any]) -> None:
    url = site["url"]
    # DNS rebinding: a page on attacker.test resolving to 127.0.0.1 sends its own Host
    for target in ("/p/anna/logins", "/p/anna/settings", "/p/anna/logs", "/strava/callback?code=x&state=y"):
        status, body = _status(url + target, headers={"Host": "rebind.attacker.test"})
        assert status == 421 and "unknown Host" in body, target
    status, _ = _status(
        url + "/p/anna/sync", method="POST", data=b"", headers={"Host": "rebind.attacker.test:80"}
    )
    assert status == 421
    # path traversal in every parameter of these pages
    for target in (
        "/p/..%2F..%2Fetc/logins",
        "/p/anna/logins/..%2F..%2Fpasswd/submit",
        "/p/anna/workouts/..%2F..%2Fetc%2Fpasswd",
        "/p/anna/workouts/0123456789abcdef0123456789abcdef/files/..%2F..%2Fpeloton.ini",
        "/static/..%2Fapp.py",
        "/static/%2E%2E%2Fapp.py",
        "/..%2F..%2Fetc/callback",
    ):
        status, body = _status(url + target)
        assert status == 404, (target, status)
        assert "root:" not in body and "client_secret" not in body and "import" not in body
    # a form without its CSRF token (a cookie alone is not enough)
    before = site["config"].read_bytes()
    keys = sorted((site["tmp"] / "config").rglob("intervals-key.json"))
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    opener.open(url + "/p/anna/settings", timeout=20).close()
    for target, form in (("/p/anna/settings", {"formats": "gpx"}), ("/p/anna/logins/intervals/logout", {})):
        try:
            opener.open(url + target, data=urllib.parse.urlencode(form).encode(), timeout=20).close()
            raise AssertionError(f"{target} took a post without a CSRF token")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403 and "CSRF" in exc.read().decode()
            exc.close()
    assert site["config"].read_bytes() == before
    assert sorted((site["tmp"] / "config").rglob("intervals-key.json")) == keys  # the logout was refused


def test_a_second_sync_now_while_one_runs_starts_nothing(site: dict[str, Any]) -> None:
    url = site["url"]
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    with opener.open(url + "/p/anna", timeout=20) as answer:
        token = re.search(r'name="csrf" value="([^"]+)"', answer.read().decode())
    assert token
    site["peloton"].fault("latency", path=r"/api/user/.*/workouts", delay=1.5, times=1)
    form = urllib.parse.urlencode({"csrf": token.group(1)}).encode()
    started = time.monotonic()
    with opener.open(url + "/p/anna/sync", data=form, timeout=20) as first:
        assert re.search(r"/p/anna/runs/\d+$", first.url)
        run_url = first.url
    try:
        opener.open(url + "/p/anna/sync", data=form, timeout=20).close()
        raise AssertionError("a second run was started")
    except urllib.error.HTTPError as exc:
        assert exc.code == 409 and "A run is in progress" in exc.read().decode()
        exc.close()
    assert time.monotonic() - started < 1.5  # refused while the first still lists
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with opener.open(run_url, timeout=20) as page:
            if 'id="outcome">running<' not in page.read().decode():
                break
        time.sleep(0.3)
    with opener.open(url + "/p/anna/logs", timeout=20) as logs:
        text = logs.read().decode()
    assert text.count("sync now ") >= 1
    site["peloton"].faults.clear()
