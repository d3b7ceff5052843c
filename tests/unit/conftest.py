"""The unit layer's guard: a test here that starts a process, opens a network connection or
sleeps fails, naming what it did (such a test belongs in ``tests/e2e``).

``subprocess.Popen``, ``multiprocessing`` process starts, ``socket.socket.connect`` /
``connect_ex`` (every family but AF_UNIX) and ``time.sleep`` (of more than 0 s) raise
:class:`LayerViolation` during each test's setup, call and teardown, session and module
fixtures included. Code under test that swallows the error still fails the test: each
violation is recorded and reported after the phase.
"""

from __future__ import annotations

import multiprocessing.process
import os
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_INHERITED = object()
#: The one caller allowed to start a process: a shared-library lookup, not the test's doing.
_LIBRARY_LOOKUP = os.path.join("ctypes", "util.py")


class LayerViolation(AssertionError):
    """A unit test did what only an e2e test may do."""


class Guard:
    """Patches the process-wide entry points while a unit test runs; records violations."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def _refuse(self, what: str) -> LayerViolation:
        message = f"a unit test {what}: move it to tests/e2e (tests/unit/conftest.py)"
        # where it happened, innermost last (the code under test may swallow the error)
        frames = traceback.extract_stack()[:-2][-6:]
        self.violations.append(message + "\n" + "".join(traceback.format_list(frames)))
        return LayerViolation(message)

    def _patch(self, owner: Any, name: str, replacement: Callable[..., Any]) -> None:
        # socket.socket inherits connect from _socket.socket: restoring then deletes ours
        self._saved.append((owner, name, owner.__dict__.get(name, _INHERITED)))
        setattr(owner, name, replacement)

    def __enter__(self) -> Guard:
        guard = self
        real_sleep = time.sleep
        real_popen_init = subprocess.Popen.__init__

        def popen_init(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
            if sys._getframe(1).f_code.co_filename.endswith(_LIBRARY_LOOKUP):
                # ctypes.util.find_library runs ldconfig (keyring's backend discovery does)
                real_popen_init(self, args, *rest, **kwargs)
                return
            raise guard._refuse(f"started a subprocess ({args!r})")

        def process_start(self: Any) -> None:
            raise guard._refuse("started a multiprocessing process")

        def _check(sock: socket.socket, address: Any) -> None:
            if sock.family != socket.AF_UNIX:
                raise guard._refuse(f"opened a network connection to {address!r}")

        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def connect(self: socket.socket, address: Any) -> None:
            _check(self, address)
            real_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> int:
            _check(self, address)
            return real_connect_ex(self, address)

        def sleep(seconds: float) -> None:
            if seconds > 0:
                raise guard._refuse(f"slept {seconds} s")
            real_sleep(seconds)

        self._patch(subprocess.Popen, "__init__", popen_init)
        self._patch(multiprocessing.process.BaseProcess, "start", process_start)
        self._patch(socket.socket, "connect", connect)
        self._patch(socket.socket, "connect_ex", connect_ex)
        self._patch(time, "sleep", sleep)
        return self

    def __exit__(self, *exc: object) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            if original is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


_GUARD = Guard()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


def _guarded() -> Iterator[None]:
    _GUARD.violations.clear()
    with _GUARD:
        result = yield
    if _GUARD.violations:
        found, _GUARD.violations[:] = list(_GUARD.violations), []
        raise LayerViolation("; ".join(found))
    return result


@pytest.fixture
def layer_guard() -> Guard:
    """The guard itself (for the test that checks it)."""
    return _GUARD
