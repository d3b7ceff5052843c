"""The ``garmin`` sink, through python-garminconnect (0.3.2 or later).

Sign-in is the library's (Garmin's mobile SSO and DI OAuth tokens). We keep its tokens in
``<config dir>/garmin/garmin_tokens.json`` (mode 0600, folder 0700), guard every sign-in
with a persisted :class:`~peloton_export_garmin.cooldown.LoginCooldown`, and upload with
``Garmin.upload_activity`` (``POST /upload-service/upload``, multipart ``file``).

Exactly once on Garmin's side: Garmin refuses a file it already has with 409, which is
recorded as a duplicate; the upload journal answers for a workout whose upload finished
but whose ledger write did not.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from peloton_export.errors import AuthRequired, UploadError
from peloton_export.model import Workout
from peloton_export.paths import config_dir, state_dir
from peloton_export.specs import ExportContext, UploadResult, UploadState
from peloton_export.uploads import Clock, TokenStore, UploadJournal, plugin_setting, protect, redact
from peloton_export_garmin.cooldown import LoginCooldown

log = logging.getLogger("peloton_export.garmin")

LOGIN_HINT = "run `peloton-export garmin login`"
SUFFIXES = (".fit", ".tcx", ".gpx")
STATUS = re.compile(r"\b(?:API Error|status[= ])\s*(\d{3})\b", re.IGNORECASE)
ATTEMPTS = 3


class GarminClient(Protocol):
    """What the sink needs of ``garminconnect.Garmin``."""

    def login(self, /, tokenstore: str | None = None) -> Any:
        """Sign in from a token store, or with the credentials given to the constructor."""

    def upload_activity(self, activity_path: str) -> Any:
        """Upload a FIT, TCX or GPX file; returns Garmin's JSON answer."""

    def get_activity(self, activity_id: str) -> Any:
        """The activity's summary; raises (``API Error 404``) when there is none."""


#: Builds a client: ``factory(email=..., password=..., is_cn=..., prompt_mfa=...)``.
ClientFactory = Callable[..., GarminClient]


def default_factory(**kwargs: Any) -> GarminClient:
    """``garminconnect.Garmin(**kwargs)``, imported only when needed."""
    from garminconnect import Garmin  # type: ignore[import-untyped,unused-ignore]

    client: GarminClient = Garmin(**kwargs)
    return client


@dataclass(frozen=True, slots=True)
class GarminSettings:
    """``[plugin:garmin]`` keys and the environment."""

    token_dir: Path = field(default_factory=lambda: config_dir() / "garmin")
    cooldown_file: Path = field(default_factory=lambda: state_dir() / "garmin-login-cooldown.json")
    journal_file: Path = field(default_factory=lambda: state_dir() / "garmin-journal.json")
    email: str | None = None
    is_cn: bool = False

    @property
    def token_file(self) -> Path:
        """The token store (the file name python-garminconnect uses)."""
        return self.token_dir / "garmin_tokens.json"

    @classmethod
    def from_lookup(cls, get: Callable[[str, str | None], str | None]) -> GarminSettings:
        """Build from ``get(key, env)``."""
        paths: dict[str, Path] = {}
        for key in ("token_dir", "cooldown_file", "journal_file"):
            value = get(key, None)
            if value:
                paths[key] = Path(value).expanduser()
        return cls(
            email=get("email", "GARMIN_EMAIL"),
            is_cn=(get("is_cn", None) or "").lower() in {"1", "true", "yes", "on"},
            **paths,  # type: ignore[arg-type,unused-ignore]
        )

    @classmethod
    def from_context(cls, context: ExportContext) -> GarminSettings:
        """Build from an export run's options and config."""
        return cls.from_lookup(lambda key, env: plugin_setting(context, "garmin", key, env=env))


ErrorKind = Literal["duplicate", "auth", "rate", "server", "file", "malformed", "missing", "other"]


