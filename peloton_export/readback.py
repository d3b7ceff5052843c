"""One reader for every state file the tool reads back (status, locks, cooldowns, tokens,
journals, caches, receipts, the config, installed schedule files).

Such files may hold anything: a restore from backup, another tool writing the state folder,
disk corruption. :func:`read_state_bytes` reads regular files only, refusing without
blocking a FIFO, device or socket (also behind a symlink: the file is opened with
``O_NONBLOCK`` and checked with ``fstat`` before a byte is read), a folder, a dangling
symlink and a file over a size cap. :func:`parse_state_json` parses JSON with every
non-finite number (``NaN``, ``Infinity``, ``1e999``) replaced by :data:`NON_FINITE`, which
every typed getter of :class:`Fields` refuses, so one bad field is one bad field, not a bad
file. :func:`load_state` puts it together: a bad file or field is one warning naming the
file and what was wrong, then treated as absent (or, with ``strict``, a
:class:`StateFileError` carrying the fix), never a traceback and never a hang.

Only the standard library: this module is the bottom layer of the stage contract in
``pyproject.toml`` (under ``peloton_export.config``, which reads the config file through it,
so it cannot live in ``store/`` beside :mod:`peloton_export.store.atomic`).
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import stat
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MAX_COUNT",
    "MAX_PID",
    "MAX_STATE_BYTES",
    "NON_FINITE",
    "Fields",
    "StateFileError",
    "check_replaceable",
    "load_state",
    "parse_state_json",
    "read_state_bytes",
    "same_bytes",
    "warn_once",
]

log = logging.getLogger("peloton_export.state")

T = TypeVar("T")

#: The default size cap of a state file (1 MB; callers with larger files pass their own).
MAX_STATE_BYTES = 1024 * 1024
#: The largest process id taken as plausible (Linux's ``PID_MAX_LIMIT``, 2**22).
MAX_PID = 4_194_304
#: The largest count taken as plausible (a run, failure or sample count).
MAX_COUNT = 10**12
#: The latest timestamp accepted (9999-12-31 23:59:59 UTC), if the platform can show it.
MAX_TIMESTAMP = 253_402_300_799.0


class StateFileError(ValueError):
    """A state file that cannot be used; the message names the file and what is wrong.

    ``path`` is the file, ``problem`` the reason alone (no path).
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class _NonFinite:
    """The marker of a JSON number that is not finite (``NaN``, ``Infinity``, ``1e999``)."""

    _instance: _NonFinite | None = None

    def __new__(cls) -> _NonFinite:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "a non-finite number"


#: What :func:`parse_state_json` puts where the file had a non-finite number.
NON_FINITE: Any = _NonFinite()

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(message: str) -> None:
    """Log ``message`` as a warning, once per process (state files are read again and again)."""
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    log.warning("%s", message)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _link(path: Path) -> str:
    """What the symlink ``path`` is: ``a symlink (to /dev/zero, a device)``, ``a dangling
    symlink (to gone)``."""
    target = os.readlink(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"a dangling symlink (to {target})"
    except OSError:
        return f"a symlink (to {target})"
    kind = "" if stat.S_ISREG(mode) else f", {_kind(mode)}"
    return f"a symlink (to {target}{kind})"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def check_replaceable(path: Path) -> bool:
    """Whether ``path`` exists, after checking it is a regular file (or a symlink to one).

    For files the tool writes over or removes (a lock, an installed schedule file): a FIFO,
    device, socket, folder or dangling symlink there is refused rather than written through.

    :raises StateFileError: what is there is not a regular file.
    """
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # no folder yet: the caller makes (or cannot make) it
        return False
    except OSError as exc:
        raise StateFileError(path, f"cannot be checked ({exc.strerror or exc})") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise StateFileError(path, f"is a dangling symlink (to {os.readlink(path)})") from None
        except OSError as exc:
            raise StateFileError(
                path, f"is a symlink that cannot be followed ({exc.strerror or exc})"
            ) from None
    if not stat.S_ISREG(info.st_mode):
        raise StateFileError(path, f"is {_kind(info.st_mode)}, not a regular file")
    return True


def _open(path: Path, follow: bool) -> int | None:
    """``path`` opened to read (without following a symlink unless ``follow``), ``None``
    when it is gone.

    :raises StateFileError: it cannot be opened, or is a symlink and ``follow`` is false.
    """
    nofollow = 0 if follow else getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | nofollow)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise StateFileError(path, "is a symlink, not a file of its own") from None
        raise StateFileError(path, f"cannot be read ({exc.strerror or exc})") from None


