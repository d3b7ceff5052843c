"""The Starlette application of ``peloton-export serve`` (:func:`create_app`).

Pages (``NAME`` is a household profile, ``ID`` a workout id; every parameter is checked
and an unknown one is ``404``):

==============================================  ============================================
``GET /``                                       the household: each profile, its watch line
``GET /p/NAME``                                 the dashboard: login, cooldown, last run,
                                                pending counts, sinks, fetch failures
``GET /p/NAME/workouts?q=&sort=&dir=&page=``    the archive as a searchable, sortable table
``GET /p/NAME/workouts/ID``                     one workout: its files and delivery per sink
``GET /p/NAME/workouts/ID/report``              its HTML report page (rendered now)
``GET /p/NAME/workouts/ID/files/FORMAT``        a file it was exported to (output folder only)
``POST /p/NAME/sync``                           sync now (the configured run, or a selection)
``POST /p/NAME/workouts/ID/ACTION``             ``reexport``, ``deliver``, ``forget``, ``retry``
``GET /p/NAME/runs/JOB`` (``/events``)          a run's progress (server-sent events)
``GET|POST /login``, ``POST /logout``           the password login (when one is set)
``GET /p/NAME/logins`` (``POST .../STEP``)      Peloton's and each sink's login
                                                (:mod:`peloton_export.web.logins`)
``GET /SINK/callback``                          an OAuth redirect coming back (Strava's)
``GET /p/NAME/logs?level=&q=``                  the last runs and log lines, masked
                                                (:mod:`peloton_export.web.logs`)
``GET|POST /p/NAME/settings``                   formats, output folder, sinks, watch interval
                                                (:mod:`peloton_export.web.settings`)
==============================================  ============================================

Every ``POST`` needs the form's CSRF token; with ``read_only`` every action is ``403``.
The pages read the ledger read-only and never create one; the actions are the CLI's own
(``run_export``, :meth:`Ledger.forget`, :meth:`Ledger.clear_fetch_failure`). See
:mod:`peloton_export.web.guard` for the checks before any route.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from peloton_export.errors import PelotonExportError
from peloton_export.results import Selection
from peloton_export.store.archive import Archive, ArchiveError, read_file
from peloton_export.web import logins, logs
from peloton_export.web import settings as settings_pages
from peloton_export.web.auth import Sessions, Throttle, verify_password
from peloton_export.web.forms import read_form
from peloton_export.web.guard import SESSION_COOKIE, Guard, GuardSettings, cookie
from peloton_export.web.jobs import Busy, Jobs
from peloton_export.web.pagekit import AppState, ServeSettings
from peloton_export.web.pagekit import profile_of as _profile
from peloton_export.web.pagekit import render as _render
from peloton_export.web.pagekit import state_of as _state
from peloton_export.web.pagekit import threaded as _threaded
from peloton_export.web.pagekit import workout_id_of as _workout_id
from peloton_export.web.pagekit import writable as _writable
from peloton_export.web.rows import SORT_KEYS, select
from peloton_export.web.status import open_ledger, profile_status, targets

if TYPE_CHECKING:
    from peloton_export.plugins import PluginHost
    from peloton_export.profiles import Profile

log = logging.getLogger("peloton_export.serve")
HERE = Path(__file__).parent
STATIC = {"style.css": "text/css; charset=utf-8", "progress.js": "text/javascript; charset=utf-8"}
ACTIONS = ("reexport", "deliver", "forget", "retry")
_FORMAT = re.compile(r"^[a-z0-9_-]{1,32}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- pages ------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    state = _state(request)
    if len(state.profiles) == 1:
        return RedirectResponse(f"/p/{next(iter(state.profiles))}", status_code=303)
    return _render(request, "home.html", title="Household", names=list(state.profiles))


async def dashboard(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    household = len(state.profiles) > 1
    view = await _threaded(
        lambda: profile_status(profile, state.host, household=household, index=state.index(profile))
    )
    sink_logins, login_failures = await _threaded(logins.sink_views, profile, state.host)
    return _render(
        request,
        "dashboard.html",
        title=f"Profile {profile.name}",
        profile=profile.name,
        view=view,
        sink_logins=sink_logins,
        login_failures=login_failures,
        running=state.jobs.running(profile.name),
        jobs=state.jobs.recent(profile.name)[:5],
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


async def workouts(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    query = request.query_params.get("q", "")[:200]
    sort = request.query_params.get("sort", "date")
    descending = request.query_params.get("dir", "desc") != "asc"
    page_no = _int(request.query_params.get("page"), 1)
    rows = await _threaded(state.index(profile).rows)
    page = select(rows, query, sort, descending, page_no)
    return _render(
        request,
        "workouts.html",
        title=f"Workouts of {profile.name}",
        profile=profile.name,
        table=page,
        sort_keys=SORT_KEYS,
    )


def _workout_facts(state: AppState, profile: Profile, workout_id: str) -> dict[str, Any]:
    row = state.index(profile).row(workout_id)
    if row is None:
        raise HTTPException(404, "no such workout")
    files: list[dict[str, str]] = []
    deliveries: list[dict[str, str]] = []
    failure = None
    with profile.activate():
        from peloton_export.paths import state_dir

        ledger = open_ledger(state_dir())
        formats, sinks, _out = targets(profile, state.host, ledger)
        if ledger is not None:
            for fmt in formats:
                record = ledger.exported(workout_id, fmt)
                if record is None:
                    files.append({"format": fmt, "state": "not exported yet", "path": ""})
                elif record.written:
                    files.append(
                        {"format": fmt, "state": f"written {record.exported_at}", "path": record.path}
                    )
                else:
                    files.append(
                        {"format": fmt, "state": f"not applicable: {record.reason or ''}", "path": ""}
                    )
            for sink in sinks:
                up = ledger.upload_state(workout_id, sink)
                if ledger.is_tombstoned(workout_id, sink):
                    text = "deleted there: never sent again (forget clears it)"
                elif up is None:
                    text = "not sent yet"
                else:
                    text = f"{up.state} {up.updated_at} ({up.attempts} attempts)" + (
                        f": {up.error}" if up.error else ""
                    )
                deliveries.append({"sink": sink, "state": " ".join(text.split())[:400]})
            failure = ledger.fetch_failure(workout_id)
        else:
            files = [{"format": fmt, "state": "not exported yet", "path": ""} for fmt in formats]
            deliveries = [{"sink": sink, "state": "not sent yet"} for sink in sinks]
    return {"row": row, "files": files, "deliveries": deliveries, "failure": failure}


async def workout(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    workout_id = _workout_id(request)
    facts = await _threaded(_workout_facts, state, profile, workout_id)
    title = facts["row"].title or workout_id
    return _render(
        request,
        "workout.html",
        title=title,
        profile=profile.name,
        workout_id=workout_id,
        running=state.jobs.running(profile.name),
        **facts,
    )


def _report_html(profile: Profile, workout_id: str) -> str:
    from peloton_export.formats.report import render_page
    from peloton_export.normalize import normalize

    archive = Archive(profile.archive_dir)
    if workout_id not in archive:
        raise HTTPException(404, "no such workout")
    workout_record = normalize(archive.load(workout_id))
    return render_page(workout_record, "report", index_name=f"/p/{profile.name}/workouts/{workout_id}")


async def report(request: Request) -> Response:
    from peloton_export.formats.report.page import PAGE_CSP

    profile = _profile(request)
    workout_id = _workout_id(request)
    try:
        page = await _threaded(_report_html, profile, workout_id)
    except (PelotonExportError, ArchiveError, ValueError, TypeError, KeyError) as exc:
        return _render(
            request,
            "error.html",
            status=422,
            title="Workout unreadable",
            profile=profile.name,
            message=f"workout {workout_id} cannot be shown: " + " ".join(str(exc).split())[:400],
        )
    return HTMLResponse(page, headers={"content-security-policy": PAGE_CSP + "; frame-ancestors 'none'"})


def _file_bytes(state: AppState, profile: Profile, workout_id: str, fmt: str) -> tuple[bytes, str]:
    with profile.activate():
        from peloton_export.paths import state_dir

        ledger = open_ledger(state_dir())
        if ledger is None:
            raise HTTPException(404, "no such file")
        _f, _s, out_dir = targets(profile, state.host, ledger)
        record = ledger.exported(workout_id, fmt)
    if record is None or not record.written:
        raise HTTPException(404, "no such file")
    root = Path(out_dir).expanduser().resolve()
    path = Path(record.path).expanduser().resolve()  # symlinks followed: the target must be inside
    if not path.is_relative_to(root) or path == root:
        raise HTTPException(404, "that file is outside the output folder")
    try:
        return read_file(path), path.name
    except (FileNotFoundError, ArchiveError):
        raise HTTPException(404, "the file is gone or unreadable") from None


async def file(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    workout_id = _workout_id(request)
    fmt = str(request.path_params.get("fmt", ""))
    if not _FORMAT.match(fmt):
        raise HTTPException(404, "no such format")
    data, name = await _threaded(_file_bytes, state, profile, workout_id, fmt)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:200] or "file"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )


# -- actions ----------------------------------------------------------------------------------


def _selection(fields: dict[str, str]) -> Selection:
    def day(key: str) -> datetime | None:
        value = fields.get(key, "").strip()
        if not value:
            return None
        if not _DATE.match(value):
            raise HTTPException(400, f"{key}: {value[:20]!r} is not a date (YYYY-MM-DD)")
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise HTTPException(400, f"{key}: {value[:20]!r} is not a date") from None

    limit_text = fields.get("limit", "").strip()
    limit = None
    if limit_text:
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100_000:
            raise HTTPException(400, "limit: a whole number from 1")
        limit = int(limit_text)
    discipline = fields.get("discipline", "").strip().lower()
    if discipline and not _FORMAT.match(discipline):
        raise HTTPException(400, "discipline: letters only")
    return Selection(
        since=day("since"),
        until=day("until"),
        disciplines=frozenset({discipline}) if discipline else None,
        limit=limit,
    )


async def sync(request: Request) -> Response:
    from peloton_export.export.run import ExportRequest

    _writable(request)
    state = _state(request)
    profile = _profile(request)
    fields = await read_form(request)
    selection = _selection(fields)
    dry_run = fields.get("dry_run") == "1"
    label = "dry run" if dry_run else "sync now"
    try:
        job = state.jobs.start(profile, ExportRequest(selection=selection, dry_run=dry_run), label)
    except Busy as busy:
        return _busy(request, profile, busy)
    return RedirectResponse(f"/p/{profile.name}/runs/{job.id}", status_code=303)


def _busy(request: Request, profile: Profile, busy: Busy) -> Response:
    return _render(
        request,
        "error.html",
        status=409,
        title="A run is in progress",
        profile=profile.name,
        message=str(busy),
        job=busy.job,
    )


def _ledger_action(profile: Profile, action: str, workout_id: str) -> str:
    from peloton_export.store.ledger import Ledger

    with profile.activate():
        ledger = Ledger.default()
        if action == "forget":
            removed = ledger.forget(workout_id)
            if not removed:
                return f"The ledger has nothing about workout {workout_id}."
            return (
                f"Forgot workout {workout_id} ({removed} records); "
                "the next run exports and delivers it again."
            )
        if ledger.clear_fetch_failure(workout_id):
            return f"The next run fetches {workout_id} again."
        return f"No fetch failure recorded for {workout_id}."


async def action(request: Request) -> Response:
    from peloton_export.export.run import ExportRequest

    _writable(request)
    state = _state(request)
    profile = _profile(request)
    workout_id = _workout_id(request)
    name = str(request.path_params.get("action", ""))
    if name not in ACTIONS:
        raise HTTPException(404, "no such action")
    await read_form(request)
    running = state.jobs.running(profile.name)
    if running is not None:
        return _busy(request, profile, Busy(running))
    if name in ("forget", "retry"):
        try:
            message = await _threaded(_ledger_action, profile, name, workout_id)
        except PelotonExportError as exc:
            message = " ".join(str(exc).split())[:400]
        return _render(
            request, "done.html", title="Done", profile=profile.name, message=message, workout_id=workout_id
        )
    selection = Selection(workout_ids=frozenset({workout_id}))
    run = ExportRequest(selection=selection, offline=True, force=name == "reexport")
    label = f"{'export again' if name == 'reexport' else 'deliver'} {workout_id}"
    try:
        job = state.jobs.start(profile, run, label)
    except Busy as busy:
        return _busy(request, profile, busy)
    return RedirectResponse(f"/p/{profile.name}/runs/{job.id}", status_code=303)


def _job(request: Request) -> Any:
    profile = _profile(request)
    job_id = _int(str(request.path_params.get("job", "")), 0)
    job = _state(request).jobs.get(job_id)
    if job is None or job.profile != profile.name:
        raise HTTPException(404, "no such run")
    return profile, job


async def run_page(request: Request) -> Response:
    profile, job = _job(request)
    return _render(request, "run.html", title=f"Run {job.id}", profile=profile.name, job=job)


async def run_events(request: Request) -> Response:
    _, job = _job(request)

    async def stream() -> AsyncIterator[bytes]:
        seen = -1
        for _ in range(36_000):  # at most 3 hours of 0.3 s polls
            if job.version != seen:
                seen = job.version
                yield f"data: {json.dumps(job.snapshot())}\n\n".encode()
            if not job.running:
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.3)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"})


# -- login ------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if _state(request).settings.password_hash is None:
        return RedirectResponse("/", status_code=303)
    return _render(request, "login.html", title="Log in", message="")


async def login(request: Request) -> Response:
    state = _state(request)
    stored = state.settings.password_hash
    if stored is None:
        return RedirectResponse("/", status_code=303)
    client = str(request.state.client)
    if state.throttle.blocked(client):
        return _render(
            request,
            "login.html",
            status=429,
            title="Log in",
            message="Too many failed logins: wait a minute and try again.",
        )
    fields = await read_form(request)
    password = fields.get("password", "")
    if not await _threaded(verify_password, password, stored):
        state.throttle.failed(client)
        log.warning("failed serve login from %s", client)
        return _render(request, "login.html", status=403, title="Log in", message="Wrong password.")
    response = RedirectResponse("/", status_code=303)
    sid = state.sessions.new()
    response.headers.append(
        "set-cookie", cookie(SESSION_COOKIE, sid, secure=bool(request.state.https), max_age=12 * 3600)
    )
    return response


async def logout(request: Request) -> Response:
    await read_form(request)
    _state(request).sessions.end(request.state.session)
    response = RedirectResponse("/login", status_code=303)
    response.headers.append(
        "set-cookie", cookie(SESSION_COOKIE, "", secure=bool(request.state.https), max_age=0)
    )
    return response


async def static(request: Request) -> Response:
    name = str(request.path_params.get("file", ""))
    if name not in STATIC:
        raise HTTPException(404, "no such file")
    data = (HERE / "static" / name).read_bytes()
    return Response(data, media_type=STATIC[name], headers={"cache-control": "max-age=3600"})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.endswith("/events") or request.url.path.startswith("/static/"):
        return Response(f"{exc.detail}\n", status_code=exc.status_code, media_type="text/plain")
    return _render(
        request,
        "error.html",
        status=exc.status_code,
        title=f"Error {exc.status_code}",
        profile=str(request.path_params.get("name", "")) or None,
        message=str(exc.detail),
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    return Response("internal error; see the server's log\n", status_code=500, media_type="text/plain")


#: Config keys whose values are secrets (masked wherever this server shows text).
SECRET_KEYS = ("password", "api_key", "client_secret", "token", "access_token", "refresh_token")


def _protect_config(profiles: list[Profile]) -> None:
    from peloton_export.net.redaction import protect

    for profile in profiles:
        protect(profile.config.password)
        for section in profile.config.plugins.values():
            protect(*(v for k, v in section.items() if k.rsplit(".", 1)[-1] in SECRET_KEYS))


def create_app(
    profiles: list[Profile],
    host: PluginHost,
    settings: ServeSettings | None = None,
    *,
    jobs: Jobs | None = None,
) -> Any:
    """The ASGI application serving ``profiles`` (the household, in order) with ``host``'s
    formats and sinks, guarded by :class:`~peloton_export.web.guard.Guard`.

    :raises ValueError: no profile given.
    """
    if not profiles:
        raise ValueError("serve needs at least one profile")
    settings = settings or ServeSettings()
    templates = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )
    sessions = Sessions()
    state = AppState(
        settings=settings,
        profiles={p.name: p for p in profiles},
        host=host,
        jobs=jobs or Jobs(host),
        templates=templates,
        sessions=sessions,
        throttle=Throttle(),
    )
    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/static/{file}", static),
        Route("/p/{name}", dashboard),
        Route("/p/{name}/sync", sync, methods=["POST"]),
        Route("/p/{name}/runs/{job}", run_page),
        Route("/p/{name}/runs/{job}/events", run_events),
        Route("/p/{name}/workouts", workouts),
        Route("/p/{name}/workouts/{wid}", workout),
        Route("/p/{name}/workouts/{wid}/report", report),
        Route("/p/{name}/workouts/{wid}/files/{fmt}", file),
        Route("/p/{name}/workouts/{wid}/{action}", action, methods=["POST"]),
        Route("/p/{name}/logins", logins.logins_page),
        Route("/p/{name}/logins/peloton/{step}", logins.peloton_action, methods=["POST"]),
        Route("/p/{name}/logins/{sink}/{step}", logins.sink_action, methods=["POST"]),
        Route("/p/{name}/settings", settings_pages.settings_page, methods=["GET"]),
        Route("/p/{name}/settings", settings_pages.settings_save, methods=["POST"]),
        Route("/p/{name}/logs", logs.logs_page),
        Route("/{sink}/callback", logins.callback),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.serve = state
    buffer = logs.LogBuffer()
    logs.attach(buffer)
    state.logs = buffer
    _protect_config(profiles)
    guard = GuardSettings(
        password_hash=settings.password_hash,
        allowed_hosts=frozenset(h.lower() for h in settings.allowed_hosts),
        trusted_proxies=settings.trusted_proxies,
    )
    wrapped = Guard(app, guard, sessions)
    wrapped.state = state  # type: ignore[attr-defined]
    return wrapped


__all__ = ["AppState", "ServeSettings", "create_app"]
