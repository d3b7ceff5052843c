"""Every file the tool reads back is hostile (issue 29).

For each state file: the special files (a FIFO, a symlink to ``/dev/zero``, a sparse
300 MB file, a folder, a dangling symlink) are one warning or one error with the fix, in
under a second, never a hang; a Hypothesis property test over the file's fields (any JSON
value, ``NaN``, ``1e999``, huge integers) never raises and yields only typed, in-range
values. The status commands are tested through the real command line.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peloton_export import cli
from peloton_export.config import load_config
from peloton_export.errors import ConfigError, LocalFileError, PelotonExportError, UploadError
from peloton_export.formats.report.index import _load_cache
from peloton_export.net.cooldown import LoginCooldown
from peloton_export.net.tokens import TokenStore as SinkTokens
from peloton_export.readback import MAX_PID, MAX_TIMESTAMP, NON_FINITE, StateFileError, same_bytes
from peloton_export.sinkkit.journal import UploadJournal
from peloton_export.source.client.tokens import TokenStore as PelotonTokens
from peloton_export.store.runlock import run_lock
from peloton_export.unattended.notify import Notifier
from peloton_export.unattended.schedule import ServiceFile, read_installed, uninstall
from peloton_export.unattended.status import health, read_status, watch_status_lines
from tests.hypothesis_budget import examples

SPECIALS = ("fifo", "dev_zero", "sparse_300mb", "folder", "dangling")


def make_special(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "sparse_300mb":
        with path.open("wb") as handle:
            handle.truncate(300 * 1024 * 1024)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(path.parent / "gone")


def quick(call: Callable[[], Any], limit: float = 1.0) -> Any:
    """``call()`` in a thread: fails (instead of hanging the suite) if it takes over ``limit`` s."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=10)
    took = time.monotonic() - started
    assert not thread.is_alive(), "hung"
    assert took < limit, f"took {took:.2f} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@dataclass(frozen=True)
class StateFile:
    """One state file: where it lives under ``root``, and how the tool reads it.

    ``read(root)`` returns what the tool makes of it; ``absent`` is that value for a bad
    file; ``error`` (instead) the exception type a bad file raises, with ``fix`` in it.
    """

    name: str
    where: Callable[[Path], Path]
    read: Callable[[Path], Any]
    absent: Any = None
    error: type[BaseException] | None = None
    fix: str = ""


def _lock(root: Path) -> str:
    with run_lock(root / "state"):
        return "locked"


def _uninstall(root: Path) -> list[str]:
    path = root / "systemd" / "peloton-export.service"
    return uninstall("systemd", [ServiceFile(path, "")])


STATE_FILES = [
    StateFile(
        "watch status", lambda r: r / "state" / "watch-status.json", lambda r: read_status(r / "state")
    ),
    StateFile("run lock", lambda r: r / "state" / "run.lock", _lock, error=LocalFileError, fix="remove it"),
    StateFile(
        "login cooldown",
        lambda r: r / "state" / "login-cooldown.json",
        lambda r: LoginCooldown(r / "state" / "login-cooldown.json").state(),
    ),
    StateFile(
        "Peloton token",
        lambda r: r / "config" / "token.json",
        lambda r: PelotonTokens(r / "config" / "token.json", use_keyring=False).load(),
    ),
    StateFile(
        "sink token",
        lambda r: r / "config" / "strava-token.json",
        lambda r: SinkTokens(r / "config" / "strava-token.json").load(),
        error=UploadError,
        fix="log in again",
    ),
    StateFile(
        "sink journal and follow-ups",
        lambda r: r / "state" / "strava-journal.json",
        lambda r: UploadJournal(r / "state" / "strava-journal.json").entries(),
        absent={},
    ),
    StateFile(
        "notification state",
        lambda r: r / "state" / "notify-state.json",
        lambda r: Notifier(["json://localhost"], r / "state" / "notify-state.json")._load(),
        absent={},
    ),
    StateFile(
        "index-facts.cache",
        lambda r: r / "out" / "index-facts.cache",
        lambda r: _load_cache(r / "out" / "index-facts.cache"),
        absent={},
    ),
    StateFile(
        "Parquet receipt (and every exported file read back)",
        lambda r: r / "out" / "x.parquet-receipt",
        lambda r: same_bytes(r / "out" / "x.parquet-receipt", b'{"schema": "peloton-export/parquet@2"}\n'),
        absent=False,
    ),
    StateFile(
        "config",
        lambda r: r / "config.ini",
        lambda r: load_config(r / "config.ini", environ={}),
        error=ConfigError,
        fix="fix it or remove it",
    ),
    StateFile(
        "installed schedule file",
        lambda r: r / "systemd" / "peloton-export.service",
        _uninstall,
        error=PelotonExportError,
        fix="remove it",
    ),
]


