"""Incremental sync of the Peloton workout list into the raw :class:`Archive`.

The list comes newest first (by creation). For each page:

* workouts already archived *and complete* are left alone;
* workouts Peloton imported from another platform are skipped (``skip_imported``), so
  exports never loop back as duplicates (see :mod:`peloton_export.workout.origin`);
* workouts still ``IN_PROGRESS`` are not fetched yet (a later run fetches them);
* every other workout (new, or archived while incomplete) gets its detail and its
  performance graph fetched (two requests), with at most ``concurrency`` in flight, and
  is written to the archive at once, so an interrupted run loses nothing.

Paging stops at the first page whose workouts are all known (archived and complete, or
skipped before), once one run has walked the whole list (the ledger remembers that), so
an interrupted first backfill resumes where it was, without refetching anything.

Failures are per workout: a detail or graph that stays unavailable (5xx after every retry,
a transfer that keeps breaking off), comes back in the wrong shape (HTML, an array, too
deep, too big, a redirect loop), or carries another workout's id fails *that workout*; it
is named in :attr:`SyncReport.failed` with its reason and the sync goes on. The sync stops
as a whole only when the login fails, a list page cannot be read, or every workout fetched
on a page failed because Peloton is unavailable (then it is down, not one workout).

Failed workouts are recorded in the ledger (``fetch_failures``) and retried with a bound
(:mod:`peloton_export.source.fetch_policy`): the next run retries at once, then after a
wait, and after three failures the workout is settled as "unavailable at Peloton" and left
alone (listed in :attr:`SyncReport.settled` in the run that settled it, then only in
``status``). A COMPLETE workout whose performance graph answers 404 is archived without it
(it exports as a summary) and its graph is retried the same way
(:attr:`SyncReport.graph_missing`). Workouts waiting for their retry count as known, so a
no-op run makes no request for them; a refused id (``../x``) costs no request and fails
every run. ``refetch`` and ``workout_ids`` fetch whatever the records say; a fetch that
brings the whole workout clears its record.

Paging stops at the last page (``show_next``/``page_count``), at a page that repeats the
previous one, or after ``ceil(total / page_size) + 1`` pages (``MAX_PAGES`` when Peloton
gives no total); :attr:`SyncReport.stopped` says why in one line when it was not the last.

Request budget with a saved login (what the tests assert): a first sync of N workouts makes
at most ``2N + ceil(N / page_size) + 3`` requests (``/api/me``, the pages, two per
workout); a run with nothing new makes ``/api/me`` at most plus one or two pages.

A run that asks for less (a :class:`~peloton_export.results.Selection`: ``--limit``,
``--since``, ``--until``, ``--discipline``, ``--workout``) fetches only what it selects:

* ``workout_ids`` are fetched directly (no list at all: two or three requests each);
* paging stops once ``limit`` selected workouts are found, or at the first page whose
  workouts were all created more than :data:`SINCE_MARGIN` seconds before ``since``;
* workouts outside the window or of other disciplines are listed but not fetched.

Such a run leaves the rest of the history for a plain run: when it skipped anything it
clears the ledger's "backfill done" mark, so the next plain run walks the whole list again
(list pages only; what is archived is never fetched twice). ``fetch=False`` (``--dry-run``)
lists the pages the same way but fetches no workout: what a real run would fetch is in
:attr:`SyncReport.would_fetch`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from peloton_export.paths import carry
from peloton_export.raw import JsonObject
from peloton_export.source import fetch_policy
from peloton_export.source.client.api import PelotonAPI
from peloton_export.source.client.http import BadResponse, PelotonHTTPError, ServiceUnavailable
from peloton_export.source.fetch_policy import FailureBook, describe, settled
from peloton_export.store.archive import Archive, ArchiveError, check_workout_id
from peloton_export.store.ledger import Ledger
from peloton_export.workout.origin import PELOTON, workout_origin

if TYPE_CHECKING:
    from peloton_export.results import Selection

#: ``(phase, completed, total or None, description)``: phase is ``"listing"`` (pages) or
#: ``"fetching"`` (workouts; the total grows as pages are listed).
SyncProgress = Callable[[str, int, "int | None", str], None]


class _Meter:
    """Counts pages and fetched workouts for a :data:`SyncProgress` callback."""

    def __init__(
        self,
        callback: SyncProgress | None,
        max_rate: float | None,
        archived: Callable[[str], None] | None = None,
    ) -> None:
        self.callback = callback
        self.max_rate = max_rate
        self.archived = archived
        self.queued = 0
        self.done = 0
        #: more list pages may queue more workouts: the time left is a lower bound
        self.more_pages = False

    def page(self, number: int, page_count: int | None, total: int) -> None:
        self.more_pages = page_count is None or number < page_count
        if self.callback is not None:
            label = f"listing page {number} of {page_count}" if page_count else f"listing page {number}"
            self.callback("listing", number, page_count, f"{label} ({total} workouts on Peloton)")

    def fetched(self, title: str, workout_id: str = "", outcome: str = "") -> None:
        """One workout fetched; ``outcome`` ``new``/``updated`` means it is in the archive now
        and goes to the ``archived`` callback (export while fetching)."""
        self.done += 1
        if self.callback is not None:
            eta = ""
            if self.max_rate:
                bound = "at least" if self.more_pages else "about"
                eta = f", {bound} {round(2 * (self.queued - self.done) / self.max_rate)} s left"
            self.callback("fetching", self.done, self.queued, f"fetching {title[:40]}{eta}")
        if self.archived is not None and outcome in ("new", "updated"):
            self.archived(workout_id)


log = logging.getLogger("peloton_export.client")

ZERO_RIDE = "0" * 32
#: Pages walked at most when the list gives no usable ``total`` (100,000 workouts at 20).
MAX_PAGES = 5000
#: Epoch seconds accepted from Peloton (1970 .. 2286); anything else is dropped as unknown.
MAX_EPOCH = 10**10

#: Seconds: a page whose workouts were all created this long before ``since`` ends the list walk.
SINCE_MARGIN = 6 * 3600


@dataclass
class SyncReport:
    """What one sync did."""

    user_id: str | None = None
    offline: bool = False
    pages: int = 0
    listed: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped_imported: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    reached_end: bool = False
    requests: int = 0
    would_fetch: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    partial: bool = False
    stopped: str = ""  # why paging stopped before the last page ("" when it did not)
    #: archived without a performance graph (404): id -> reason and the retry note
    graph_missing: dict[str, str] = field(default_factory=dict)
    #: reached the retry bound in this run: settled as unavailable at Peloton
    settled: list[str] = field(default_factory=list)
    #: failed before and left alone in this run until their next retry
    waiting: list[str] = field(default_factory=list)

    @property
    def fetched(self) -> list[str]:
        """Every workout written to the archive in this run."""
        return [*self.new, *self.updated]

    def summary(self) -> str:
        """One line for the terminal."""
        if self.offline:
            return "offline: using the archive as it is"
        parts = [f"{len(self.new)} new", f"{len(self.updated)} updated", f"{self.unchanged} already archived"]
        if self.skipped_imported:
            parts.append(f"{len(self.skipped_imported)} imported from other platforms skipped")
        if self.in_progress:
            parts.append(f"{len(self.in_progress)} still in progress")
        if self.would_fetch:
            parts.append(f"{len(self.would_fetch)} would be fetched")
        if self.graph_missing:
            parts.append(f"{len(self.graph_missing)} without a performance graph")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.settled:
            parts.append(f"{len(self.settled)} settled as unavailable at Peloton")
        if self.waiting:
            parts.append(f"{len(self.waiting)} failed before, waiting to retry")
        requests = f"{self.requests} request{'' if self.requests == 1 else 's'}"
        return f"Peloton sync: {', '.join(parts)} ({requests})"


def _int(value: Any) -> int | None:
    """An epoch-seconds field as an int, or ``None`` when missing, not finite or out of range."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 <= number <= MAX_EPOCH else None


