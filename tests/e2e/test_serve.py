"""``peloton-export serve`` as a person uses it: a real uvicorn server on loopback (the real
command, a subprocess), Debian's Chromium through Playwright (never ``playwright install``),
two household profiles, each with its own fake Peloton account.

Every page is opened in the browser and screenshot to ``$PELOTON_EXPORT_ARTIFACTS/serve/``
(``.ci/run`` sets it; else the test's tmp folder). Sync now is pressed and its live
progress watched to the end; a second press while it runs is told a run is in progress.
The attacks: a hostile class title and instructor (HTML and script) synced from Peloton,
a form on another origin posting to the server (CSRF), a password brute force, a
``--host 0.0.0.0`` without a password.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peloton_export.testing import FakePeloton
from peloton_export.testing.synth import synth_workouts

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is absent (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.integration

HOSTILE_TITLE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
HOSTILE_INSTRUCTOR = "<b id=evil onmouseover=alert(1)>Mallory</b>"
ANNA = ("anna@example.com", "anna's long password", "a" * 32)
BEN = ("ben@example.com", "ben's long password", "b" * 32)
SERVE_PASSWORD = "household serve password"


def _anna_workouts() -> Iterator[Any]:
    raws = list(synth_workouts(3, seed=31, duration_s=300))
    raws[0].workout["ride"]["title"] = HOSTILE_TITLE
    raws[0].workout["ride"]["instructor"] = {"name": HOSTILE_INSTRUCTOR}
    raws[0].workout["ride"]["instructor_id"] = "i1"
    return iter(raws)


def _environment(tmp: Path, anna: FakePeloton, ben: FakePeloton) -> dict[str, str]:
    config = tmp / "peloton.ini"
    config.write_text(
        f"""[peloton-export]
keyring = false
max_rate = 0
max_attempts = 1
formats = json, tcx
output_dir = {tmp / "out"}

[profile:anna]
username = {ANNA[0]}
password = {ANNA[1]}
api_url = {anna.api_url}
auth_url = {anna.auth_url}

[profile:ben]
username = {BEN[0]}
password = {BEN[1]}
api_url = {ben.api_url}
auth_url = {ben.auth_url}
formats = json
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
            "PELOTON_EXPORT_LOAD_PLUGINS": "",
            "HOME": str(tmp / "home"),
        }
    )
    return env