@pytest.mark.parametrize("kind", SPECIALS)
@pytest.mark.parametrize("state", STATE_FILES, ids=lambda s: s.name)
def test_a_special_file_is_one_warning_or_one_error_in_under_a_second(
    state: StateFile, kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = state.where(tmp_path)
    make_special(path, kind)
    if state.name == "run lock" and kind == "sparse_300mb":  # a big regular file locks fine
        assert quick(lambda: state.read(tmp_path)) == "locked"
        return
    said = {"fifo": "a FIFO", "dev_zero": "a device", "sparse_300mb": "too large", "folder": "a folder"}
    with caplog.at_level(logging.WARNING):
        if state.error is not None:
            with pytest.raises(state.error) as raised:
                quick(lambda: state.read(tmp_path))
            message = str(raised.value)
            assert "\n" not in message and str(path) in message and state.fix in message, message
            assert said.get(kind, "dangling symlink") in message, message
        else:
            assert quick(lambda: state.read(tmp_path)) == state.absent
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if state.error is None and state.absent is not False:  # a read-back comparison says nothing
        assert len(warnings) == 1 and str(path) in warnings[0], warnings
        assert said.get(kind, "dangling symlink") in warnings[0], warnings


# -- the fields of each file ----------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 1e300, -1e300, 2**63, 4_194_305, 253_402_300_800]),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
HYPO = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fields_of(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={key: JSON for key in keys})


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")  # NaN, Infinity as Python writes them


def in_range(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and 0 <= value <= MAX_TIMESTAMP)


STATUS_KEYS = ["state", "pid", "started_at", "finished_at", "outcome", "message", "counts"]
STATUS_KEYS += ["next_run_at", "failures", "last_ok_at", "interval"]


@HYPO
@given(obj=fields_of(STATUS_KEYS))
def test_watch_status_fields(tmp_path: Path, obj: dict[str, Any]) -> None:
    write_json(tmp_path / "watch-status.json", {"format": 1, **obj})
    status = read_status(tmp_path)
    assert status is not None
    assert status.pid == 0 or 1 <= status.pid <= MAX_PID
    assert status.failures >= 0 and all(v >= 0 for v in status.counts.values())
    assert all(
        in_range(t) for t in (status.started_at, status.finished_at, status.next_run_at, status.last_ok_at)
    )
    assert math.isfinite(status.interval)
    watch_status_lines(tmp_path)
    ok, reason = health(tmp_path, time.time())
    assert isinstance(ok, bool) and "\n" not in reason


@HYPO
@given(obj=fields_of(["until", "not_before", "failures", "reason"]))
def test_login_cooldown_fields(tmp_path: Path, obj: dict[str, Any]) -> None:
    path = tmp_path / "login-cooldown.json"
    write_json(path, obj)
    cooldown = LoginCooldown(path, now=lambda: 1_700_000_000.0)
    state = cooldown.state()
    if state is not None:
        assert in_range(state.until) and 0 <= state.failures <= 1000
    assert 0 <= cooldown.remaining() < math.inf
    after = cooldown.fail("x")
    assert after.remaining(1_700_000_000.0) <= cooldown.cap


@HYPO
@given(obj=fields_of(["access_token", "refresh_token", "session_id", "expires_at", "user_id", "source"]))
def test_peloton_token_fields(tmp_path: Path, obj: dict[str, Any]) -> None:
    path = tmp_path / "token.json"
    write_json(path, obj)
    token = PelotonTokens(path, use_keyring=False).load()
    if token is not None:
        assert in_range(token.expires_at)
        assert all(
            isinstance(v, str | None) for v in (token.access_token, token.refresh_token, token.user_id)
        )
        token.expired(1_700_000_000.0)


@HYPO
@given(obj=fields_of(["access_token", "refresh_token", "expires_at", "expires_in", "scope", "athlete_id"]))
@example(obj={"access_token": {"\n": math.inf}})  # the key's newline reached the one-line error
def test_sink_token_fields(tmp_path: Path, obj: dict[str, Any]) -> None:
    path = tmp_path / "strava-token.json"
    write_json(path, obj)
    try:
        data = SinkTokens(path).load()
    except UploadError as exc:
        assert "log in again" in str(exc) and "\n" not in str(exc)
        return
    assert data is not None and NON_FINITE not in data.values()
    assert in_range(data.get("expires_at"))


ENTRY = fields_of(["phase", "at", "upload_id", "remote_id", "state", "pending", "tried_at", "pending_error"])


@HYPO
@given(entries=st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(ENTRY, JSON), max_size=3))
def test_sink_journal_and_follow_up_fields(tmp_path: Path, entries: dict[str, Any]) -> None:
    path = tmp_path / "journal.json"
    write_json(path, entries)
    journal = UploadJournal(path)
    for entry in journal.entries().values():
        assert entry.get("phase") in ("sending", "sent", "done", None)
        assert in_range(entry.get("at")) and in_range(entry.get("tried_at"))
        assert all(isinstance(v, str) for v in (entry.get("pending") or {}).values())
    journal.note("w1", upload_id="u1")  # rewrites the file from what was read
    assert journal.get("w1") is not None


