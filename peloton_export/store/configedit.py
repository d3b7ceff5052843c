"""Changing keys of the INI config file in place: comments, blank lines, the order of
sections and keys, and every other line are kept (``configparser`` would drop comments).

:func:`set_keys` replaces a key's line (and its indented continuation lines), appends a
missing key after the last key line of its section, adds a missing section at the end,
and removes a key set to ``None``. :func:`write_config` replaces the file atomically,
keeping its mode (a new file is 0600: a config may hold passwords).
"""

from __future__ import annotations

import configparser
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from peloton_export.errors import ConfigError

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^(?P<key>[^\s=:#;][^=:]*?)\s*[=:]")


def _is_continuation(line: str) -> bool:
    return bool(line[:1].isspace()) and bool(line.strip())


def set_keys(
    text: str, section: str, values: Mapping[str, str | None], *, matches: Callable[[str], bool] | None = None
) -> str:
    """``text`` with each key of ``values`` set in ``[section]`` (``None``: removed).

    ``matches(name)`` picks the section header (default: the name, spaces stripped, equal
    to ``section``); a new section is written as ``[section]``. A value holding a line
    break is refused.

    :raises ConfigError: a value with a line break, or the result is no longer INI.
    """
    for key, value in values.items():
        if value is not None and ("\n" in value or "\r" in value):
            raise ConfigError(f"{key}: a value is one line")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    found = _find_section(lines, matches or (lambda name: name.strip() == section))
    pending = dict(values)
    if found is None:
        added = [f"{k} = {v}\n" for k, v in pending.items() if v is not None]
        if not added:
            return "".join(lines)
        gap = ["\n"] if lines and lines[-1].strip() else []
        out = "".join([*lines, *gap, f"[{section}]\n", *added])
    else:
        start, stop = found
        kept = _rewrite(lines[start + 1 : stop], pending)
        out = "".join([*lines[: start + 1], *kept, *lines[stop:]])
    _check(out)
    return out


def _find_section(lines: list[str], pick: Callable[[str], bool]) -> tuple[int, int] | None:
    """(header line, first line after the section) of the first section ``pick`` takes."""
    start = None
    for i, line in enumerate(lines):
        header = _SECTION.match(line)
        if header is None:
            continue
        if start is not None:
            return start, i
        if pick(header["name"]):
            start = i
    return None if start is None else (start, len(lines))


def _rewrite(body: list[str], pending: dict[str, str | None]) -> list[str]:
    """A section's lines with the keys of ``pending`` replaced, removed or appended
    (after its last key line); ``pending`` is emptied of the keys found."""
    kept: list[str] = []
    last_key = -1
    i = 0
    while i < len(body):
        found = _KEY.match(body[i])
        name: str | None = found["key"].strip().lower() if found else None
        j = i + 1
        while found and j < len(body) and _is_continuation(body[j]):
            j += 1
        if name is not None and name in pending:
            new = pending.pop(name)
            if new is not None:
                kept.append(f"{name} = {new}\n")
                last_key = len(kept) - 1
        else:
            kept.extend(body[i:j])
            if found:
                last_key = len(kept) - 1
        i = j
    kept[last_key + 1 : last_key + 1] = [f"{k} = {v}\n" for k, v in pending.items() if v is not None]
    return kept


def _check(text: str) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ConfigError(
            f"the changed config would not be INI any more: {str(exc).splitlines()[0]}"
        ) from None


def write_config(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, keeping its mode (new: 0600).

    A ``path`` that is a symlink (a dotfiles manager's) is written through: the file it
    points to is replaced and the link kept, as an editor would do; replacing the link
    itself left the pointed-to file unchanged and the link gone."""
    from peloton_export.store.atomic import write_bytes_atomic

    path = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o600
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)


__all__ = ["set_keys", "write_config"]