def classify(exc: BaseException) -> ErrorKind:
    """What a garminconnect (or requests) exception means."""
    name = type(exc).__name__
    if name == "GarminConnectTooManyRequestsError":
        return "rate"
    if name == "GarminConnectAuthenticationError":
        return "auth"
    if name == "GarminConnectInvalidFileFormatError":
        return "file"
    if isinstance(exc, ValueError) or isinstance(exc.__cause__, ValueError):
        return "malformed"  # an answer that is not JSON (requests' JSONDecodeError)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        match = STATUS.search(str(exc))
        status = int(match.group(1)) if match else None
    if status == 409 or "duplicate" in str(exc).lower():
        return "duplicate"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "missing"
    if status == 429:
        return "rate"
    if status is not None and status >= 500:
        return "server"
    return "other"


def _short(exc: BaseException) -> str:
    text = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


class GarminSession:
    """Signs in once per process and hands out the client."""

    def __init__(
        self,
        settings: GarminSettings,
        *,
        factory: ClientFactory = default_factory,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.clock = clock or Clock()
        self.cooldown = LoginCooldown(settings.cooldown_file, self.clock)
        self.tokens = TokenStore(settings.token_file)
        self._client: GarminClient | None = None
        self._failure: Exception | None = None

    def _secure(self) -> None:
        self.settings.token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.settings.token_dir, 0o700)
        if self.settings.token_file.exists():
            os.chmod(self.settings.token_file, 0o600)

    def _login_failed(self, exc: Exception, what: str) -> Exception:
        kind = classify(exc)
        wait = self.cooldown.failed(f"{what}: {kind}", rate_limited=kind == "rate")
        minutes = f"no new attempt for {wait / 60:.0f} min"
        if kind == "rate":
            return UploadError(f"{what}: Garmin is refusing sign-ins for now (too many requests); {minutes}")
        if kind == "auth":
            return AuthRequired(f"{what}: Garmin refused the login ({_short(exc)}); {minutes}; {LOGIN_HINT}")
        return UploadError(f"{what} failed: {_short(exc)}; {minutes}")

    def client(self) -> GarminClient:
        """A signed-in client from the token store (no password, no MFA)."""
        if self._client is not None:
            return self._client
        if self._failure is not None:  # do not retry a failed sign-in for every workout
            raise self._failure
        stored = self.tokens.load()  # registers the token values as secrets
        if not stored:
            raise AuthRequired(f"not logged in to Garmin Connect; {LOGIN_HINT}")
        self.cooldown.check()
        client = self.factory(is_cn=self.settings.is_cn)
        try:
            client.login(tokenstore=str(self.settings.token_file))
        except Exception as exc:
            self._failure = self._login_failed(exc, "Garmin sign-in from saved tokens")
            raise self._failure from None
        finally:
            self._secure()
        self.tokens.load()  # the library may have refreshed them
        self.cooldown.succeeded()
        self._client = client
        return client

    def login(
        self, email: str, password: str, prompt_mfa: Callable[[], str], *, ignore_cooldown: bool = False
    ) -> None:
        """Sign in with a password (and an MFA code if Garmin asks) and store the tokens."""
        protect(password)
        if not ignore_cooldown:
            self.cooldown.check()

        def mfa() -> str:
            code = prompt_mfa().strip()
            protect(code)
            return code

        client = self.factory(email=email, password=password, is_cn=self.settings.is_cn, prompt_mfa=mfa)
        try:
            client.login(tokenstore=None)
        except Exception as exc:
            raise self._login_failed(exc, "Garmin login") from None
        inner = getattr(client, "client", None)
        dumps = getattr(inner, "dumps", None)
        if not callable(dumps):
            raise UploadError(
                "Garmin login: this garminconnect version cannot save its tokens (need 0.3.2 or later)"
            )
        import json

        data = json.loads(dumps())
        self.tokens.save(data)
        self._secure()
        self.cooldown.succeeded()