def read_state_bytes(path: Path, *, limit: int = MAX_STATE_BYTES, follow: bool = True) -> bytes | None:
    """The bytes of the regular file ``path`` (at most ``limit``), ``None`` when there is none.

    ``follow=False`` refuses a symlink in ``path``'s place (a login file: read only from
    the file it was saved in, never through a link to another's), also when one replaces
    the file between the check and the read.

    :raises StateFileError: ``path`` is a FIFO, device, socket, folder, dangling symlink
        (any symlink with ``follow=False``), larger than ``limit`` bytes, or unreadable
        (the message says which).
    """
    path = Path(path)
    if not follow and os.path.islink(path):
        raise StateFileError(path, f"is {_link(path)}, not a file of its own")
    try:
        info = os.stat(path)  # follows a symlink: what would be read
    except FileNotFoundError:
        if os.path.islink(path):
            raise StateFileError(path, f"is a dangling symlink (to {os.readlink(path)})") from None
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        raise StateFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):  # not even opened: a device may act on open
        raise StateFileError(path, f"is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > limit:
        raise StateFileError(path, f"is too large ({_mb(info.st_size)}, limit {_mb(limit)})")
    fd = _open(path, follow)
    if fd is None:
        return None
    try:
        info = os.fstat(fd)  # replaced between stat and open: check what was opened
        if not stat.S_ISREG(info.st_mode):
            raise StateFileError(path, f"is {_kind(info.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise StateFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise StateFileError(path, f"grew over {_mb(limit)} while it was read")
    return b"".join(chunks)


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether the regular file at ``path`` holds exactly ``data`` (an exported file, a
    receipt or a dataset file read back before rewriting it). A FIFO, device, folder or
    file of another size there is not the same, and is never read past ``len(data)``."""
    try:
        return read_state_bytes(path, limit=len(data)) == data
    except StateFileError:
        return False


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else NON_FINITE


def parse_state_json(data: bytes, path: Path) -> Any:
    """Parse ``data`` (UTF-8 JSON, a BOM allowed); non-finite numbers become :data:`NON_FINITE`.

    :raises StateFileError: empty, not UTF-8, not JSON, or nested too deeply.
    """
    if not data.strip():
        raise StateFileError(path, "is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StateFileError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=lambda _name: NON_FINITE, parse_float=_float)
    except RecursionError:
        raise StateFileError(path, "is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int() of a 5,000-digit number
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(";")[0]
        raise StateFileError(path, f"is not valid JSON ({detail})") from None


def _show(value: object) -> str:
    if value is NON_FINITE:
        return "not a finite number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Fields:
    """Typed, validated getters over one JSON object of a state file.

    A getter returns the field's value when it has the right type and range, else the
    default, and notes the problem in :attr:`problems` (``"pid: 0.5, expected ..."``).
    A missing key (or ``null``) is the default without a problem.
    """

    def __init__(self, obj: Mapping[str, Any], *, path: Path | str = "", prefix: str = "") -> None:
        self.obj = obj
        self.path = Path(path)
        self.prefix = prefix
        self.problems: list[str] = []

    def _bad(self, key: str, value: object, expected: str) -> None:
        self.problems.append(f"{self.prefix}{key}: {_show(value)}, expected {expected}")

    def _get(self, key: str) -> Any:
        return self.obj.get(key)

    def _real(self, key: str) -> float | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return math.nan
        return float(value) if not isinstance(value, int) or abs(value) < 2**63 else math.inf

    def timestamp(self, key: str, default: float | None = None) -> float | None:
        """Unix seconds, UTC, from 1970 to 9999 and within the platform's ``time_t``."""
        value = self._real(key)
        if value is None:
            return default
        if math.isfinite(value) and 0 <= value <= MAX_TIMESTAMP:
            try:
                datetime.fromtimestamp(value, UTC)
                time.gmtime(value)
            except (OverflowError, OSError, ValueError):
                pass
            else:
                return value
        self._bad(key, self._get(key), "Unix seconds between 1970 and 9999")
        return default

    def number(self, key: str, default: float | None, *, low: float, high: float) -> float | None:
        """A finite number in ``low..high``."""
        value = self._real(key)
        if value is None:
            return default
        if math.isfinite(value) and low <= value <= high:
            return value
        self._bad(key, self._get(key), f"a number from {low:g} to {high:g}")
        return default

    def count(self, key: str, default: int = 0, *, high: int = MAX_COUNT) -> int:
        """A whole number in ``0..high``."""
        value = self._real(key)
        if value is None:
            return default
        if math.isfinite(value) and 0 <= value <= high and value == int(value):
            return int(value)
        self._bad(key, self._get(key), f"a whole number from 0 to {high}")
        return default

    def pid(self, key: str, default: int = 0) -> int:
        """A process id in ``1..MAX_PID``; ``0`` is none (what a status file of no running
        process, a household profile's, holds), read as ``default``."""
        value = self._real(key)
        if value is None or value == 0:
            return default
        if math.isfinite(value) and 1 <= value <= MAX_PID and value == int(value):
            return int(value)
        self._bad(key, self._get(key), f"a process id from 1 to {MAX_PID}")
        return default

    def text(
        self, key: str, default: str | None = "", *, max_len: int = 2000, secret: bool = False
    ) -> str | None:
        """A string of at most ``max_len`` characters. With ``secret`` (a token), a bad value
        is named by its type and size only, never shown (the problem reaches error lines,
        the ledger and ``status``)."""
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, str) and len(value) <= max_len:
            return value
        if secret:
            size = f" of {len(value)}" if isinstance(value, str | list | dict) else ""
            self.problems.append(
                f"{self.prefix}{key}: a {type(value).__name__}{size} (not shown), "
                f"expected text of at most {max_len} characters"
            )
            return default
        self._bad(key, value, f"text of at most {max_len} characters")
        return default

    def choice(self, key: str, choices: Collection[str], default: str | None) -> str | None:
        """One of ``choices``."""
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, str) and value in choices:
            return value
        self._bad(key, value, "one of " + ", ".join(sorted(choices)))
        return default

    def flag(self, key: str, default: bool = False) -> bool:
        """``true`` or ``false``."""
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self._bad(key, value, "true or false")
        return default

    def mapping(self, key: str) -> dict[str, Any]:
        """A JSON object (``{}`` when missing or not one)."""
        value = self._get(key)
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self._bad(key, value, "an object")
        return {}

    def counts(self, key: str) -> dict[str, int]:
        """An object of whole numbers ``0..MAX_COUNT`` (bad entries are left out)."""
        inner = Fields(self.mapping(key), path=self.path, prefix=f"{self.prefix}{key}.")
        out = {str(name): inner.count(str(name), -1) for name in inner.obj}
        self.problems += inner.problems
        return {name: value for name, value in out.items() if value >= 0}


