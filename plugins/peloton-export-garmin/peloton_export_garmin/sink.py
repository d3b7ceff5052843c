"""The ``garmin`` sink, through python-garminconnect (0.3.10 or later, Python 3.12+).

Sign-in is the library's (Garmin's mobile SSO and DI OAuth tokens). We keep its tokens in
``<config dir>/garmin/garmin_tokens.json`` (mode 0600, folder 0700), guard every sign-in
with the sink toolkit's persisted :class:`~peloton_export.sinkkit.LoginCooldown`, and
upload with ``Garmin.upload_activity`` (``POST /upload-service/upload``, multipart ``file``).

Exactly once on Garmin's side: Garmin refuses a file it already has with 409, which is
recorded as a duplicate; the journal (:class:`~peloton_export.sinkkit.JournaledUploader`)
answers for a workout whose upload finished but whose ledger write did not.

Garmin-only settings: ``device`` rewrites a FIT file with a device preset before it is sent
(see :mod:`peloton_export.fit.devices`), and ``gear`` links gear to each new activity.

Since April 2026 Garmin's SSO often answers fresh logins with Cloudflare 429s or challenges
(peloton-to-garmin #831; garminconnect #337, #350) while saved tokens keep working. So:

* ``garmin login --import PATH`` (:func:`read_token_import`, :meth:`GarminSession.import_tokens`)
  takes the token store garminconnect writes elsewhere (``Garmin.client.dump(dir)`` writes
  ``<dir>/garmin_tokens.json``, ``Garmin.client.dumps()`` the same JSON as a string:
  ``{"di_token", "di_refresh_token", "di_client_id"}``) and stores it like a login made here;
* a session Garmin refuses (or none at all) is :class:`GarminLoginNeeded`, a
  :class:`~peloton_export.errors.SinkPaused`: the run pauses the sink and notifies once; the
  pause is kept in ``pause_file`` with a fingerprint of the token file, so later runs (a
  ``watch``) do not contact Garmin with the same tokens while the login cooldown runs, and
  resume by themselves once ``garmin login`` or ``--import`` wrote new tokens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from peloton_export.atomic import write_bytes_atomic
from peloton_export.errors import AuthRequired, ConfigError, ServiceFailing, SinkPaused, UploadError
from peloton_export.model import Workout
from peloton_export.paths import config_dir, state_dir
from peloton_export.readback import StateFileError, parse_state_json, read_state_bytes
from peloton_export.sinkkit import (
    Clock,
    JournaledUploader,
    LoginCooldown,
    PluginSettings,
    Rejected,
    SendAgain,
    Sent,
    TokenStore,
    UploadJournal,
    parse_retry_after,
    protect,
    redact,
)
from peloton_export.specs import ExportContext, UploadResult

log = logging.getLogger("peloton_export.garmin")

LOGIN_HINT = "run `peloton-export garmin login`"
IMPORT_HINT = (
    "or make the tokens on another machine and bring them here with "
    "`peloton-export garmin login --import PATH` (see the plugin's README)"
)


class GarminLoginNeeded(SinkPaused, AuthRequired):
    """Garmin has no usable session for us: a typed state that pauses the ``garmin`` sink.

    The message starts with "Garmin needs a login:"; :attr:`reason` is ``login-needed``.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Garmin needs a login: {detail}; {LOGIN_HINT}, {IMPORT_HINT}", reason="login-needed"
        )


SUFFIXES = (".fit", ".tcx", ".gpx")
STATUS = re.compile(r"\b(?:API Error|status[= ])\s*(\d{3})\b", re.IGNORECASE)
ATTEMPTS = 3
#: The login cooldown: 15 min after the first failure, doubling up to a day, >= 1 h after a 429.
COOLDOWN_FIRST = 15 * 60.0
COOLDOWN_LONGEST = 24 * 3600.0
COOLDOWN_AFTER_429 = 3600.0
#: What a Garmin device preset gets you, and what it costs (shown by ``garmin login``).
DEVICE_TRADE_OFF = (
    "Garmin Connect computes Training Effect, VO2 max and badges only for files that claim to\n"
    "come from a Garmin device. A Garmin preset (e.g. 'garmin', 'forerunner-945', 'edge-1040')\n"
    "gets you those, but the file then says it was recorded by a device you may not own.\n"
    "The default, 'honest', names peloton-export as the device and gets none of them.\n"
    "This applies only to FIT files sent to Garmin; other files and sinks are not changed."
)