def read_answer(answer: Any) -> UploadResult:
    """Interpret ``detailedImportResult`` (successes and failures with ``internalId``)."""
    if not isinstance(answer, dict):
        raise UploadError("Garmin upload: unreadable answer (not a JSON object)")
    result = answer.get("detailedImportResult")
    if not isinstance(result, dict):
        raise UploadError("Garmin upload: the answer has no detailedImportResult")
    successes = result.get("successes") or []
    failures = result.get("failures") or []
    if successes and isinstance(successes[0], dict):
        remote = successes[0].get("internalId")
        return UploadResult(state="uploaded", remote_id=str(remote) if remote else None)
    if failures and isinstance(failures[0], dict):
        messages = failures[0].get("messages") or []
        text = "; ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        remote = failures[0].get("internalId")
        if "duplicate" in text.lower() or any(isinstance(m, dict) and m.get("code") == 202 for m in messages):
            return UploadResult(
                state="duplicate",
                remote_id=str(remote) if remote else None,
                message="already on Garmin Connect",
            )
        raise UploadError(f"Garmin rejected the file: {text[:200] or 'no reason given'}")
    # accepted, still processing: Garmin has it, the id is not known yet
    return UploadResult(state="uploaded", remote_id=None, message="accepted; Garmin is still processing it")


class GarminUploader:
    """Uploads files for one run; :meth:`__call__` is the sink's ``upload``."""

    def __init__(self, session: GarminSession, journal: UploadJournal) -> None:
        self.session = session
        self.journal = journal

    def __call__(self, path: Path, workout: Workout, context: ExportContext) -> UploadResult:
        """Upload ``path`` once; 409 means Garmin already has it."""
        entry = self.journal.get(workout.id)
        if entry and entry.get("phase") == "done" and not context.force:
            state: UploadState = "duplicate" if entry.get("state") == "duplicate" else "uploaded"
            remote = entry.get("remote_id")
            return UploadResult(
                state=state, remote_id=str(remote) if remote else None, message="uploaded by an earlier run"
            )
        if path.suffix.lower() not in SUFFIXES:
            raise UploadError(f"Garmin Connect takes FIT, TCX or GPX files, not {path.name}")
        client = self.session.client()
        clock = self.session.clock
        self.journal.begin(workout.id)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = client.upload_activity(str(path))
            except Exception as exc:
                kind = classify(exc)
                if kind == "malformed":
                    raise UploadError("Garmin upload: unreadable answer (not JSON)") from None
                if kind == "duplicate":
                    return self._finish(
                        workout, UploadResult(state="duplicate", message="already on Garmin Connect")
                    )
                if kind in ("auth", "file"):
                    self.journal.drop(workout.id)
                    if kind == "auth":
                        raise AuthRequired(
                            f"Garmin upload: not authorized ({_short(exc)}); {LOGIN_HINT}"
                        ) from None
                    raise UploadError(f"Garmin upload: {_short(exc)}") from None
                if kind in ("rate", "server") and attempt < ATTEMPTS:
                    # safe to send again: Garmin answers a file it already has with 409
                    wait = 60.0 * attempt if kind == "rate" else 5.0 * attempt
                    log.info("Garmin answered %s; trying again in %.0f s", kind, wait)
                    clock.sleep(wait)
                    continue
                raise UploadError(f"Garmin upload failed: {_short(exc)}") from None
            try:
                result = read_answer(answer)
            except UploadError:
                self.journal.drop(workout.id)
                raise
            return self._finish(workout, result)
        raise AssertionError("unreachable")

    def _finish(self, workout: Workout, result: UploadResult) -> UploadResult:
        self.journal.finish(workout.id, result.remote_id, result.state)
        return result


def activity_exists(session: GarminSession, activity_id: str) -> bool:
    """Whether Garmin Connect still has ``activity_id`` (False: the user deleted it)."""
    try:
        session.client().get_activity(activity_id)
    except Exception as exc:
        if classify(exc) == "missing":
            return False
        raise UploadError(f"Garmin activity check failed: {_short(exc)}") from None
    return True