class _Fetcher:
    """Fetches and archives one workout (runs in the worker threads)."""

    def __init__(
        self,
        api: PelotonAPI,
        archive: Archive,
        book: FailureBook,
        *,
        skip_imported: bool,
        ride_details: bool,
    ) -> None:
        self.api = api
        self.archive = archive
        self.book = book
        self.skip_imported = skip_imported
        self.ride_details = ride_details
        #: workouts archived without their graph (404) in this run: id -> reason
        self.missing_graph: dict[str, str] = {}

    def __call__(self, workout_id: str, item: JsonObject) -> tuple[str, JsonObject]:
        detail = self.api.workout(workout_id)
        answered = detail.data.get("id")
        if answered is not None and str(answered) != workout_id:
            raise BadResponse(f"Peloton answered workout {str(answered)[:80]!r} when asked for {workout_id}")
        if self.skip_imported and workout_origin(item, detail.data) != PELOTON:
            return "imported", detail.data
        try:
            graph: bytes | None = self.api.performance_graph(workout_id).raw
        except PelotonHTTPError as exc:
            if exc.status != 404:
                raise
            graph = None
            self.missing_graph[workout_id] = f"performance graph: {exc}"
        bodies = {"workout": detail.raw}
        if graph is not None:
            bodies["performance_graph"] = graph
        if self.ride_details:
            ride = detail.data.get("ride")
            ride_id = str(ride.get("id")) if isinstance(ride, dict) and ride.get("id") else None
            if ride_id and ride_id != ZERO_RIDE and detail.data.get("fitness_discipline") == "strength":
                try:
                    bodies["ride_details"] = self.api.ride_details(ride_id).raw
                except PelotonHTTPError as exc:
                    log.info("no class plan for %s: %s", workout_id, exc)
        existed = workout_id in self.archive
        self.archive.put(workout_id, bodies, source="api", replace=True)
        return ("updated" if existed else "new"), detail.data


