"""Worker processes that die with their parent (``--jobs N`` exports).

A spawned worker is a process of its own: when its parent is killed (``kill -9``, the OOM
killer) it would be reparented and go on exporting, writing files after the run lock was
released. :func:`guard_worker` is called first thing in each worker:

* on Linux it asks the kernel for ``SIGKILL`` when the parent ends
  (``prctl(PR_SET_PDEATHSIG)`` through ctypes), so the worker ends at once. The kernel
  means the parent *thread* that started the worker: a pool must be used from the thread
  that created its workers and that thread must outlive it (``_run_parallel`` does both);
* everywhere it starts a daemon thread that polls ``os.getppid()`` every
  :data:`POLL_SECONDS` and ends the process (``os._exit``) once the parent changed, the
  portable fallback (and a second line of defence);
* it ignores ``SIGINT``: a Ctrl-C reaches the whole process group, and the parent, not the
  workers, decides how the run stops (it cancels what is queued and lets each worker finish
  the workout in hand).

:func:`parent_alive` lets a worker check before starting a workout.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

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
    _set_parent_death_signal()
    if not parent_alive(parent_pid):  # died before the death signal was asked for
        os._exit(ORPHAN_EXIT)
    threading.Thread(target=_watch, args=(parent_pid, poll), name="parent-watchdog", daemon=True).start()


__all__ = ["ORPHAN_EXIT", "POLL_SECONDS", "guard_worker", "parent_alive"]
