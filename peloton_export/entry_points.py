"""Installed entry points of one group, read without importing :mod:`importlib.metadata`.

Every start-up of the command line asks which plugins are installed (the ``peloton_export``
entry-point group). :func:`importlib.metadata.entry_points` answers it, but importing that
module pulls in ``email``, ``zipfile``, ``csv`` and more, and reading a plugin's
distribution name parses its whole ``METADATA``: together a third of what ``--help`` cost
(``benchmarks/bench_startup.py``). In the common layout (``*.dist-info`` and ``*.egg-info``
folders in the ``sys.path`` directories, nothing but the standard path finder looking for
distributions) this module reads the same ``entry_points.txt`` files the same way
(first distribution of a name on the path wins, ``name = module:attr [extras]`` lines under
``[group]`` headers) and leaves the metadata unread until a name or version is asked for.
Anything else (a zip file or an ``.egg`` on the path, another distribution finder) is left
to :mod:`importlib.metadata` itself. ``tests/unit/test_entry_points.py`` compares both.

Standard library only.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["EntryPoint", "entry_points", "scan"]

#: What :class:`importlib.metadata.EntryPoint` accepts as a value.
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_SUFFIXES = (".dist-info", ".egg-info")


class Distribution:
    """A ``*.dist-info``/``*.egg-info`` folder; ``name`` and ``version`` read on first use."""

    __slots__ = ("_read", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._read: Any = None

    def _metadata(self) -> Any:
        if self._read is None:
            import importlib.metadata
            from pathlib import Path

            self._read = importlib.metadata.PathDistribution(Path(self.path))
        return self._read

    @property
    def name(self) -> str:
        """The distribution's ``Name`` (from its metadata)."""
        return str(self._metadata().name)

    @property
    def version(self) -> str:
        """The distribution's ``Version`` (from its metadata)."""
        return str(self._metadata().version)


class EntryPoint:
    """One entry point: ``name``, ``value`` (``module`` or ``module:attr``) and its ``dist``."""

    __slots__ = ("dist", "group", "name", "value")

    def __init__(self, name: str, value: str, group: str, dist: Distribution) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.dist = dist

    def load(self) -> object:
        """Import the module and return it, or the object ``attr`` names in it.

        :raises ValueError: the value is not an entry point's (``module:attr``).
        :raises ImportError: the module cannot be imported.
        """
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"not an entry point value: {self.value!r}")
        found: object = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            found = getattr(found, attr)
        return found

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def _normalize(name: str) -> str:
    """The key :mod:`importlib.metadata` tells distributions apart by (PEP 503, underscores)."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _parse(text: str, group: str, dist: Distribution) -> list[EntryPoint]:
    found: list[EntryPoint] = []
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section != group or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        found.append(EntryPoint(name, value, group, dist))
    return found


def scan(group: str, path: Sequence[str]) -> list[EntryPoint] | None:
    """The entry points of ``group`` installed in ``path`` folders, or ``None``.

    ``None`` means the layout is one this reader leaves to :mod:`importlib.metadata`: a
    distribution finder on ``sys.meta_path`` other than the standard path finder, or a
    ``path`` entry that is a file (a zip) or an ``.egg``.
    """
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return None
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in path:
        if not isinstance(entry, str):
            return None
        root = entry or "."
        if os.path.basename(root).lower().endswith(".egg"):
            return None
        try:
            children = os.listdir(root)
        except NotADirectoryError:
            return None
        except OSError:
            continue  # a folder that is not there holds no distribution
        for child in children:
            low = child.lower()
            if not low.endswith(_SUFFIXES):
                continue
            key = _normalize(low.rpartition(".")[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            folder = os.path.join(root, child)
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as stream:
                    text = stream.read()
            except (OSError, UnicodeDecodeError):
                continue  # no entry points (or an .egg-info file, not a folder)
            found.extend(_parse(text, group, Distribution(folder)))
    return found


def entry_points(group: str) -> list[Any]:
    """The installed entry points of ``group``: :func:`scan` of ``sys.path``, else
    :func:`importlib.metadata.entry_points` (each has ``name``, ``value``, ``dist``, ``load()``)."""
    found = scan(group, sys.path)
    if found is not None:
        return found
    import importlib.metadata

    return list(importlib.metadata.entry_points(group=group))