def sync_workouts(
    api: PelotonAPI,
    archive: Archive,
    *,
    ledger: Ledger | None = None,
    page_size: int | None = None,
    concurrency: int | None = None,
    skip_imported: bool | None = None,
    fetch_ride_details: bool | None = None,
    refetch: bool = False,
    selection: Selection | None = None,
    fetch: bool = True,
    progress: SyncProgress | None = None,
    clock: Callable[[], float] | None = None,
    archived: Callable[[str], None] | None = None,
) -> SyncReport:
    """Bring ``archive`` up to date with the account (see the module docstring).

    Options left ``None`` come from the client settings. ``refetch`` fetches every workout
    again (and walks the whole list). ``selection`` limits what is listed and fetched;
    ``fetch=False`` fetches nothing (see :attr:`SyncReport.would_fetch`); ``progress`` is
    called after each list page and each fetched workout (:data:`SyncProgress`; the ETA
    assumes two requests per workout at the ``max_rate`` ceiling). ``clock`` gives the time
    in epoch seconds for the retry bound (default :data:`fetch_policy.clock`); ``archived``
    is called with each workout id as soon as it is written to the archive (in this thread,
    in list order; an exception it raises ends the sync, what was archived stays). Transient
    failures that outlast the retries
    (:class:`~peloton_export.source.client.http.ServiceUnavailable`) and login failures abort the
    sync; what was archived before stays archived.
    """
    settings = api.http.settings
    page_size = max(1, min(100, page_size or settings.page_size))
    concurrency = max(1, min(4, concurrency or settings.concurrency))
    skip = settings.skip_imported if skip_imported is None else skip_imported
    rides = settings.fetch_ride_details if fetch_ride_details is None else fetch_ride_details
    report = SyncReport()
    start_count = api.http.requests_sent
    now = (clock or fetch_policy.clock)()
    book = FailureBook.load(ledger, now)
    fetcher = _Fetcher(api, archive, book, skip_imported=skip, ride_details=rides)
    meter = _Meter(progress, settings.max_rate, archived)
    try:
        if selection is not None and selection.workout_ids is not None:
            _sync_ids(
                sorted(selection.workout_ids),
                fetcher,
                archive,
                ledger,
                report,
                meter,
                refetch=refetch,
                fetch=fetch,
            )
        else:
            _sync_list(
                api,
                fetcher,
                archive,
                ledger,
                report,
                selection,
                meter,
                page_size=page_size,
                concurrency=concurrency,
                skip=skip,
                refetch=refetch,
                fetch=fetch,
            )
    finally:
        report.requests = api.http.requests_sent - start_count
    if report.stopped:
        log.warning("workout list: %s", report.stopped)
    log.info("%s", report.summary())
    return report


