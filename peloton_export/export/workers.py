"""The worker processes of a ``--jobs N`` export: the pool, and workers that die with their parent.

:func:`run_parallel` exports a batch's workouts in a pool of spawned processes, each with
an exporter of its own (built by the run's picklable recipe) and the run's ledger records
(:class:`~peloton_export.export.records.RunRecords`), so a worker reads no ledger either.

A spawned worker is a process of its own: when its parent is killed (``kill -9``, the OOM
killer) it would be reparented and go on exporting, writing files after the run lock was
released. :func:`guard_worker` is called first thing in each worker:

* on Linux it asks the kernel for ``SIGKILL`` when the parent ends
  (``prctl(PR_SET_PDEATHSIG)`` through ctypes), so the worker ends at once. The kernel
  means the parent *thread* that started the worker: a pool must be used from the thread
  that created its workers and that thread must outlive it (:func:`run_parallel` does both);
* everywhere it starts a daemon thread that polls ``os.getppid()`` every
  :data:`POLL_SECONDS` and ends the process (``os._exit``) once the parent changed, the
  portable fallback (and a second line of defence);
* it ignores ``SIGINT`` and ``SIGTERM``: a Ctrl-C reaches the whole process group (and
  systemd's stop the whole control group), and the parent, not the workers, decides how the
  run stops (it cancels what is queued and lets each worker finish the workout in hand).
  The workers are started with both signals blocked (:func:`deferred_signals`; a blocked
  mask is inherited through ``fork`` and ``exec``), so one arriving while a worker is still
  starting is not its death either.

The parent defers SIGINT and SIGTERM (blocks them, :func:`deferred_signals`) while the pool
starts its workers and is fed, and while it shuts down: a stop arriving then is raised as
``KeyboardInterrupt`` right after, never inside the pool's own machinery (where it left a
traceback, or a pool half shut down).

:func:`parent_alive` lets a worker check before starting a workout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from peloton_export.export.plan import WorkoutPlan
    from peloton_export.export.records import RunRecords
    from peloton_export.results import WorkoutResult
    from peloton_export.specs import ExportContext

#: How often the fallback watchdog looks at the parent, in seconds.
POLL_SECONDS = 0.1
#: Exit status of a worker that ended because its parent died.
ORPHAN_EXIT = 70
_PR_SET_PDEATHSIG = 1


def _set_parent_death_signal() -> bool:
    """Linux only: SIGKILL this process when its parent thread ends. True if it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def parent_alive(parent_pid: int) -> bool:
    """Whether the process that started this one (``parent_pid``) is still its parent."""
    return os.getppid() == parent_pid


def _watch(parent_pid: int, poll: float) -> None:
    while parent_alive(parent_pid):
        time.sleep(poll)
    os._exit(ORPHAN_EXIT)


def guard_worker(parent_pid: int, *, poll: float = POLL_SECONDS) -> None:
    """Make this worker process end within ``poll`` seconds of ``parent_pid`` ending.

    Ends the process at once (``os._exit(ORPHAN_EXIT)``) when the parent is already gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # started blocked by the parent: ignored from now on
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    _set_parent_death_signal()
    if not parent_alive(parent_pid):  # died before the death signal was asked for
        os._exit(ORPHAN_EXIT)
    threading.Thread(target=_watch, args=(parent_pid, poll), name="parent-watchdog", daemon=True).start()


_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread for the ``with`` block; one that arrived
    meanwhile is delivered (its handler runs: ``KeyboardInterrupt``) when the block ends.
    Threads and processes started inside inherit the blocked mask. Where the platform has
    no ``pthread_sigmask`` (Windows) nothing is deferred."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    # The mask alone is not enough: a thread started before the block (with the signals
    # unblocked) can take the signal, and Python then runs the handler in this thread at
    # once, in the middle of starting a worker (the child read an empty pipe: EOFError).
    # So the handlers only note a stop during the block; it is acted on when the block ends.
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        noted.append(signum)

    handlers: dict[int, signal._HANDLER] = {signum: signal.signal(signum, note) for signum in _STOP_SIGNALS}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # one still blocked is noted now
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        if noted:
            _act_on(noted[0], handlers[noted[0]])


def _act_on(signum: int, handler: signal._HANDLER) -> None:
    """Do what the handler in place before :func:`deferred_signals` does for ``signum``."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)


class WorkerExporter(Protocol):
    """What a worker does with the exporter its recipe builds."""

    context: ExportContext

    def use_records(self, records: RunRecords) -> None: ...

    def export_one(self, workout_id: str, plan: WorkoutPlan | None = None) -> WorkoutResult: ...


_WORKER: WorkerExporter | None = None
_PARENT = 0


def _init_worker(
    rebuild: Callable[[], WorkerExporter], context: ExportContext, records: RunRecords, parent_pid: int
) -> None:
    global _WORKER, _PARENT
    guard_worker(parent_pid)  # first: a worker never outlives its parent
    _PARENT = parent_pid
    _WORKER = rebuild()
    _WORKER.context = context  # with what export_started prepared in ``context.state``
    _WORKER.use_records(records)


def _export_in_worker(item: WorkoutPlan) -> WorkoutResult:
    assert _WORKER is not None
    if not parent_alive(_PARENT):  # the watchdog has not fired yet: write nothing more
        os._exit(ORPHAN_EXIT)
    return _WORKER.export_one(item.workout_id, item)


def run_parallel(
    items: list[WorkoutPlan],
    jobs: int,
    rebuild: Callable[[], WorkerExporter],
    context: ExportContext,
    records: RunRecords,
) -> Iterator[WorkoutResult]:
    """Export ``items`` in ``jobs`` worker processes (spawned: no state shared by fork);
    results come in ``items``' order. ``rebuild`` builds a worker's exporter, which exports
    with ``context`` (as ``export_started`` left it) and the run's ``records``.

    Workers end with the parent (:func:`guard_worker`). When the consumer stops early (an
    exception such as ``KeyboardInterrupt`` from Ctrl-C or SIGTERM, or the generator being
    closed), the workouts not yet started are cancelled and the workers finish the one in
    hand and exit before this returns: no worker writes after the run.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    mp = multiprocessing.get_context("spawn")
    with deferred_signals():  # the workers and the pool's thread start with the stop signals blocked
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=mp,
            initializer=_init_worker,
            initargs=(rebuild, context, records, os.getpid()),
        )
        try:
            results = pool.map(_export_in_worker, items, chunksize=2)  # submits every item
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    try:
        yield from results  # a stop here is a KeyboardInterrupt while waiting for a result
    finally:
        with deferred_signals():
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = [
    "ORPHAN_EXIT",
    "POLL_SECONDS",
    "WorkerExporter",
    "deferred_signals",
    "guard_worker",
    "parent_alive",
    "run_parallel",
]
