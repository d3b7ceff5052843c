"""One ``watch`` cycle for a whole household: every profile in turn, each in its own folders.

:func:`run_household` runs :func:`peloton_export.run_export` for each
:class:`~peloton_export.profiles.Profile` (its config, tokens, archive, ledger, run lock),
one after the other. A profile that fails (a login needed, Peloton refusing it, its run
lock held, its state folder unwritable, a bug) fails alone: the next profile runs all the
same. Each profile's outcome is

* one log line, ``profile anna: ok in 2.1 s: 3 new from Peloton ...`` (a warning when
  it failed or was partial);
* its ``profile-status.json`` in its state folder (:func:`~peloton_export.unattended.status.
  read_profile_status`: outcome, message, counts, failures in a row), shown by ``status``
  and checked by ``watch --health``;
* its run-level problems (a login needed) notified through its own notifier, named after it.

:func:`household_cycle` is the cycle a :class:`~peloton_export.unattended.watch.Watcher`
runs: the config is read again every cycle (a new profile joins at the next run). The
cycle is ``ok`` when every profile's run was, ``partial`` when some failed, and raises
:class:`HouseholdFailed` (the watcher backs off) when every profile failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from peloton_export.config import Config, load_config
from peloton_export.errors import AuthRequired, PelotonExportError
from peloton_export.profiles import Profile, for_profile, load_profiles
from peloton_export.store.runlock import RunInProgress
from peloton_export.unattended.cycle import CycleOptions, export_cycle
from peloton_export.unattended.status import (
    PROFILE_STATUS_FILE,
    WatchStatus,
    read_profile_status,
    status_path,
    write_profile_status,
)
from peloton_export.unattended.watch import CycleResult, classify_failure

log = logging.getLogger("peloton_export.watch")


class HouseholdFailed(PelotonExportError):
    """Every profile's run failed this cycle (the message names each and why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileRun:
    """What one profile's run did in a household cycle.

    ``outcome`` is ``ok``, ``partial`` (some workouts failed), ``failed`` (the run could
    not be done; ``error`` says why) or ``busy`` (another run held its lock); ``message``
    is one line; ``counts`` as :class:`~peloton_export.unattended.watch.CycleResult`'s;
    ``seconds`` the run's wall time.
    """

    name: str
    outcome: str
    message: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the run was done and nothing in it failed."""
        return self.outcome == "ok"

    def line(self) -> str:
        """The log line: ``profile anna: ok in 2.1 s: <message>``."""
        return f"profile {self.name}: {self.outcome} in {self.seconds:.1f} s: {self.message}"


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    """Every profile's :class:`ProfileRun` of one cycle, in the household's order."""

    runs: tuple[ProfileRun, ...]

    def cycle_result(self) -> CycleResult:
        """The watcher's view: counts summed, a message naming each profile's outcome.

        :raises HouseholdFailed: when every profile failed (or none is configured).
        """
        if not self.runs or all(run.outcome == "failed" for run in self.runs):
            reasons = "; ".join(f"{run.name}: {run.message}" for run in self.runs) or "no profile"
            raise HouseholdFailed(f"every profile failed: {reasons}")
        counts: dict[str, int] = {}
        for run in self.runs:
            for key, value in run.counts.items():
                counts[key] = counts.get(key, 0) + value
        message = ", ".join(f"{run.name} {run.outcome}" for run in self.runs)
        return CycleResult(ok=all(run.ok for run in self.runs), counts=counts, message=message)


Notify = Callable[[Profile, Mapping[str, str]], object]


def _notify(profile: Profile, problems: Mapping[str, str]) -> None:
    from peloton_export.unattended.notify import Notifier

    Notifier.from_config(profile.config, profile.state_dir).update("run", problems)


def run_profile(
    profile: Profile,
    options: CycleOptions = CycleOptions(),  # noqa: B008 - frozen, never changed
    *,
    host: Any = None,
    clock: Callable[[], float] = time.time,
    notify: Notify | None = _notify,
) -> ProfileRun:
    """One run of ``profile`` (in its folders, with its config); never raises for a run that
    could not be done: the :class:`ProfileRun` says so. Writes its ``profile-status.json``,
    logs its line and notifies its run-level problems (``notify``; ``None``: none).

    Only :class:`BaseException`\\ s that are not :class:`Exception` (Ctrl-C, a watcher's
    stop) go through.
    """
    with profile.activate():
        previous = _previous(profile)
        failures = previous.failures if previous is not None else 0
        started = clock()
        error: BaseException | None = None
        counts: dict[str, int] = {}
        try:
            result = export_cycle(options, load=lambda: profile.config, host=host)()
        except RunInProgress as exc:
            outcome, message, error = "busy", str(exc), exc
        except PelotonExportError as exc:
            outcome, message, error = "failed", str(exc), exc
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            outcome, message, error = "failed", f"{exc.strerror or exc}{where}", exc
        except Exception as exc:  # a bug: this profile fails, the others still run
            log.debug("unexpected error in profile %s", profile.name, exc_info=True)
            outcome, message, error = "failed", f"unexpected {type(exc).__name__}: {exc}", exc
        else:
            outcome = "ok" if result.ok else "partial"
            message, counts = result.message, dict(result.counts)
        finished = clock()
        if outcome == "failed":
            failures += 1
        elif outcome != "busy":
            failures = 0
        run = ProfileRun(
            name=profile.name,
            outcome=outcome,
            message=for_profile(" ".join(message.split()), profile.name),
            counts=counts,
            seconds=finished - started,
            error=error,
        )
        level = logging.WARNING if outcome in ("failed", "partial", "busy") else logging.INFO
        log.log(level, "%s", run.line())
        _save(profile, previous, run, started, finished, failures)
        if notify is not None and outcome != "busy":
            problems = classify_failure(error, failures) if error is not None else {}
            problems = {key: for_profile(text, profile.name) for key, text in problems.items()}
            try:
                notify(profile, problems)
            except Exception as exc:  # a notification failing never stops the household
                log.warning(
                    "profile %s: could not send notifications: %s: %s", profile.name, type(exc).__name__, exc
                )
        return run


def _previous(profile: Profile) -> WatchStatus | None:
    try:
        return read_profile_status(profile.state_dir)
    except OSError:
        return None


def _save(
    profile: Profile,
    previous: WatchStatus | None,
    run: ProfileRun,
    started: float,
    finished: float,
    failures: int,
) -> None:
    last_ok = previous.last_ok_at if previous is not None else None
    if run.outcome in ("ok", "partial"):
        last_ok = finished
    status = WatchStatus(
        state="waiting",
        started_at=started,
        finished_at=finished,
        outcome=run.outcome,
        message=run.message,
        counts=dict(run.counts),
        failures=failures,
        last_ok_at=last_ok,
    )
    try:
        write_profile_status(profile.state_dir, status)
    except OSError as exc:
        log.warning(
            "profile %s: cannot write its status file %s: %s (remove what is in its place)",
            profile.name,
            status_path(profile.state_dir, PROFILE_STATUS_FILE),
            exc.strerror or exc,
        )


def run_household(
    profiles: Sequence[Profile],
    options: CycleOptions = CycleOptions(),  # noqa: B008 - frozen, never changed
    *,
    host: Any = None,
    clock: Callable[[], float] = time.time,
    notify: Notify | None = _notify,
) -> HouseholdResult:
    """:func:`run_profile` for each of ``profiles`` in turn; one's failure never stops the next."""
    return HouseholdResult(
        tuple(run_profile(p, options, host=host, clock=clock, notify=notify) for p in profiles)
    )


def household_cycle(
    options: CycleOptions = CycleOptions(),  # noqa: B008 - frozen, never changed
    *,
    load: Callable[[], Config] = load_config,
    host: Any = None,
    notify: Notify | None = _notify,
) -> Callable[[], CycleResult]:
    """The cycle a watcher runs for the household: the config read again, every profile run."""

    def cycle() -> CycleResult:
        profiles = load_profiles(load())
        return run_household(profiles, options, host=host, notify=notify).cycle_result()

    return cycle


def is_login_problem(run: ProfileRun) -> bool:
    """True when the profile's run failed for want of a Peloton login."""
    return isinstance(run.error, AuthRequired)


__all__ = [
    "HouseholdFailed",
    "HouseholdResult",
    "ProfileRun",
    "household_cycle",
    "run_household",
    "run_profile",
]