class _Window:
    """Which listed workouts a selection wants, and when the list walk may stop."""

    def __init__(self, selection: Selection | None) -> None:
        self.since = selection.since.timestamp() if selection and selection.since else None
        self.until = selection.until.timestamp() if selection and selection.until else None
        self.disciplines = selection.disciplines if selection else None
        self.limit = selection.limit if selection else None
        self.found = 0

    @property
    def full(self) -> bool:
        return self.limit is not None and self.found >= self.limit

    def wants(self, item: JsonObject) -> bool:
        start = _int(item.get("start_time")) or _int(item.get("created_at"))
        if start is not None:
            if self.since is not None and start < self.since:
                return False
            if self.until is not None and start >= self.until:
                return False
        return not self.disciplines or item.get("fitness_discipline") in self.disciplines

    def past(self, items: list[JsonObject]) -> bool:
        """True when every workout of the page was created well before ``since``."""
        if self.since is None or not items:
            return False
        created = [_int(item.get("created_at")) for item in items]
        return all(c is not None and c < self.since - SINCE_MARGIN for c in created)


class _PageGuard:
    """Stops a list walk that would never end: a page repeating the previous one, or more
    pages than ``ceil(total / page_size) + 1`` (``MAX_PAGES`` without a total)."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.previous: list[str] | None = None
        self.max_pages = MAX_PAGES

    def repeated(self, page_no: int, items: list[JsonObject], total: int, report: SyncReport) -> bool:
        ids = [str(item.get("id")) for item in items]
        if self.previous is not None and ids == self.previous:
            report.stopped = f"page {page_no} repeats page {page_no - 1}; stopped paging there"
            report.reached_end = True
            return True
        self.previous = ids
        if page_no == 0 and total > 0:
            self.max_pages = min(MAX_PAGES, -(-total // self.page_size) + 1)
        return False

    def capped(self, page_no: int, total: int, report: SyncReport) -> bool:
        if page_no < self.max_pages:
            return False
        report.stopped = (
            f"still more pages after {page_no} (for {total or 'no'} workouts listed); stopped paging there"
        )
        return True


def _sync_list(
    api: PelotonAPI,
    fetcher: _Fetcher,
    archive: Archive,
    ledger: Ledger | None,
    report: SyncReport,
    selection: Selection | None,
    meter: _Meter,
    *,
    page_size: int,
    concurrency: int,
    skip: bool,
    refetch: bool,
    fetch: bool,
) -> None:
    """Walk the list newest first, fetching what is selected (see the module docstring)."""
    window = _Window(selection)
    if window.limit is not None and not (window.since or window.until or window.disciplines):
        page_size = min(page_size, max(window.limit, 1))
    report.user_id = user_id = api.user_id()
    # a workout due for a retry may sit on any page: walk the list to it
    may_stop = ledger is not None and ledger.backfill_done(user_id) and not refetch
    may_stop = may_stop and not fetcher.book.any_due()
    ended_early = False
    listed: set[str] = set()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="peloton-sync") as pool:
        page_no = 0
        guard = _PageGuard(page_size)
        while True:
            page = api.workouts_page(page_no, page_size)
            if guard.repeated(page_no, page.items, page.total, report):
                break
            report.pages += 1
            report.listed += len(page.items)
            listed.update(str(item.get("id")) for item in page.items)
            meter.page(report.pages, page.page_count or None, page.total)
            all_known = _sync_page(
                page.items,
                pool,
                fetcher,
                archive,
                ledger,
                report,
                window,
                meter,
                skip=skip,
                refetch=refetch,
                fetch=fetch,
            )
            if page.is_last:
                report.reached_end = True
                break
            if may_stop and all_known:
                break
            if window.full or window.past(page.items):
                ended_early = True
                break
            page_no += 1
            if guard.capped(page_no, page.total, report):
                break
    if report.reached_end and fetch:
        fetcher.book.forget_unlisted(listed)
    _record_backfill(ledger, report, user_id, ended_early=ended_early, fetch=fetch)


def _record_backfill(
    ledger: Ledger | None, report: SyncReport, user_id: str, *, ended_early: bool, fetch: bool
) -> None:
    """Mark the whole list walked (or forget that mark when this walk left workouts behind)."""
    if ledger is None or not fetch:
        return
    if report.partial or ended_early:
        report.partial = True
        ledger.forget_backfill(user_id)
    elif report.reached_end and not report.failed:
        ledger.mark_backfill_done(user_id)


def _sync_ids(
    workout_ids: list[str],
    fetcher: _Fetcher,
    archive: Archive,
    ledger: Ledger | None,
    report: SyncReport,
    meter: _Meter,
    *,
    refetch: bool,
    fetch: bool,
) -> None:
    """Fetch the named workouts directly (a 404 lands in :attr:`SyncReport.not_found`)."""
    for workout_id in workout_ids:
        if not refetch and archive.is_complete(workout_id):
            report.unchanged += 1
            continue
        if not fetch:
            report.would_fetch.append(workout_id)
            continue
        meter.queued += 1
        try:
            outcome, detail = fetcher(workout_id, {})
        except PelotonHTTPError as exc:
            if exc.status == 404:
                report.not_found.append(workout_id)
                continue
            if exc.status == 0 or isinstance(exc, ServiceUnavailable):
                raise
            report.failed[workout_id] = str(exc)
            _note_failure(fetcher.book, report, workout_id)
            continue
        except (ArchiveError, ValueError) as exc:
            report.failed[workout_id] = str(exc)
            _note_failure(fetcher.book, report, workout_id)
            continue
        _note_fetched(fetcher, report, workout_id, detail)
        row = _seen_row(workout_id, detail)
        _count_fetched(report, workout_id, outcome, status=row[3])
        meter.fetched(_title(detail, workout_id), workout_id, outcome)
        if ledger is not None:
            ledger.seen_many([row])
            if outcome == "new":
                # Fetched out of list order: a plain run must not stop at a page it "knows".
                report.partial = True
                user_id = str(detail.get("user_id") or "")
                if user_id:
                    ledger.forget_backfill(user_id)


#: A ledger row of a listed workout: id, created_at, start_time, status, origin.
_Seen = tuple[str, int | None, int | None, str | None, str]


def _selected_id(
    item: JsonObject, archive: Archive, report: SyncReport, window: _Window
) -> tuple[str | None, bool]:
    """``(id, True)`` for a listed workout this sync wants; ``(None, known)`` for one it
    leaves (outside the selection: ``known`` when archived complete) or refuses (bad id)."""
    if window.full or not window.wants(item):
        if _complete(archive, item):
            return None, True
        report.partial = True  # left for a plain run
        return None, False
    try:
        return check_workout_id(str(item.get("id"))), True
    except ArchiveError as exc:
        report.failed[repr(str(item.get("id"))[:60])] = str(exc)[:200]
        return None, False


def _sync_page(
    items: list[JsonObject],
    pool: ThreadPoolExecutor,
    fetcher: _Fetcher,
    archive: Archive,
    ledger: Ledger | None,
    report: SyncReport,
    window: _Window,
    meter: _Meter,
    *,
    skip: bool,
    refetch: bool,
    fetch: bool,
) -> bool:
    """Sync one page; True when every workout on it was already known."""
    all_known = bool(items)
    seen: list[_Seen] = []
    jobs: list[tuple[str, Future[tuple[str, JsonObject]]]] = []
    for item in items:
        workout_id, still_known = _selected_id(item, archive, report, window)
        if workout_id is None:
            all_known = all_known and still_known
            continue
        row = _seen_row(workout_id, item)
        wanted, known = _triage(row, archive, ledger, fetcher.book, report, skip=skip, refetch=refetch)
        all_known = all_known and known
        if wanted or known:
            window.found += 1
        if wanted and not fetch:
            report.would_fetch.append(workout_id)
        elif wanted:
            jobs.append((workout_id, pool.submit(carry(fetcher), workout_id, item)))
            meter.queued += 1
        else:
            seen.append(row)
    down: ServiceUnavailable | None = None
    answered = 0
    try:
        for workout_id, future in jobs:
            fetched = _fetched(workout_id, future, report)
            if isinstance(fetched, ServiceUnavailable):
                down = fetched
                continue
            answered += 1
            if fetched is None:
                continue
            outcome, detail = fetched
            _note_fetched(fetcher, report, workout_id, detail)
            row = _seen_row(workout_id, detail)
            seen.append(row)
            _count_fetched(report, workout_id, outcome, status=row[3])
            meter.fetched(_title(detail, workout_id), workout_id, outcome)
    finally:
        for _, future in jobs:
            future.cancel()
        if ledger is not None and seen:
            ledger.seen_many(seen)
    if down is not None and not answered and len(jobs) > 1:
        raise down  # every fetch on the page found Peloton unavailable: it is down
    _note_failures(fetcher.book, report, [workout_id for workout_id, _ in jobs])
    return all_known


def _note_failures(book: FailureBook, report: SyncReport, workout_ids: list[str]) -> None:
    """:func:`_note_failure` for those of ``workout_ids`` that failed."""
    for workout_id in workout_ids:
        if workout_id in report.failed:
            _note_failure(book, report, workout_id)


def _note_failure(book: FailureBook, report: SyncReport, workout_id: str) -> None:
    """Record a workout that failed to fetch (its reason is in ``report.failed``) and add
    its attempt count and what happens next to that reason."""
    record = book.failed(workout_id, report.failed[workout_id])
    if record is None:
        return
    report.failed[workout_id] = f"{report.failed[workout_id]} ({describe(record)})"
    if settled(record):
        report.settled.append(workout_id)


def _note_fetched(fetcher: _Fetcher, report: SyncReport, workout_id: str, detail: JsonObject) -> None:
    """Clear the failure record of a workout fetched whole; record a COMPLETE one archived
    without its performance graph (404) as failing, to retry within the bound."""
    missing = fetcher.missing_graph.pop(workout_id, None)
    if missing is None or detail.get("status") != "COMPLETE":
        fetcher.book.succeeded(workout_id)
        return
    record = fetcher.book.failed(workout_id, missing, archived=True)
    report.graph_missing[workout_id] = f"{missing} ({describe(record)})" if record else missing
    if record is not None and settled(record):
        report.settled.append(workout_id)


def _title(detail: JsonObject, workout_id: str) -> str:
    """The class title of a workout body, else its id."""
    ride = detail.get("ride")
    title = ride.get("title") if isinstance(ride, dict) else None
    return str(title or detail.get("title") or detail.get("name") or workout_id)


def _complete(archive: Archive, item: JsonObject) -> bool:
    try:
        return archive.is_complete(check_workout_id(str(item.get("id"))))
    except ArchiveError:
        return False


def _seen_row(workout_id: str, body: JsonObject) -> _Seen:
    """The ledger row of a workout from its list item or detail body."""
    status = body.get("status") if isinstance(body.get("status"), str) else None
    return (
        workout_id,
        _int(body.get("created_at")),
        _int(body.get("start_time")),
        status,
        workout_origin(body),
    )


def _triage(
    row: _Seen,
    archive: Archive,
    ledger: Ledger | None,
    book: FailureBook,
    report: SyncReport,
    *,
    skip: bool,
    refetch: bool,
) -> tuple[bool, bool]:
    """``(fetch it, already known)`` for a listed workout; what is not fetched is counted."""
    workout_id, _, _, status, origin = row
    if skip and origin != PELOTON:
        known = ledger is not None and ledger.workout(workout_id) is not None
        report.skipped_imported.append(workout_id)
        return False, known
    if not refetch and archive.is_complete(workout_id):
        # Recorded again: a run killed before its page's ledger write left no row.
        report.unchanged += 1
        return False, True
    if status is not None and status != "COMPLETE":
        report.in_progress.append(workout_id)
        return False, False
    waiting = None if refetch else book.waiting(workout_id)
    if waiting is not None:
        # failed before: left alone until its next retry; once settled, only `status` shows it
        if not settled(waiting):
            report.waiting.append(workout_id)
        return False, True
    return True, False


def _fetched(
    workout_id: str, future: Future[tuple[str, JsonObject]], report: SyncReport
) -> tuple[str, JsonObject] | ServiceUnavailable | None:
    """The fetch's outcome and detail, or ``None`` when it failed for this workout, or the
    :class:`ServiceUnavailable` it failed with (both recorded in the report)."""
    try:
        return future.result()
    except ServiceUnavailable as exc:
        report.failed[workout_id] = str(exc)
        return exc
    except (PelotonHTTPError, ArchiveError, ValueError) as exc:
        report.failed[workout_id] = str(exc)
    return None


def _count_fetched(report: SyncReport, workout_id: str, outcome: str, *, status: str | None) -> None:
    """Count a fetched workout as imported (skipped), updated or new, and in progress."""
    if outcome == "imported":
        report.skipped_imported.append(workout_id)
    elif outcome == "updated":
        report.updated.append(workout_id)
    else:
        report.new.append(workout_id)
    if status is not None and status != "COMPLETE":
        report.in_progress.append(workout_id)
