"""What a run writes and where: the formats, the output folder and the sinks.

A run takes each from its flags (``-f``, ``-o``, ``--sink``), else the config
(``formats``, ``output_dir``, ``sinks``), else the default (every format, ``./exports``, no
sink). The commands that describe a run without being one (``status``, ``--dry-run``,
``schedule``) add one step before the default: the flags of the **last successful run**,
which every export that ends without a failure records in the ledger (``meta`` key
:data:`LAST_RUN_KEY`). So after ``peloton-export -f tcx,fit -o ~/workouts``, ``status``
checks TCX and FIT in ``~/workouts``, and ``schedule systemd`` writes those flags into the
unit. A ``--demo`` run is not recorded (it opens no ledger): trying the demo never changes
what those commands think the user's real runs use.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.config import split_names

if TYPE_CHECKING:
    from peloton_export.config import Config
    from peloton_export.store.ledger import Ledger

#: The ledger's ``meta`` key holding the last successful run's flags (JSON).
LAST_RUN_KEY = "last_run"
#: Where the files go when nothing says otherwise (relative to the current folder).
DEFAULT_OUTPUT = "exports"


@dataclass(frozen=True, slots=True)
class Choices:
    """Flags of one run: ``formats`` and ``sinks`` as given (``()``: not given), and the
    output folder (``None``: not given; the last run records the folder it wrote to, made
    absolute)."""

    formats: tuple[str, ...] = ()
    output_dir: Path | None = None
    sinks: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when no flag was given."""
        return not self.formats and self.output_dir is None and not self.sinks

    def argv(self) -> list[str]:
        """The flags as arguments: ``["-f", "tcx,fit", "-o", "/home/me/workouts", "--sink", "strava"]``."""
        args: list[str] = []
        if self.formats:
            args += ["-f", ",".join(self.formats)]
        if self.output_dir is not None:
            args += ["-o", str(self.output_dir)]
        for sink in self.sinks:
            args += ["--sink", sink]
        return args

    def text(self) -> str:
        """The flags as a person types them, the home folder shown as ``~``:
        ``-f tcx,fit -o ~/workouts``."""
        return " ".join(_shown(arg) for arg in self.argv())

    def to_json(self) -> str:
        """The ledger's form (JSON object)."""
        output = str(self.output_dir) if self.output_dir is not None else None
        return json.dumps({"formats": list(self.formats), "output_dir": output, "sinks": list(self.sinks)})

    @classmethod
    def from_json(cls, text: str | None) -> Choices | None:
        """Read :meth:`to_json`'s form back; ``None`` for anything else (a damaged value)."""
        try:
            data = json.loads(text or "")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        formats, sinks, output = (
            _names(data.get("formats")),
            _names(data.get("sinks")),
            data.get("output_dir"),
        )
        if formats is None or sinks is None or not (output is None or isinstance(output, str)):
            return None
        return cls(formats, Path(output) if output else None, sinks)


def _names(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        return None
    return tuple(str(item) for item in value)


def _shown(arg: str) -> str:
    home = str(Path.home())
    if arg == home:
        return "~"
    if arg.startswith(home + os.sep):
        return "~/" + shlex.quote(arg[len(home) + 1 :])
    return shlex.quote(arg)


def remember(ledger: Ledger, choices: Choices) -> None:
    """Record ``choices`` as the last successful run's."""
    ledger.set_meta(LAST_RUN_KEY, choices.to_json())


def last_run(ledger: Ledger | None) -> Choices | None:
    """The last successful run's flags, or ``None`` (none recorded, or no ledger)."""
    return Choices.from_json(ledger.get_meta(LAST_RUN_KEY)) if ledger is not None else None


def read_last_run() -> Choices | None:
    """:func:`last_run` of the default ledger, read-only; ``None`` when there is none yet
    (it is not created) or it cannot be read."""
    from peloton_export.paths import state_dir
    from peloton_export.store.ledger import LEDGER_FILE, Ledger, LedgerError

    path = state_dir() / LEDGER_FILE
    if not path.is_file():
        return None
    try:
        ledger = Ledger.for_reading(path)
    except LedgerError:
        return None
    return last_run(ledger)


def fill_from_last_run(given: Choices, config: Config, last: Choices | None) -> tuple[Choices, Choices]:
    """``given`` with what neither it nor the config sets taken from ``last``; and what was
    taken (empty when nothing was)."""
    if last is None:
        return given, Choices()
    formats = () if given.formats or split_names(config.get("formats")) else last.formats
    output = None if given.output_dir is not None or config.get("output_dir") else last.output_dir
    sinks = () if given.sinks or split_names(config.get("sinks")) else last.sinks
    taken = Choices(formats, output, sinks)
    return Choices(given.formats or formats, given.output_dir or output, given.sinks or sinks), taken


def output_folder(given: Path | None, config: Config) -> Path:
    """The output folder: ``given``, else the config's ``output_dir``, else ``./exports``."""
    return given or Path(config.get("output_dir") or DEFAULT_OUTPUT).expanduser()
