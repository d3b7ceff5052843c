"""The unit layer's guard (tests/unit/conftest.py) refuses processes, network and sleep."""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import subprocess
import sys
import time

import pytest

from tests.unit.conftest import Guard, LayerViolation


def _refused(guard: Guard, action: object) -> str:
    with pytest.raises(LayerViolation) as caught:
        action()  # type: ignore[operator]
    assert guard.violations, "the violation was not recorded"
    guard.violations.clear()  # this test expects it: the check after the call stays quiet
    return str(caught.value)


def test_a_subprocess_is_refused(layer_guard: Guard) -> None:
    said = _refused(layer_guard, lambda: subprocess.run([sys.executable, "-c", "pass"], check=False))
    assert "started a subprocess" in said and "tests/e2e" in said


def test_a_multiprocessing_process_is_refused(layer_guard: Guard) -> None:
    process = multiprocessing.get_context("spawn").Process(target=print)
    assert "multiprocessing" in _refused(layer_guard, process.start)


def test_a_network_connection_is_refused_but_a_unix_socket_is_not(layer_guard: Guard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        said = _refused(layer_guard, lambda: sock.connect(("127.0.0.1", 9)))
        assert "network connection" in said
        assert "network connection" in _refused(layer_guard, lambda: sock.connect_ex(("127.0.0.1", 9)))
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"
    assert not layer_guard.violations


def test_sleeping_is_refused_but_sleep_0_yields(layer_guard: Guard) -> None:
    assert "slept 0.01 s" in _refused(layer_guard, lambda: time.sleep(0.01))
    time.sleep(0)
    assert not layer_guard.violations


def test_a_swallowed_violation_is_still_recorded_for_the_check_after_the_call(layer_guard: Guard) -> None:
    with contextlib.suppress(Exception):  # code under test that hides the error
        time.sleep(1)
    assert len(layer_guard.violations) == 1
    assert layer_guard.violations[0].startswith("a unit test slept 1 s")
    assert "test_layer_guard.py" in layer_guard.violations[0]  # where it happened
    layer_guard.violations.clear()
