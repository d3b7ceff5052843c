"""Hostile answers of a sink's service, shared by every sink's tests (issue 22).

:func:`make_hostile` makes a :class:`~peloton_export.testing.FakeService` answer one
request (method and path) the way a hostile or broken server does, for every request
until :meth:`~peloton_export.testing.FakeService.clear_faults`:

``drip``
    ``200`` whose JSON body comes one byte every 0.2 s (the sink must give up within its
    ``timeout``, not wait for minutes);
``huge``
    ``200`` with a 16 MB + 1 byte body (the sink must stop reading at its cap);
``redirect``
    ``307`` to another loopback server, ``elsewhere`` (the sink must not follow: the request
    would carry its token or file there);
``html``
    ``200`` with an HTML page where JSON is expected.

:data:`EXPECTED` is the phrase the workout's one line carries for each kind, and
:func:`assert_one_line_each` checks a run's output the way the brief asks: one line per
workout naming it and the sink, no traceback, no secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from peloton_export.net.retry import MAX_ANSWER_BYTES
from peloton_export.testing.service import FakeService

__all__ = ["EXPECTED", "KINDS", "HostileKind", "assert_one_line_each", "make_hostile"]

HostileKind = Literal["drip", "huge", "redirect", "html"]
KINDS: tuple[HostileKind, ...] = ("drip", "huge", "redirect", "html")
#: The phrase of each kind in the workout's line (what the sink toolkit says).
EXPECTED: dict[HostileKind, str] = {
    "drip": "did not arrive in whole within",
    "huge": "is longer than 16 MB",
    "redirect": "not followed",
    "html": "not JSON",
}
HTML = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><p>Checking your browser before accessing the service.</p></body></html>"
)


def make_hostile(
    kind: HostileKind, fake: FakeService, method: str, path: str, *, elsewhere: str = ""
) -> None:
    """Make ``fake`` answer ``method path`` (a regular expression) as ``kind`` does.

    :param elsewhere: the base URL a ``redirect`` points to (another fake, to see that
        nothing reaches it).
    """
    if kind == "drip":
        fake.fault(method, path, 200, b'{"id": 1, "status": "ok"}' * 8, drip=0.2, times=None)
    elif kind == "huge":
        fake.fault(method, path, 200, b"[" + b" " * MAX_ANSWER_BYTES + b"]", times=None)
    elif kind == "redirect":
        fake.fault(method, path, 307, b"", headers={"Location": f"{elsewhere}/collect"}, times=None)
    else:
        fake.fault(method, path, 200, HTML, headers={"Content-Type": "text/html; charset=utf-8"}, times=None)


def assert_one_line_each(
    output: str, workout_ids: Iterable[str], sink: str, kind: HostileKind, secrets: Iterable[str]
) -> None:
    """Each workout has exactly one ``failed <id>: <sink>: ...`` line with :data:`EXPECTED`'s
    phrase; the output has no traceback and none of ``secrets``.

    :raises AssertionError: naming what is wrong.
    """
    assert "Traceback" not in output, output
    for secret in secrets:
        assert secret not in output, f"a secret reached the output: {secret[:6]}..."
    for workout_id in workout_ids:
        lines = [line for line in output.splitlines() if workout_id in line]
        assert len(lines) == 1, (workout_id, lines)
        line = lines[0]
        assert line.startswith(f"  failed {workout_id}: {sink}: "), line
        assert EXPECTED[kind] in line, (kind, line)
