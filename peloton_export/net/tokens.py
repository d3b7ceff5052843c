"""One token store for every login: a JSON object in the system keyring or a 0600 file.

Used by the Peloton client (:class:`peloton_export.source.client.tokens.TokenStore` wraps it) and
by every upload plugin. The file is written atomically with mode 0600 in a 0700 folder;
with ``keyring_name`` the system keyring (service ``peloton-export``) is used instead when
the ``keyring`` package is installed and has a working backend, with the file as the
fallback. Every string value read or written is registered with
:func:`~peloton_export.net.redaction.protect`, so it never reaches a log line.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from peloton_export.errors import UploadError
from peloton_export.net.redaction import protect
from peloton_export.readback import NON_FINITE, Fields, StateFileError, load_state, read_state_bytes
from peloton_export.store.atomic import write_bytes_atomic

#: The largest token file read (logins are a few kB).
MAX_TOKEN_BYTES = 1024 * 1024
#: What a message about an unusable token file says to do.
LOG_IN_AGAIN = "log in again to replace it"

__all__ = ["KEYRING_SERVICE", "TokenStore"]

log = logging.getLogger("peloton_export.tokens")

KEYRING_SERVICE = "peloton-export"


def _load_keyring() -> ModuleType | None:
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None
    except Exception as exc:  # a broken keyring install: say so once, use the file
        log.warning("the keyring package cannot be loaded (%s); using the token file", _describe(exc))
        return None


def _describe(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 200 characters (backend errors can be long)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def keyring_name(keyring: Any) -> str:
    """The keyring backend's name for messages (``keyring.backends.SecretService.Keyring``)."""
    try:
        backend = keyring.get_keyring() if hasattr(keyring, "get_keyring") else keyring
    except Exception:  # the backend may fail to load; the module still has a name
        backend = keyring
    cls = type(backend)
    if isinstance(backend, ModuleType):
        return backend.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_private(path: Path) -> None:
    """A token file read must be its reader's own: owned by this user (root reads any: a
    container's volume) and readable by no one else (a looser one, copied or restored
    without its mode, is made 0600 with a warning).

    :raises UploadError: the file belongs to another user.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return  # gone since it was read: the text read is what counts
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if uid not in (None, 0) and info.st_uid != uid:
        raise UploadError(
            f"the token file {path} belongs to another user (uid {info.st_uid}), not to you "
            f"(uid {uid}): a login is read only from your own; {LOG_IN_AGAIN}"
        )
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        try:
            os.chmod(path, 0o600)
        except OSError as exc:
            log.warning("the token file %s is readable by others and cannot be made 0600 (%s)", path, exc)
        else:
            log.warning(
                "the token file %s was readable by others (mode %04o): made 0600; if others could "
                "read it, log out and log in again",
                path,
                stat.S_IMODE(info.st_mode),
            )


def _protect_text(text: str) -> None:
    """Register the secret values of a stored token text with the log redaction; text that
    is not JSON (or nested too deeply to parse) has none to register."""
    with contextlib.suppress(ValueError, RecursionError):
        _protect_values(json.loads(text))


def _protect_values(data: Any) -> None:
    if isinstance(data, Mapping):
        protect(*(v for v in data.values() if isinstance(v, str)))


class TokenStore:
    """Credentials kept as one JSON object.

    :param path: the file (mode 0600, folder 0700) used when no keyring is.
    :param keyring_name: the keyring entry's user name; ``None`` keeps the store in the file.
        Made while a named household profile is active (:mod:`peloton_export.profiles`), the
        entry is ``<keyring_name>:<profile>``: each member's login is their own.
    :param keyring: a keyring module or object (tests); default: ``import keyring`` if installed.
    """

    def __init__(self, path: Path, *, keyring_name: str | None = None, keyring: Any | None = None) -> None:
        from peloton_export.paths import DEFAULT_PROFILE, active_profile

        self.path = Path(path)
        profile = active_profile()
        if keyring_name is not None and profile != DEFAULT_PROFILE:
            keyring_name = f"{keyring_name}:{profile}"
        self.keyring_name = keyring_name
        self.keyring: Any | None = None
        if keyring_name is not None:
            self.keyring = keyring if keyring is not None else _load_keyring()

    # -- text level -----------------------------------------------------------------------

    def _keyring_failed(self, exc: Exception) -> None:
        # keyring installed without any backend (a server, a container): not a failure worth
        # a warning on every run; the token file is the documented default there
        quiet = type(exc).__name__ == "NoKeyringError"
        (log.info if quiet else log.warning)(
            "the keyring %s failed (%s); using the token file %s",
            keyring_name(self.keyring),
            _describe(exc),
            self.path,
        )
        self.keyring = None

    def load_text(self) -> str | None:
        """The stored text, or ``None`` when nothing is stored.

        :raises UploadError: the file exists but cannot be read.
        """
        if self.keyring is not None:
            try:
                value = self.keyring.get_password(KEYRING_SERVICE, self.keyring_name)
            except Exception as exc:  # any backend failure: fall back to the file
                self._keyring_failed(exc)
            else:
                if isinstance(value, str):
                    _protect_text(value)
                    return value
        try:
            raw = read_state_bytes(self.path, limit=MAX_TOKEN_BYTES, follow=False)
        except StateFileError as exc:
            raise UploadError(f"the token file {exc}; {LOG_IN_AGAIN}") from None
        if raw is None:
            return None
        _check_private(self.path)
        text = raw.decode("utf-8", errors="replace")
        _protect_text(text)
        return text

    def save_text(self, text: str) -> str:
        """Replace the stored text; returns where it went (``keyring`` or the file path)."""
        _protect_text(text)
        if self.keyring is not None:
            try:
                self.keyring.set_password(KEYRING_SERVICE, self.keyring_name, text)
            except Exception as exc:  # any backend failure: fall back to the file
                self._keyring_failed(exc)
            else:
                self.path.unlink(missing_ok=True)
                return "keyring"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.path.parent, 0o700)
        write_bytes_atomic(self.path, text.encode("utf-8"), mode=0o600)
        return str(self.path)

    def clear(self) -> bool:
        """Forget the stored credentials (log out); True if there were any."""
        found = False
        if self.keyring is not None:
            try:
                if self.keyring.get_password(KEYRING_SERVICE, self.keyring_name) is not None:
                    self.keyring.delete_password(KEYRING_SERVICE, self.keyring_name)
                    found = True
            except Exception as exc:  # any backend failure: the file is still removed
                log.warning(
                    "the keyring %s failed (%s): the saved login may still be in it; "
                    "remove the %r entry of service %r with your keyring tool",
                    keyring_name(self.keyring),
                    _describe(exc),
                    self.keyring_name,
                    KEYRING_SERVICE,
                )
        try:
            self.path.unlink()
            found = True
        except FileNotFoundError:
            pass
        return found

    # -- JSON object level ----------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        """The stored JSON object, or ``None`` when nothing is stored.

        :raises UploadError: unreadable, not JSON, not a JSON object, a non-finite number
            anywhere, or a common field of the wrong type (:func:`check_token_fields`);
            the message names the file and says to log in again.
        """
        text = self.load_text()
        if text is None:
            return None
        try:
            data = load_state(
                self.path,
                check_token_fields,
                what="token file",
                strict=True,
                fix=LOG_IN_AGAIN,
                data=text.encode("utf-8"),
            )
        except StateFileError as exc:
            raise UploadError(f"the token file {exc}") from None
        return data

    def save(self, data: Mapping[str, Any]) -> str:
        """Replace the stored object atomically; returns where it went."""
        return self.save_text(json.dumps(dict(data), indent=2, sort_keys=True))


def _key_name(key: str) -> str:
    """A key as it may appear in a one-line message: itself when it is a plain name, else
    quoted with its control characters escaped, cut to 40 characters."""
    if key.isidentifier() and len(key) <= 40:
        return key
    quoted = json.dumps(key)
    return quoted if len(quoted) <= 40 else quoted[:37] + '..."'


def _finite_everywhere(value: Any, where: str, fields: Fields) -> None:
    if value is NON_FINITE:
        fields.problems.append(f"{where or 'a value'} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _key_name(str(key))
            _finite_everywhere(item, f"{where}.{name}" if where else name, fields)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite_everywhere(item, f"{where}[{index}]", fields)


def check_token_fields(fields: Fields) -> dict[str, Any]:
    """The token object, after checking it: no non-finite number anywhere, the common
    fields typed (``access_token``, ``refresh_token``, ``token_type``, ``scope`` text of at
    most 16,384 characters; ``expires_at`` Unix seconds in the platform's range;
    ``expires_in`` 0 to 10 years in seconds). Problems go to ``fields.problems``."""
    _finite_everywhere(fields.obj, "", fields)
    for key in ("access_token", "refresh_token", "token_type", "scope"):
        if not (key == "scope" and isinstance(fields.obj.get(key), list)):  # Strava's may be a list
            fields.text(key, None, max_len=16_384, secret=key.endswith("_token"))
    fields.timestamp("expires_at")
    fields.number("expires_in", None, low=0, high=10 * 366 * 86400.0)
    return dict(fields.obj)