class GarminClient(Protocol):
    """What the sink needs of ``garminconnect.Garmin``."""

    def login(self, /, tokenstore: str | None = None) -> Any:
        """Sign in from a token store, or with the credentials given to the constructor."""

    def upload_activity(self, activity_path: str) -> Any:
        """Upload a FIT, TCX or GPX file; returns Garmin's JSON answer."""

    def get_activity(self, activity_id: str) -> Any:
        """The activity's summary; raises (``API Error 404``) when there is none."""

    def get_gear(self, userProfileNumber: str) -> Any:
        """The user's gear (``[{"uuid", "displayName", "customMakeModel", ...}]``)."""

    def add_gear_to_activity(self, gearUUID: str, activity_id: int | str) -> Any:
        """Link gear ``gearUUID`` to an activity."""


#: Builds a client: ``factory(email=..., password=..., is_cn=..., prompt_mfa=...)``.
ClientFactory = Callable[..., GarminClient]


def default_factory(**kwargs: Any) -> GarminClient:
    """``garminconnect.Garmin(**kwargs)``, imported only when needed."""
    from garminconnect import Garmin

    client: GarminClient = Garmin(**kwargs)
    return client


@dataclass(frozen=True, slots=True)
class GarminSettings:
    """``[plugin:garmin]`` keys, ``--option garmin.KEY`` and the environment."""

    token_dir: Path = field(default_factory=lambda: config_dir() / "garmin")
    cooldown_file: Path = field(default_factory=lambda: state_dir() / "garmin-login-cooldown.json")
    journal_file: Path = field(default_factory=lambda: state_dir() / "garmin-journal.json")
    #: The paused state (:class:`GarminLoginNeeded`) kept between runs.
    pause_file: Path = field(default_factory=lambda: state_dir() / "garmin-login-needed.json")
    email: str | None = None
    is_cn: bool = False
    #: The FIT device preset for files sent to Garmin (``None``: the file as written).
    device: str | None = None

    @property
    def token_file(self) -> Path:
        """The token store (the file name python-garminconnect uses)."""
        return self.token_dir / "garmin_tokens.json"

    @property
    def device_file(self) -> Path:
        """Where ``garmin login`` keeps the device preset chosen there."""
        return self.token_dir / "device"

    @classmethod
    def from_settings(cls, get: PluginSettings) -> GarminSettings:
        """Build from the plugin's settings; ``device`` falls back to the one chosen at login."""
        token_dir = get.path("token_dir", config_dir() / "garmin")
        chosen: str | None = None
        with contextlib.suppress(OSError):
            chosen = (token_dir / "device").read_text(encoding="utf-8").strip() or None
        return cls(
            token_dir=token_dir,
            cooldown_file=get.path("cooldown_file", state_dir() / "garmin-login-cooldown.json"),
            journal_file=get.path("journal_file", state_dir() / "garmin-journal.json"),
            pause_file=get.path("pause_file", state_dir() / "garmin-login-needed.json"),
            email=get.get("email", "GARMIN_EMAIL"),
            is_cn=get.flag("is_cn", False),
            device=get.get("device", "GARMIN_DEVICE", default=chosen),
        )

    @classmethod
    def from_context(cls, context: ExportContext) -> GarminSettings:
        """Build from an export run's options and config."""
        return cls.from_settings(PluginSettings.from_context(context, "garmin"))


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