def load_state(
    path: Path,
    parse: Callable[[Fields], T],
    *,
    what: str,
    limit: int = MAX_STATE_BYTES,
    strict: bool = False,
    fix: str = "",
    data: bytes | None = None,
) -> T | None:
    """Read, parse and validate the JSON object in ``path`` with ``parse``.

    ``parse`` gets the file's :class:`Fields` and returns the typed value, using the
    getters' defaults for bad fields. ``None`` when there is no file. A file that cannot be
    used (see :func:`read_state_bytes` and :func:`parse_state_json`, or not a JSON object)
    is one warning (``ignoring the <what> <path>: <problem>``) and ``None``; bad fields are
    one warning naming them, and the value is kept with their defaults. ``data`` gives the
    bytes when they were read already (a keyring entry).

    :raises StateFileError: with ``strict``, for a bad file or any bad field, with ``fix``
        appended to the message (``"log in again"``).
    """
    try:
        if data is None:
            data = read_state_bytes(path, limit=limit)
            if data is None:
                return None
        obj = parse_state_json(data, path)
        if not isinstance(obj, dict):
            raise StateFileError(path, f"holds a JSON {type(obj).__name__}, not a JSON object")
        fields = Fields(obj, path=path)
        value = parse(fields)
    except StateFileError as exc:
        if strict:
            raise StateFileError(path, f"{exc.problem}; {fix}" if fix else exc.problem) from None
        warn_once(f"ignoring the {what} {path}: it {exc.problem}")
        return None
    if fields.problems:
        problems = "; ".join(fields.problems[:5])
        more = f" and {len(fields.problems) - 5} more" if len(fields.problems) > 5 else ""
        if strict:
            raise StateFileError(path, f"has bad fields ({problems}{more})" + (f"; {fix}" if fix else ""))
        warn_once(f"the {what} {path} has bad fields, ignored: {problems}{more}")
    return value