class Server:
    """``python -m peloton_export serve`` on a free loopback port."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "peloton_export", "serve", "--port", "0", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.process.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.process.stderr.read()!r}")  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{found.group(1)}"
        self.banner = line

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("serve")
    anna = FakePeloton(_anna_workouts, count=3, username=ANNA[0], password=ANNA[1], user_id=ANNA[2]).start()
    ben = FakePeloton(
        lambda: synth_workouts(2, seed=32, duration_s=300),
        count=2,
        username=BEN[0],
        password=BEN[1],
        user_id=BEN[2],
    ).start()
    env = _environment(tmp, anna, ben)
    server = Server(env)
    yield {"url": server.url, "tmp": tmp, "anna": anna, "ben": ben, "env": env, "server": server}
    err = server.stop()
    assert "Traceback" not in err, err
    for secret in (ANNA[1], BEN[1]):
        assert secret not in err
    anna.stop()
    ben.stop()


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


def _page(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return context, page, problems


def _sync(page: Any, site: dict[str, Any], profile: str) -> None:
    page.goto(f"{site['url']}/p/{profile}")
    page.click("button:has-text('Sync now')")
    page.wait_for_url(re.compile(rf"/p/{profile}/runs/\d+$"))
    page.wait_for_selector("#run[data-done='1']", state="attached", timeout=60_000)  # set by the events


def test_sync_now_shows_live_progress_and_a_second_press_is_told_a_run_is_in_progress(
    site: dict[str, Any], browser: Any, shots: Path
) -> None:
    site["anna"].fault("latency", path=r"/api/workout/[0-9a-f]+$", delay=0.7, times=None)
    context, page, problems = _page(browser)
    stale_context, stale, _ = _page(browser)
    stale.goto(f"{site['url']}/p/anna")  # a second tab, its form loaded before the run
    page.goto(f"{site['url']}/p/anna")
    page.screenshot(path=str(shots / "dashboard-before-sync.png"), full_page=True)
    page.click("button:has-text('Sync now')")
    page.wait_for_url(re.compile(r"/p/anna/runs/\d+$"))
    stale.click("button:has-text('Sync now')")
    assert "A run is in progress" in stale.content()
    stale.screenshot(path=str(shots / "second-press.png"), full_page=True)
    phases: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        phases.add(page.inner_text("#phase"))
        if page.inner_text("#outcome") != "running":
            break
        page.wait_for_timeout(100)
    page.screenshot(path=str(shots / "run-finished.png"), full_page=True)
    site["anna"].faults.clear()  # the later tests' syncs run at full speed
    assert page.inner_text("#outcome") == "ok", page.inner_text("#lines")
    assert phases & {"listing", "fetching", "export"}, phases  # the events stream moved the page
    assert "3 workouts" in page.inner_text("#lines")
    out = site["tmp"] / "out" / "anna"
    assert len(list(out.glob("*.json"))) == 3 and len(list(out.glob("*.tcx"))) == 3
    assert not problems, problems
    context.close()
    stale_context.close()


def test_every_page_in_chromium_escapes_the_hostile_title(
    site: dict[str, Any], browser: Any, shots: Path
) -> None:
    context, page, problems = _page(browser)
    if not (site["tmp"] / "out" / "anna").is_dir():
        _sync(page, site, "anna")
    _sync(page, site, "ben")
    assert page.inner_text("#outcome") == "ok"
    page.goto(site["url"] + "/")
    page.screenshot(path=str(shots / "household.png"), full_page=True)
    page.goto(site["url"] + "/p/anna")
    assert "saved (" in page.inner_text("main")  # the login the sync saved; never its token
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    page.goto(site["url"] + "/p/anna/workouts")
    assert page.title() != "pwned"
    assert page.locator("img[src=x]").count() == 0 and page.locator("#evil").count() == 0
    assert "<script>" in page.inner_text("table.workouts")  # shown as text
    assert page.locator("table.workouts tbody tr").count() == 3
    page.screenshot(path=str(shots / "workouts.png"), full_page=True)
    page.fill("input[name=q]", "mallory")
    page.click("button:has-text('Search')")
    assert page.locator("table.workouts tbody tr").count() == 1
    page.screenshot(path=str(shots / "workouts-search.png"), full_page=True)
    page.click("table.workouts tbody tr a")
    assert page.title() != "pwned" and page.locator("img[src=x]").count() == 0
    assert "written" in page.inner_text("main")
    page.screenshot(path=str(shots / "workout.png"), full_page=True)
    page.click("text=Report page")
    assert page.title() != "pwned" and page.locator("svg").count() >= 1
    page.screenshot(path=str(shots / "report.png"), full_page=True)
    page.goto(site["url"] + "/p/ben/workouts")
    assert page.locator("table.workouts tbody tr").count() == 2
    page.goto(site["url"] + "/p/ben/workouts/..%2F..%2Fetc%2Fpasswd")
    assert "root:" not in page.content()
    page.screenshot(path=str(shots / "not-found.png"), full_page=True)
    assert not [p for p in problems if "404" not in p], problems
    context.close()


def test_a_form_on_another_origin_cannot_act(site: dict[str, Any], browser: Any, shots: Path) -> None:
    """A page on another loopback origin posts (by script) to the server's forget action."""
    context, page, _ = _page(browser)
    if not (site["tmp"] / "out" / "anna").is_dir():
        _sync(page, site, "anna")
    page.goto(site["url"] + "/p/anna/workouts")
    target = page.locator("table.workouts tbody tr a").first.get_attribute("href")
    assert target
    evil = (
        "<!DOCTYPE html><html><body><form id=f method=post action='"
        + site["url"]
        + target
        + "/forget'><input name=csrf value=guess></form>"
        "<script>document.getElementById('f').submit()</script></body></html>"
    ).encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(evil)))
            self.end_headers()
            self.wfile.write(evil)

        def log_message(self, *args: Any) -> None:
            pass

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(f"http://localhost:{attacker.server_address[1]}/")
        page.wait_for_url(re.compile(re.escape(target) + "/forget$"))
        body = page.inner_text("body")
        assert "refused" in body or "CSRF" in body, body
        page.screenshot(path=str(shots / "csrf-refused.png"), full_page=True)
    finally:
        attacker.shutdown()
        attacker.server_close()
    page.goto(site["url"] + target)
    assert "written" in page.inner_text("main")  # nothing was forgotten
    context.close()


def test_password_login_in_the_browser_and_brute_force_is_slowed(
    site: dict[str, Any], browser: Any, shots: Path
) -> None:
    env = dict(site["env"])
    setting = subprocess.run(
        [sys.executable, "-m", "peloton_export", "serve", "--set-password"],
        input=SERVE_PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert setting.returncode == 0, setting.stderr
    assert SERVE_PASSWORD not in setting.stdout + setting.stderr
    stored = (site["tmp"] / "config" / "serve-password").read_text()
    assert stored.startswith("scrypt$") and SERVE_PASSWORD not in stored
    server = Server(env)
    try:
        context, page, _ = _page(browser)
        page.goto(server.url + "/p/anna")
        assert page.url.endswith("/login")
        page.screenshot(path=str(shots / "login.png"), full_page=True)
        for _ in range(5):
            page.fill("input[name=password]", "wrong guess")
            page.click("button:has-text('Log in')")
            assert "Wrong password" in page.inner_text("main")
        page.fill("input[name=password]", SERVE_PASSWORD)
        page.click("button:has-text('Log in')")
        assert "Too many failed logins" in page.inner_text("main")
        context.close()
        context, page, _ = _page(browser)  # the limit is per address: all of these are 127.0.0.1
        page.goto(server.url + "/login")
        assert "Log in" in page.inner_text("main")
        context.close()
    finally:
        err = server.stop()
        (site["tmp"] / "config" / "serve-password").unlink()
    assert SERVE_PASSWORD not in err and "Traceback" not in err


def test_beyond_loopback_without_a_password_it_refuses_in_one_line(site: dict[str, Any]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "serve", "--host", "0.0.0.0", "--port", "0"],
        env=site["env"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "set a password first" in lines[0], done.stderr
    assert done.stdout == ""


def test_the_events_stream_and_the_security_headers_over_http(site: dict[str, Any]) -> None:
    import urllib.request

    with urllib.request.urlopen(site["url"] + "/p/ben", timeout=10) as answer:
        headers = answer.headers
        body = answer.read().decode()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    assert "Secure" not in headers["set-cookie"]  # plain HTTP on loopback
    assert BEN[1] not in body and ANNA[1] not in body
    request = urllib.request.Request(site["url"] + "/p/ben", headers={"Host": "rebind.attacker.test"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 421