#: The longest wait (s) an upload rate limit may ask for before the sink stops trying in
#: this run (:class:`~peloton_export.errors.ServiceFailing`) instead of sending again.
LONGEST_SEND_AGAIN = 120.0


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions behind it (``__cause__``, else ``__context__``), at most 8."""
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(out) < 8:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def retry_after(exc: BaseException, now: float) -> float | None:
    """The ``Retry-After`` (s) of the HTTP answer behind a garminconnect error, or ``None``
    (garminconnect raises ``GarminConnectTooManyRequestsError`` from the requests error that
    carries the answer)."""
    for link in _chain(exc):
        headers = getattr(getattr(link, "response", None), "headers", None)
        if headers is not None and hasattr(headers, "get"):
            wait = parse_retry_after(headers.get("Retry-After"), now)
            if wait is not None:
                return wait
    return None


def no_answer(exc: BaseException) -> bool:
    """True when nothing answered (a refused connection, a timeout) behind ``exc``."""
    import requests

    return any(isinstance(link, requests.ConnectionError | requests.Timeout) for link in _chain(exc))


def _short(exc: BaseException) -> str:
    text = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def login_cooldown(settings: GarminSettings, clock: Clock) -> LoginCooldown:
    """The persisted Garmin login cooldown."""
    return LoginCooldown(
        settings.cooldown_file,
        now=clock.time,
        base=COOLDOWN_FIRST,
        cap=COOLDOWN_LONGEST,
        after_rate_limit=COOLDOWN_AFTER_429,
    )


def check_cooldown(cooldown: LoginCooldown) -> None:
    """Raise :class:`AuthRequired` (saying until when) while the cooldown runs."""
    state = cooldown.active()
    if state is None:
        return
    until = datetime.fromtimestamp(state.until, UTC).strftime("%Y-%m-%d %H:%M UTC")
    reason = f" ({state.reason})" if state.reason else ""
    raise AuthRequired(
        f"Garmin login paused until {until} after {state.failures} failed attempt(s){reason}, "
        "to avoid a lock-out (`peloton-export garmin login --ignore-cooldown` overrides it)"
    )


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
        self.cooldown = login_cooldown(settings, self.clock)
        self.tokens = TokenStore(settings.token_file)
        self._client: GarminClient | None = None
        self._failure: Exception | None = None
        self._failure_of: str | None = None  # the token file's fingerprint at that failure

    def _secure(self) -> None:
        self.settings.token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.settings.token_dir, 0o700)
        if self.settings.token_file.exists():
            os.chmod(self.settings.token_file, 0o600)

    def _login_failed(self, exc: Exception, what: str) -> Exception:
        kind = classify(exc)
        state = self.cooldown.fail(f"{what}: {kind}", rate_limited=kind == "rate")
        minutes = f"no new attempt for {state.remaining(self.clock.time()) / 60:.0f} min"
        if kind == "rate":
            return UploadError(
                f"{what}: Garmin is refusing sign-ins for now (too many requests; often Cloudflare "
                f"blocking fresh logins from servers); {minutes}; {IMPORT_HINT}"
            )
        if kind == "auth":
            return AuthRequired(f"{what}: Garmin refused the login ({_short(exc)}); {minutes}; {LOGIN_HINT}")
        return UploadError(f"{what} failed: {_short(exc)}; {minutes}")

    # -- the paused state ---------------------------------------------------------------

    def fingerprint(self) -> str:
        """A digest of the token file (``"none"`` without one): new tokens, new fingerprint."""
        try:
            found = read_state_bytes(self.settings.token_file)
        except StateFileError:
            return "unreadable"
        return hashlib.sha256(found).hexdigest()[:16] if found is not None else "none"

    def paused(self) -> dict[str, Any] | None:
        """The recorded :class:`GarminLoginNeeded` state, or ``None``."""
        try:  # a hostile file (nested 100,000 deep, a FIFO, 50 MB) is no state, not a hang
            found = read_state_bytes(self.settings.pause_file)
            data = parse_state_json(found, self.settings.pause_file) if found is not None else None
        except StateFileError:
            return None
        return data if isinstance(data, dict) else None

    def login_needed(self, detail: str) -> GarminLoginNeeded:
        """Record the paused state for the current token file and return the error to raise."""
        self._client = None
        record = {"fingerprint": self.fingerprint(), "detail": detail, "at": self.clock.time()}
        try:
            write_bytes_atomic(self.settings.pause_file, json.dumps(record).encode(), mode=0o600)
        except OSError as exc:
            log.warning("cannot write %s: %s", self.settings.pause_file, exc.strerror or exc)
        return GarminLoginNeeded(detail)

    def resume(self) -> None:
        """Forget the paused state (a login or an import stored new tokens)."""
        self.settings.pause_file.unlink(missing_ok=True)
        self._failure = self._failure_of = None

    # -- signing in ----------------------------------------------------------------------

    def client(self) -> GarminClient:
        """A signed-in client from the token store (no password, no MFA).

        :raises GarminLoginNeeded: no tokens, or Garmin refused them (kept until new tokens
            are stored; the same tokens are tried again only after the login cooldown).
        :raises UploadError: Garmin refused for now (rate limited, down).
        """
        if self._client is not None:
            return self._client
        fingerprint = self.fingerprint()
        if self._failure is not None and self._failure_of == fingerprint:
            raise self._failure  # do not retry a failed sign-in for every workout
        self._failure = None
        paused = self.paused()
        if paused is not None and paused.get("fingerprint") != fingerprint:
            log.info("new Garmin tokens since the session was refused: trying them")
            self.resume()
            self.cooldown.clear()
            paused = None
        stored = self.tokens.load()  # registers the token values as secrets
        if not stored:
            raise self._remember(self.login_needed("no saved Garmin session"), fingerprint)
        state = self.cooldown.active()
        if paused is not None and state is not None:
            until = datetime.fromtimestamp(state.until, UTC).strftime("%Y-%m-%d %H:%M UTC")
            detail = paused.get("detail") or "the saved session was refused"
            raise GarminLoginNeeded(f"{detail}; sign-ins paused until {until}")  # no request made
        check_cooldown(self.cooldown)
        client = self.factory(is_cn=self.settings.is_cn)
        try:
            client.login(tokenstore=str(self.settings.token_file))
        except Exception as exc:
            failure = self._login_failed(exc, "Garmin sign-in from saved tokens")
            if isinstance(failure, AuthRequired):
                failure = self.login_needed(f"Garmin refused the saved session ({_short(exc)})")
            raise self._remember(failure, fingerprint) from None
        finally:
            self._secure()
        self.tokens.load()  # the library may have refreshed them
        self.cooldown.clear()
        if paused is not None:
            self.resume()
        self._client = client
        return client

    def _remember(self, failure: Exception, fingerprint: str) -> Exception:
        self._failure, self._failure_of = failure, fingerprint
        return failure

    def import_tokens(self, data: dict[str, Any]) -> None:
        """Store a token store made elsewhere (see :func:`read_token_import`) like a login here,
        then sign in with it once to check it (a token sign-in, which Cloudflare lets through).

        :raises GarminLoginNeeded: Garmin refused the imported tokens (nothing kept).
        :raises UploadError: Garmin could not be asked (the tokens are kept).
        """
        previous = self.settings.token_file.read_bytes() if self.settings.token_file.exists() else None
        self.tokens.save(data)
        self._secure()
        self.cooldown.clear()
        self.resume()
        self._client = None
        try:
            self.client()
        except GarminLoginNeeded:
            if previous is None:
                self.settings.token_file.unlink(missing_ok=True)
            else:
                write_bytes_atomic(self.settings.token_file, previous, mode=0o600)
            self.resume()
            raise

    def login(
        self, email: str, password: str, prompt_mfa: Callable[[], str], *, ignore_cooldown: bool = False
    ) -> None:
        """Sign in with a password (and an MFA code if Garmin asks) and store the tokens.

        :raises UploadError: Garmin gave only a web session (no DI token), which cannot be
            saved and reused; no cooldown is started for it.
        """
        protect(password)
        if not ignore_cooldown:
            check_cooldown(self.cooldown)

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
                "Garmin login: this garminconnect version cannot save its tokens (need 0.3.10 or later)"
            )
        data = json.loads(dumps())
        if not isinstance(data, dict) or not data.get("di_token"):
            raise UploadError(
                "Garmin login: Garmin gave only a web session (no DI token), which cannot be saved "
                "for later runs; nothing was stored. Try `peloton-export garmin login` again later"
            )
        self.tokens.save(data)
        self._secure()
        self.cooldown.clear()
        self.resume()


def read_token_import(text: str, where: str) -> dict[str, Any]:
    """The DI tokens in a garminconnect token store's text (``garmin_tokens.json`` or what
    ``Garmin.client.dumps()`` returns): ``{"di_token", "di_refresh_token", "di_client_id"}``.

    :param where: names the source in messages (a path, or "standard input").
    :raises UploadError: not a garminconnect token store; one with ``di_token: null``
        (garminconnect writes that when its DI exchange failed; it cannot be loaded); a
        garth session (OAuth1/OAuth2 tokens), which garminconnect 0.3.5+ cannot use.
    """
    try:
        data = parse_state_json(text.encode("utf-8", "surrogatepass"), Path(where))
    except StateFileError as exc:
        raise UploadError(
            f"{where}: not a garminconnect token store ({exc.problem.removeprefix('is ')})"
        ) from None
    if isinstance(data, list) or (isinstance(data, dict) and "oauth_token" in data):
        raise UploadError(
            f"{where}: a garth session (OAuth1/OAuth2 tokens); garminconnect 0.3.5 and later "
            "use DI tokens: make the tokens with garminconnect 0.3.10+ (`Garmin.client.dump`)"
        )
    if not isinstance(data, dict) or "di_token" not in data:
        raise UploadError(f"{where}: not a garminconnect token store (no di_token)")
    if not data.get("di_token") or not data.get("di_refresh_token"):
        raise UploadError(
            f"{where}: the token store has di_token null: garminconnect wrote it after Garmin "
            "gave only a web session, and such a store cannot be loaded; log in again where you "
            "made it until the file has a di_token"
        )
    for key in ("di_token", "di_refresh_token"):
        if not isinstance(data[key], str):
            raise UploadError(f"{where}: {key} is not a string")
        protect(data[key])
    client_id = data.get("di_client_id")
    return {
        "di_token": data["di_token"],
        "di_refresh_token": data["di_refresh_token"],
        "di_client_id": client_id if isinstance(client_id, str) else None,
    }


def read_answer(answer: Any) -> UploadResult:
    """Interpret ``detailedImportResult`` (successes and failures with ``internalId``).

    :raises Rejected: Garmin refused the file.
    :raises UploadError: an answer without ``detailedImportResult``.
    """
    if not isinstance(answer, dict):
        raise Rejected("Garmin upload: unreadable answer (not a JSON object)")
    result = answer.get("detailedImportResult")
    if not isinstance(result, dict):
        raise Rejected("Garmin upload: the answer has no detailedImportResult")
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
        raise Rejected(f"Garmin rejected the file: {text[:200] or 'no reason given'}")
    # accepted, still processing: Garmin has it, the id is not known yet
    return UploadResult(state="uploaded", remote_id=None, message="accepted; Garmin is still processing it")


def with_device(path: Path, workout: Workout, context: ExportContext, device: str, folder: Path) -> Path:
    """``path`` (a FIT file) written again with the FIT device preset ``device``, in ``folder``.

    :raises ConfigError: an unknown preset.
    """
    from peloton_export.formats.fit.devices import device_for
    from peloton_export.formats.fit.encode import FitOptions, encode_workout

    device_for(device, "cycling")  # an unknown preset: ConfigError naming the known ones
    options = {**context.options, "fit.device": device}
    fit = encode_workout(workout, FitOptions.from_context(dataclasses.replace(context, options=options)))
    target = folder / path.name
    target.write_bytes(fit)
    return target


def list_gear(client: GarminClient) -> list[dict[str, str]]:
    """The user's gear: ``[{"id": uuid, "name", "kind"}]``."""
    profile = getattr(client, "profile_id", None)
    if not profile:
        raise UploadError("Garmin gear: the profile has no id (sign in again)")
    try:
        items = client.get_gear(str(profile))
    except Exception as exc:
        raise UploadError(f"Garmin gear list failed: {_short(exc)}") from None
    gear: list[dict[str, str]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("uuid"):
            name = str(item.get("displayName") or item.get("customMakeModel") or item["uuid"])
            gear.append({"id": str(item["uuid"]), "name": name, "kind": str(item.get("gearTypeName") or "")})
    return gear


UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


class GarminUploader(JournaledUploader):
    """Uploads files for one run; calling it is the sink's ``upload``."""

    attempts = ATTEMPTS

    def __init__(self, session: GarminSession, journal: UploadJournal) -> None:
        super().__init__(journal, session.clock)
        self.session = session

    def send(self, path: Path, workout: Workout, context: ExportContext) -> Sent:
        """``upload_activity``; 409 means Garmin already has it, 429/5xx are sent again."""
        if path.suffix.lower() not in SUFFIXES:
            raise Rejected(f"Garmin Connect takes FIT, TCX or GPX files, not {path.name}")
        client = self.session.client()
        device = GarminSettings.from_context(context).device
        with tempfile.TemporaryDirectory(prefix="peloton-export-garmin-") as folder:
            if device and path.suffix.lower() == ".fit":
                path = with_device(path, workout, context, device, Path(folder))
            try:
                answer = client.upload_activity(str(path))
            except Exception as exc:
                kind = classify(exc)
                if kind == "malformed":
                    raise UploadError("Garmin upload: unreadable answer (not JSON)") from None
                if kind == "duplicate":
                    return Sent(UploadResult(state="duplicate", message="already on Garmin Connect"))
                if kind == "auth":
                    raise self.session.login_needed(
                        f"Garmin refused the session when uploading ({_short(exc)})"
                    ) from None
                if kind == "file":
                    raise Rejected(f"Garmin upload: {_short(exc)}") from None
                wait = retry_after(exc, self.clock.time()) if kind == "rate" else None
                if wait is not None and wait > LONGEST_SEND_AGAIN:
                    # Cloudflare's 429 with an hour's Retry-After: no workout of this run gets
                    # through; the core's breaker leaves the sink alone (workouts pending)
                    raise ServiceFailing(
                        f"Garmin upload: rate limited (HTTP 429), Garmin asked to wait {wait / 60:.0f} min",
                        retry_after=wait,
                    ) from None
                if kind in ("rate", "server"):
                    # safe to send again: Garmin answers a file it already has with 409
                    pause = (wait or 60.0) if kind == "rate" else 5.0
                    raise SendAgain(f"Garmin upload failed: {_short(exc)}", pause) from None
                if no_answer(exc):
                    raise ServiceFailing(f"Garmin upload: no answer ({_short(exc)})") from None
                raise UploadError(f"Garmin upload failed: {_short(exc)}") from None
        return Sent(read_answer(answer))

    def find(self, workout: Workout) -> str | None:
        """Garmin keeps no external id: a resent file is caught by Garmin's 409 instead."""
        return None

    def followups(self, workout: Workout, context: ExportContext) -> dict[str, str]:
        """The gear of the workout's discipline (``gear.<discipline>``, else ``gear``)."""
        gear = PluginSettings.from_context(context, "garmin").per_discipline("gear", workout.discipline)
        return {"gear": gear} if gear else {}

    def follow_up(self, remote_id: str, name: str, value: str) -> None:
        """Link the gear (a uuid, or the name of one of the user's gear) to the activity."""
        if name != "gear":
            raise UploadError(f"unknown follow-up {name!r}")
        client = self.session.client()
        uuid = value.strip()
        if not UUID.fullmatch(uuid):
            gear = list_gear(client)
            found = [g["id"] for g in gear if g["name"].casefold() == uuid.casefold()]
            if not found:
                names = ", ".join(f"{g['name']} ({g['id']})" for g in gear) or "none"
                raise ConfigError(f"[plugin:garmin] gear: no gear named {value!r} on Garmin; yours: {names}")
            uuid = found[0]
        try:
            client.add_gear_to_activity(uuid, remote_id)
        except Exception as exc:
            raise UploadError(f"Garmin gear: {_short(exc)}") from None


def activity_exists(session: GarminSession, activity_id: str) -> bool:
    """Whether Garmin Connect still has ``activity_id`` (False: the user deleted it)."""
    try:
        session.client().get_activity(activity_id)
    except Exception as exc:
        if classify(exc) == "missing":
            return False
        raise UploadError(f"Garmin activity check failed: {_short(exc)}") from None
    return True