@HYPO
@given(
    sent=st.one_of(JSON, st.dictionaries(st.text(max_size=5), st.dictionaries(st.text(max_size=5), NUMBERS)))
)
def test_notification_state_fields(tmp_path: Path, sent: Any) -> None:
    path = tmp_path / "notify.json"
    write_json(path, {"format": 1, "sent": sent})
    loaded = Notifier(["json://localhost"], path)._load()
    assert all(in_range(when) for keys in loaded.values() for when in keys.values())


@HYPO
@given(pages=st.dictionaries(st.text(max_size=8), JSON, max_size=3), facts=JSON)
def test_index_facts_cache_fields(tmp_path: Path, pages: dict[str, Any], facts: Any) -> None:
    path = tmp_path / "index-facts.cache"
    good = {"v": 1, "id": "w", "page": "w.html", "start": "2026-01-01T00:00:00Z", "curve": {"5": facts}}
    write_json(path, {"v": 1, "pages": {**pages, "w.html": {"key": "k", "facts": good}}})
    loaded = _load_cache(path)
    for entry in loaded.values():
        json.dumps(entry, allow_nan=False)  # every number finite: the page renders it as is


@HYPO
@given(content=st.binary(max_size=64), data=st.binary(max_size=64))
def test_parquet_receipt_read_back(tmp_path: Path, content: bytes, data: bytes) -> None:
    path = tmp_path / "x.parquet-receipt"
    path.write_bytes(content)
    assert same_bytes(path, data) == (content == data)


@HYPO
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            "ignore_warnings": st.text(max_size=6),
            "ssl_verify": st.sampled_from(["true", "no", "maybe", "1e999"]),
            "username": st.text(max_size=10),
        },
    )
)
def test_config_fields(tmp_path: Path, values: dict[str, str]) -> None:
    path = tmp_path / "config.ini"
    clean = {k: " ".join(v.split()).replace("%", "") for k, v in values.items()}
    path.write_text("[peloton]\n" + "".join(f"{k} = {v}\n" for k, v in clean.items()), encoding="utf-8")
    try:
        config = load_config(path, environ={})
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(config.ssl_verify, bool) and isinstance(config.ignore_warnings, bool)


@HYPO
@given(text=st.text(max_size=200), ours=st.booleans())
def test_installed_schedule_file_fields(tmp_path: Path, text: str, ours: bool) -> None:
    path = tmp_path / f"unit{int(ours)}" / "peloton-export.service"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ("Description=Export new Peloton workouts (peloton-export watch --once)\n" if ours else "") + text
    path.write_text(body, encoding="utf-8")
    assert read_installed("systemd", path) == body.replace("\r\n", "\n") or read_installed("systemd", path)
    removed = uninstall("systemd", [ServiceFile(path, "")])
    mine = any(line.startswith("Description=") and "peloton-export" in line for line in body.splitlines())
    assert (removed == [str(path)]) == mine and path.exists() != mine


