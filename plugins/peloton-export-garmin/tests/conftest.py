"""Fakes for the garmin plugin.

* :class:`FakeConnectApi`: a loopback fake of ``connectapi.garmin.com`` serving what the
  real ``garminconnect.Garmin`` asks for after a token sign-in (``socialProfile``,
  ``user-settings``) and ``POST /upload-service/upload`` (201 with
  ``detailedImportResult.successes[].internalId``; 409 with ``failures[].messages`` code 202
  "Duplicate Activity." for a file it has; 401 without the bearer token), the gear calls
  of ``Garmin.get_gear`` (``GET /gear-service/gear/filterGear?userProfilePk=``) and
  ``Garmin.add_gear_to_activity`` (``PUT /gear-service/gear/link/{uuid}/activity/{id}``),
  with queued faults. Garmin's 2026 blocks on request: ``sso_blocked`` makes the SSO's
  login endpoints (``/mobile/sso/en/sign-in``, ``POST /mobile/api/login``) answer what
  Cloudflare answers a blocked client (429, ``Server: cloudflare``, ``CF-RAY``, an HTML
  "error code: 1015" page) while token sign-ins and uploads keep working;
  ``refuse_refresh`` makes the DI token refresh answer 400 ``invalid_grant`` (an expired
  or revoked session).
* :class:`StubGarmin`: a stand-in for ``garminconnect.Garmin``'s sign-in (password, MFA
  prompt, token dump), since Garmin's SSO cannot be reached offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import peloton_export_garmin
import pytest

from peloton_export import ExportContext, Workout
from peloton_export.testing import (
    FakeClock,
    FakeService,
    RecordedRequest,
    Response,
    ServiceFault,
)


def jwt(exp: int) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'none'})}.{b64({'exp': exp, 'sub': 'di-user'})}.c2lnbmF0dXJlLXNlY3JldA"


DI_TOKEN = jwt(4_102_444_800)  # 2100-01-01
DI_REFRESH = "di-refresh-token-0123456789abcdef"


SSO_PATHS = frozenset({"/mobile/sso/en/sign-in", "/mobile/api/login"})
CLOUDFLARE_HEADERS = {
    "Server": "cloudflare",
    "CF-RAY": "9a1b2c3d4e5f6a7b-FRA",
    "Content-Type": "text/html; charset=UTF-8",
    "Retry-After": "3600",
}
CLOUDFLARE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Access denied | sso.garmin.com used Cloudflare to "
    b"restrict access</title></head><body><h1>Error 1015</h1><p>You are being rate limited"
    b"</p><p>error code: 1015</p></body></html>"
)


class FakeConnectApi(FakeService):
    content_type = "application/json;charset=UTF-8"

    def __init__(self) -> None:
        super().__init__()
        self.by_content: dict[str, int] = {}
        self.next_id = 21_000_000_001
        self.token = DI_TOKEN
        self.refresh = DI_REFRESH
        self.refreshes = 0
        self.issued = {DI_TOKEN, DI_REFRESH}  # every secret the fake ever handed out
        self.files: dict[int, bytes] = {}  # activity id -> the file uploaded
        self.gear = {
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0": {"displayName": "Peloton Bike", "gearTypeName": "Bike"},
            "a1b2c3d4e5f60718293a4b5c6d7e8f90": {"displayName": "Tread Shoes", "gearTypeName": "Shoes"},
        }
        self.links: list[tuple[str, int]] = []  # (gear uuid, activity id)
        self.sso_blocked = False
        self.refuse_refresh = False

    def fault(self, path: str, status: int, body: Any = b"", times: int = 1) -> ServiceFault:  # type: ignore[override]
        """Garmin's faults match any method."""
        return super().fault(None, path, status, body, times=times)

    def uploads(self) -> list[tuple[str, str, dict[str, str], dict[str, tuple[str, bytes]]]]:
        return [(r.method, r.path, r.headers, r.files) for r in self.find("POST")]

    @property
    def created(self) -> int:
        return len(self.by_content)

    def route(self, request: RecordedRequest) -> Response:
        if request.path in SSO_PATHS:
            if self.sso_blocked:
                return Response(429, CLOUDFLARE_HEADERS, CLOUDFLARE_PAGE)
            return Response.json({"error": "not faked"}, 501)
        status, body = self._route(request.method, request.path, request, request.files)
        return Response.json(body, status)

    def expire_token(self) -> None:
        """Garmin no longer accepts the saved access token (the refresh token still works)."""
        self.token = jwt(4_102_444_801)

    def _route(self, method: str, path: str, request: RecordedRequest, files: Any) -> tuple[int, Any]:
        if path == "/di-oauth2-service/oauth/token" and method == "POST":
            if self.refuse_refresh:
                return 400, {"error": "invalid_grant", "error_description": "refresh token expired"}
            self.refreshes += 1
            self.token = jwt(4_102_444_800 + 100 + self.refreshes)
            self.refresh = f"di-refresh-token-rotated-{self.refreshes:04d}"
            self.issued |= {self.token, self.refresh}
            return 200, {"access_token": self.token, "refresh_token": self.refresh, "expires_in": 86400}
        if request.header("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}
        if path == "/userprofile-service/socialProfile":
            return 200, {"displayName": "peloton-rider", "fullName": "Pat Rider", "profileId": 90210}
        if path == "/userprofile-service/userprofile/user-settings":
            return 200, {"userData": {"measurementSystem": "metric"}}
        if path == "/upload-service/upload" and method == "POST":
            filename, data = files["file"]
            digest = hashlib.sha256(data).hexdigest()
            result: dict[str, Any] = {"uploadId": 1, "fileName": filename, "successes": [], "failures": []}
            if digest in self.by_content:
                result["failures"] = [
                    {
                        "internalId": self.by_content[digest],
                        "externalId": None,
                        "messages": [{"code": 202, "content": "Duplicate Activity."}],
                    }
                ]
                return 409, {"detailedImportResult": result}
            self.by_content[digest] = self.next_id
            self.files[self.next_id] = data
            result["successes"] = [{"internalId": self.next_id, "externalId": None, "messages": None}]
            self.next_id += 1
            return 201, {"detailedImportResult": result}
        if path == "/gear-service/gear/filterGear" and method == "GET":
            if request.query.get("userProfilePk") != "90210":
                return 403, {"message": "Forbidden"}
            return 200, [{"uuid": uuid, "gearStatusName": "active", **g} for uuid, g in self.gear.items()]
        match = re.fullmatch(r"/gear-service/gear/link/([0-9a-f-]+)/activity/(\d+)", path)
        if match and method == "PUT":
            uuid, activity = match.group(1).replace("-", ""), int(match.group(2))
            if uuid not in self.gear or activity not in self.by_content.values():
                return 404, {"message": "Not Found"}
            self.links.append((uuid, activity))
            return 200, {"uuid": uuid, "activityId": activity}
        match = re.fullmatch(r"/activity-service/activity/(\d+)", path)
        if match and method == "GET":
            if int(match.group(1)) in self.by_content.values():
                return 200, {"activityId": int(match.group(1)), "activityName": "Ride"}
            return 404, {"message": "Not Found"}
        return 404, {"message": "Not Found"}


@dataclass
class StubGarmin:
    """Behaves like ``garminconnect.Garmin`` for sign-in; uploads go to ``on_upload``."""

    email: str | None = None
    password: str | None = None
    is_cn: bool = False
    prompt_mfa: Callable[[], str] | None = None
    return_on_mfa: bool = False
    world: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = self  # garminconnect keeps the session in .client

    def login(self, /, tokenstore: str | None = None) -> tuple[None, None]:
        world = self.world
        world.setdefault("logins", []).append(tokenstore)
        if world.get("login_error"):
            raise world["login_error"]
        if tokenstore:
            data = json.loads(Path(tokenstore).read_text())
            if data.get("di_token") != DI_TOKEN:
                raise StubAuthError("Authentication failed (401 Unauthorized)")
            return None, None
        if world.get("sso"):  # a fresh login reaches the (fake) SSO, as garminconnect's does
            import garminconnect
            import requests

            for path in ("/mobile/sso/en/sign-in", "/mobile/api/login"):
                answer = requests.post(f"{world['sso']}{path}", json={"username": self.email}, timeout=10)
                world.setdefault("sso_answers", []).append((path, answer.status_code, dict(answer.headers)))
                if answer.status_code in (427, 429):  # garminconnect's _raise_if_rate_limited
                    raise garminconnect.GarminConnectTooManyRequestsError(
                        "All login strategies rate limited or blocked (HTTP 429/427). Garmin may be "
                        "blocking this client or network rather than rate limiting; try again later "
                        "or from another network."
                    )
        if (self.email, self.password) != ("rider@example.com", "correct horse"):
            raise StubAuthError("Authentication failed (401 Unauthorized). Incorrect email or password")
        if world.get("mfa"):
            if self.prompt_mfa is None:
                raise StubAuthError("MFA Required but no prompt_mfa mechanism supplied")
            if self.prompt_mfa() != world["mfa"]:
                raise StubAuthError("MFA code rejected")
        return None, None

    def dumps(self) -> str:
        if self.world.get("web_session_only"):  # the DI exchange failed: garminconnect's dump
            return json.dumps({"di_token": None, "di_refresh_token": None, "di_client_id": None})
        return json.dumps({"di_token": DI_TOKEN, "di_refresh_token": DI_REFRESH, "di_client_id": "stub"})

    def upload_activity(self, activity_path: str) -> Any:
        return self.world["on_upload"](activity_path)


class StubAuthError(Exception):
    pass


StubAuthError.__name__ = "GarminConnectAuthenticationError"


class _NoSleep:
    """Stands in for the ``time`` module inside garminconnect (its retries must not sleep)."""

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(peloton_export_garmin, "CLOCK", clock)
    peloton_export_garmin.reset_sessions()
    yield clock
    peloton_export_garmin.reset_sessions()


@pytest.fixture
def fake_garmin() -> Iterator[FakeConnectApi]:
    with FakeConnectApi() as fake:
        yield fake


@pytest.fixture
def section(tmp_path: Path) -> dict[str, str]:
    return {
        "token_dir": str(tmp_path / "config" / "garmin"),
        "cooldown_file": str(tmp_path / "state" / "garmin-login-cooldown.json"),
        "journal_file": str(tmp_path / "state" / "garmin-journal.json"),
    }


@pytest.fixture
def context(section: dict[str, str], tmp_path: Path) -> ExportContext:
    return ExportContext(output_dir=tmp_path / "exports", plugin_config={"garmin": section})


@pytest.fixture
def saved_tokens(section: dict[str, str]) -> Path:
    path = Path(section["token_dir"]) / "garmin_tokens.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"di_token": DI_TOKEN, "di_refresh_token": DI_REFRESH, "di_client_id": "x"}))
    path.chmod(0o600)
    return path


@pytest.fixture
def real_library(fake_garmin: FakeConnectApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real garminconnect.Garmin, talking to the loopback fake."""
    import garminconnect
    from garminconnect import Garmin

    monkeypatch.setattr(garminconnect, "time", _NoSleep())  # its sign-in retries sleep 1 s
    monkeypatch.setattr(
        "garminconnect.client.DI_TOKEN_URL", f"{fake_garmin.url}/di-oauth2-service/oauth/token"
    )

    def factory(**kwargs: Any) -> Any:
        garmin = Garmin(**kwargs)
        garmin.client._connectapi = fake_garmin.url  # where connectapi.garmin.com would be
        garmin.client._di_token_url = f"{fake_garmin.url}/di-oauth2-service/oauth/token"  # 0.3.5+
        return garmin

    monkeypatch.setattr(peloton_export_garmin, "FACTORY", factory)


@pytest.fixture
def workout() -> Workout:
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    return Workout(
        id="9a4d00000001",
        discipline="cycling",
        start=start,
        end=start + timedelta(minutes=45),
        elapsed_s=2700.0,
        timer_s=2700.0,
        title="45 min Climb Ride",
        instructor="Denis Morton",
    )


@pytest.fixture
def fit_file(tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "ride.fit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x0e\x20FIT-climb-ride")
    return path


@pytest.fixture
def stub_world(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> dict[str, Any]:
    """Replace garminconnect.Garmin by :class:`StubGarmin`; the dict steers its behaviour."""
    world: dict[str, Any] = {"created": []}

    def factory(**kwargs: Any) -> StubGarmin:
        stub = StubGarmin(world=world, **kwargs)
        world["created"].append(stub)
        return stub

    world["factory"] = factory
    monkeypatch.setattr(peloton_export_garmin, "FACTORY", factory)
    return world