@HYPO
@given(content=st.binary(max_size=64))
def test_run_lock_content_is_never_read(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "run.lock").write_bytes(content)
    with run_lock(tmp_path):
        pass


def test_non_finite_numbers_never_reach_a_field(tmp_path: Path) -> None:
    path = tmp_path / "strava-token.json"
    path.write_text('{"access_token": "a", "expires_at": 1e999}', encoding="utf-8")
    with pytest.raises(UploadError, match=r"expires_at: not a finite number.*log in again"):
        SinkTokens(path).load()
    with pytest.raises(StateFileError):
        from peloton_export.readback import parse_state_json

        parse_state_json(b'{"a": ', path)


# -- point 1 of the issue, through the real command line ------------------------------------

CASES = {
    "pid_infinite": '"pid": 1e999',
    "failures_nan": '"failures": NaN',
    "finished_at_1e300": '"finished_at": 1e300',
    "next_run_at_inf": '"next_run_at": Infinity',
    "started_at_minus_1e300": '"started_at": -1e300',
}


@pytest.fixture
def home(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PELOTON", "XDG_"))},
        "HOME": str(tmp_path / "home"),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
        "PELOTON_CONFIG": os.devnull,
        "PELOTON_API_URL": "http://127.0.0.1:9",  # nothing listens: no network ever
    }
    (tmp_path / "state").mkdir()
    yield env


def write_case(state: Path, case: str) -> Path:
    path = state / "watch-status.json"
    if case == "dev_zero":
        path.symlink_to("/dev/zero")
    elif case == "fifo":
        os.mkfifo(path)
    else:
        now = int(time.time())
        base = {"format": 1, "state": "waiting", "outcome": "ok", "pid": 4242, "failures": 0}
        base |= {"started_at": now - 60, "finished_at": now - 50, "next_run_at": now + 3600}
        key = CASES[case].split(":")[0].strip('"')
        del base[key]
        path.write_text(json.dumps(base)[:-1] + ", " + CASES[case] + "}", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", [*CASES, "dev_zero", "fifo"])
@pytest.mark.parametrize("command", ["status", "watch --health"])
def test_the_status_commands_answer_within_a_second(
    home: dict[str, str], tmp_path: Path, case: str, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_case(tmp_path / "state", case)
    for key in [k for k in os.environ if k.startswith(("PELOTON", "XDG_"))]:
        monkeypatch.delenv(key)
    for key, value in home.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path / "warm-up"))
    cli.run(command.split())  # the first call imports the command's modules: not measured
    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", home["PELOTON_EXPORT_STATE_DIR"])
    code = quick(lambda: cli.run(command.split()))
    assert code in (0, 1)


def test_a_token_file_nested_100000_deep_is_read_without_a_recursion_error(tmp_path: Path) -> None:
    """Found by a hostile review: the redaction's parse of the token text raised RecursionError."""
    from peloton_export.net.tokens import TokenStore

    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "token.json"
    path.write_text(deep)
    assert TokenStore(path).load_text() == deep  # the caller's own parse reports it as bad
    TokenStore(tmp_path / "again.json").save_text(deep)


@pytest.mark.parametrize(
    "bad",
    [
        ["tok-SECRET-0123456789abcdef"],  # the real token wrapped in a list
        {"value": "tok-SECRET-0123456789abcdef"},
        "tok-SECRET-0123456789abcdef" + "x" * 20_000,  # too long: its start is the token
    ],
)
def test_a_bad_token_field_never_shows_the_token(tmp_path: Path, bad: Any) -> None:
    """The bad-field problem of a token file reaches the error line, the ledger and
    ``status``: a token field is named by type and size, its value is never shown (it
    showed the first 37 characters)."""
    for key in ("access_token", "refresh_token"):
        path = tmp_path / f"{key}.json"
        write_json(path, {key: bad, "expires_at": 1_900_000_000})
        with pytest.raises(UploadError) as info:
            SinkTokens(path).load()
        assert "SECRET" not in str(info.value) and f"{key}: a {type(bad).__name__}" in str(info.value)
        peloton = PelotonTokens(path, use_keyring=False)
        try:
            loaded = peloton.load()
        except Exception as exc:  # whatever it raises, the token is not in it
            assert "SECRET" not in str(exc)
        else:
            assert loaded is None or "SECRET" not in repr(loaded.access_token)
