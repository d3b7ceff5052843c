"""Service files that run ``peloton-export watch --once`` every day.

* ``systemd``: a user service (``Type=oneshot``) and a timer (``OnCalendar`` daily at a
  fixed time, ``RandomizedDelaySec``, ``Persistent=true`` so a missed day runs at boot),
  installed in ``$XDG_CONFIG_HOME/systemd/user`` (``~/.config/systemd/user``);
* ``launchd``: a LaunchAgent plist (``StartCalendarInterval``), installed in
  ``~/Library/LaunchAgents``;
* ``cron``: one crontab line, installed into the user's crontab with ``crontab -l`` /
  ``crontab -`` (the line ends with the marker :data:`CRON_MARKER`, which
  ``--uninstall`` looks for; other lines are kept as they are).

The command is the ``peloton-export`` script of the running installation (or ``python -m
peloton_export``), with the folder variables of the current environment
(``PELOTON_CONFIG``, ``PELOTON_EXPORT_STATE_DIR``, ...) but never a secret. Formats, sinks
and the output folder come from arguments given after ``--``, else the config file, else
the flags of the last successful run (:mod:`peloton_export.export.choices`), which are then
written into the service; :func:`unit_arguments` says which, in one line.
"""

from __future__ import annotations

import logging
import os
import plistlib
import random
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from peloton_export.config import split_names
from peloton_export.errors import ConfigError, PelotonExportError
from peloton_export.export.choices import Choices, fill_from_last_run
from peloton_export.readback import StateFileError, read_state_bytes
from peloton_export.store.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from peloton_export.config import Config

log = logging.getLogger("peloton_export.schedule")

Kind = Literal["systemd", "launchd", "cron"]
KINDS: tuple[Kind, ...] = ("systemd", "launchd", "cron")
UNIT_NAME = "peloton-export"
LAUNCHD_LABEL = "io.github.peloton-export.watch"
CRON_MARKER = "# peloton-export watch"
#: Folder and config variables copied into the service's environment when set (no secrets).
SERVICE_ENV = (
    "PELOTON_EXPORT_CONFIG",
    "PELOTON_CONFIG",
    "PELOTON_EXPORT_CONFIG_DIR",
    "PELOTON_EXPORT_DATA_DIR",
    "PELOTON_EXPORT_ARCHIVE",
    "PELOTON_EXPORT_STATE_DIR",
)
#: Non-path variables copied as they are (a missing ``$PELOTON_CONFIG`` allowed or not).
SERVICE_FLAGS = ("PELOTON_EXPORT_CONFIG_OPTIONAL",)
DEFAULT_RANDOM_DELAY = 15 * 60
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class ServiceFile:
    """A file to write (``path``) with its ``content``; ``cron`` has the crontab line."""

    path: Path | None
    content: str


def parse_time(text: str | None, rng: random.Random | None = None) -> tuple[int, int]:
    """``HH:MM`` as (hour, minute); ``None`` picks a time between 04:00 and 07:59 at random,
    so that not every user asks Peloton at the same minute.

    :raises ConfigError: when ``text`` is not a time of day.
    """
    if text is None:
        pick = rng or random.Random()
        return pick.randint(4, 7), pick.randint(0, 59)
    match = _TIME.match(text.strip())
    if not match:
        raise ConfigError(f"expected a time of day like 06:30, got {text!r}")
    return int(match[1]), int(match[2])


def watch_argv(extra: Sequence[str] = (), python: str = sys.executable) -> list[str]:
    """The command a service runs: ``<bin>/peloton-export watch --once [extra...]``."""
    script = Path(python).with_name("peloton-export")
    base = [str(script)] if script.is_file() else [python, "-m", "peloton_export"]
    return [*base, "watch", "--once", *extra]


#: Where each kind's job starts, so where a relative ``./exports`` ends up.
STARTS_IN: dict[Kind, str] = {"systemd": "your home folder", "cron": "your home folder", "launchd": "/"}
_FLAGS = {"-f": "formats", "--format": "formats", "-o": "output", "--output": "output", "--sink": "sinks"}


def parse_flags(args: Sequence[str]) -> tuple[Choices, list[str]]:
    """The ``-f``/``-o``/``--sink`` values among ``watch`` arguments, and the arguments with
    a relative output folder made absolute (a job does not start in the current folder)."""
    formats: list[str] = []
    sinks: list[str] = []
    output: Path | None = None
    out: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        name, eq, inline = arg.partition("=")
        kind = _FLAGS.get(name if eq else arg)
        if kind is None:
            out.append(arg)
            i += 1
            continue
        if eq:
            value = inline
        elif i + 1 < len(items):
            value = items[i + 1]
            i += 1
        else:  # a flag without its value: watch itself says so
            out.append(arg)
            break
        i += 1
        if kind == "output":
            output = Path(value).expanduser().absolute()
            value = str(output)
        else:
            (formats if kind == "formats" else sinks).extend(split_names(value))
        out += [f"{name}={value}"] if eq else [arg, value]
    return Choices(tuple(formats), output, tuple(sinks)), out


def unit_arguments(
    kind: Kind, watch_args: Sequence[str], config: Config, last: Choices | None, config_file: Path
) -> tuple[list[str], str]:
    """The ``watch --once`` arguments the job gets and one line saying what it will do.

    Flags given after ``--`` are used as given (a relative ``-o`` made absolute); what they
    and the config leave open is taken from ``last`` (the last successful run's flags).
    With nothing at all the line says what the job then does and how to change it.
    """
    given, args = parse_flags(watch_args)
    _, taken = fill_from_last_run(given, config, last)
    args += taken.argv()
    command = " ".join(shlex.quote(a) for a in ["peloton-export", "watch", "--once", *args])
    from_config = [key for key in ("formats", "output_dir", "sinks") if config.get(key)]
    if not taken.empty:
        return args, f"The job runs `{command}` ({taken.text()}: the flags of your last run)."
    if not given.empty or from_config:
        rest = f"; {', '.join(from_config)} from {config_file}" if from_config else ""
        return args, f"The job runs `{command}`{rest}."
    return args, (
        f"The job runs `{command}`: no -f, -o or --sink, none in the config and no earlier run, so it"
        f" writes every format into ./exports of the folder it starts in ({STARTS_IN[kind]}). To"
        f" choose: `peloton-export schedule {kind} -- -f tcx -o ~/workouts`, or set formats and"
        f" output_dir in {config_file}."
    )


def service_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The :data:`SERVICE_ENV` variables that are set, with absolute paths, and the
    :data:`SERVICE_FLAGS` that are set, as they are."""
    env = os.environ if environ is None else environ
    paths = {name: str(Path(env[name]).expanduser().absolute()) for name in SERVICE_ENV if env.get(name)}
    return paths | {name: env[name] for name in SERVICE_FLAGS if env.get(name)}


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", escaped) and "$$" not in escaped:
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(
    argv: Sequence[str], env: Mapping[str, str], at: tuple[int, int], random_delay: int = DEFAULT_RANDOM_DELAY
) -> dict[str, str]:
    """``{file name: content}`` of the user service and its timer."""
    environment = "".join(f"Environment={_systemd_quote(f'{k}={v}')}\n" for k, v in sorted(env.items()))
    service = (
        "[Unit]\n"
        "Description=Export new Peloton workouts (peloton-export watch --once)\n"
        "Documentation=https://github.com/peloton-export/peloton-export#running-it-every-day\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={' '.join(_systemd_quote(a) for a in argv)}\n"
        f"{environment}"
        "Nice=10\n"
        "# SIGTERM goes to peloton-export alone; it stops within seconds, leaving no partial file.\n"
        "KillMode=mixed\n"
        "TimeoutStopSec=30\n"
    )
    hour, minute = at
    timer = (
        "[Unit]\n"
        "Description=Run peloton-export once a day\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00\n"
        f"RandomizedDelaySec={random_delay}\n"
        "Persistent=true\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def launchd_plist(argv: Sequence[str], env: Mapping[str, str], at: tuple[int, int], log_dir: Path) -> str:
    """The LaunchAgent's plist (XML)."""
    agent: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(argv),
        "StartCalendarInterval": {"Hour": at[0], "Minute": at[1]},
        "RunAtLoad": False,
        "ProcessType": "Background",
        "StandardOutPath": str(log_dir / "peloton-export.log"),
        "StandardErrorPath": str(log_dir / "peloton-export.log"),
    }
    if env:
        agent["EnvironmentVariables"] = dict(sorted(env.items()))
    return plistlib.dumps(agent, sort_keys=False).decode("utf-8")


def cron_line(argv: Sequence[str], env: Mapping[str, str], at: tuple[int, int], log_file: Path) -> str:
    """One crontab line running the command daily at ``at``, output appended to ``log_file``."""
    prefix = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))
    command = " ".join(shlex.quote(a) for a in argv)
    if prefix:
        command = f"env {prefix} {command}"
    line = f"{at[1]} {at[0]} * * * {command} >> {shlex.quote(str(log_file))} 2>&1 {CRON_MARKER}"
    return line.replace("%", "\\%")  # cron turns a bare % into a new line


def systemd_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/systemd/user``, by default ``~/.config/systemd/user``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def launchd_path() -> Path:
    """``~/Library/LaunchAgents/<label>.plist``."""
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def service_files(
    kind: Kind,
    argv: Sequence[str],
    env: Mapping[str, str],
    at: tuple[int, int],
    *,
    log_dir: Path,
    random_delay: int = DEFAULT_RANDOM_DELAY,
) -> list[ServiceFile]:
    """What ``kind`` needs: files with their install paths (``cron``: the line, no path)."""
    if kind == "systemd":
        folder = systemd_dir()
        units = systemd_units(argv, env, at, random_delay)
        return [ServiceFile(folder / name, text) for name, text in units.items()]
    if kind == "launchd":
        return [ServiceFile(launchd_path(), launchd_plist(argv, env, at, log_dir))]
    return [ServiceFile(None, cron_line(argv, env, at, log_dir / "cron.log") + "\n")]


def next_steps(kind: Kind, installed: bool) -> list[str]:
    """What the user runs after installing (or before uninstalling)."""
    if kind == "systemd":
        if installed:
            return [f"systemctl --user daemon-reload && systemctl --user enable --now {UNIT_NAME}.timer"]
        return [f"systemctl --user disable --now {UNIT_NAME}.timer; systemctl --user daemon-reload"]
    if kind == "launchd":
        path = launchd_path()
        if installed:
            return [f"launchctl bootstrap gui/$(id -u) {shlex.quote(str(path))}"]
        return [f"launchctl bootout gui/$(id -u)/{LAUNCHD_LABEL}"]
    return []


# -- crontab ------------------------------------------------------------------------------


def _crontab() -> str:
    found = shutil.which("crontab")
    if not found:
        raise PelotonExportError(
            "no `crontab` command on this system; install cron, or use systemd or launchd"
        )
    return found


def read_crontab() -> str:
    """The user's crontab (empty when there is none)."""
    done = subprocess.run([_crontab(), "-l"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return ""
        raise PelotonExportError(f"`crontab -l` failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def write_crontab(text: str) -> None:
    """Replace the user's crontab with ``text``."""
    done = subprocess.run([_crontab(), "-"], input=text, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PelotonExportError(f"`crontab -` failed: {done.stderr.strip() or done.returncode}")


def without_ours(crontab: str) -> list[str]:
    """The crontab's lines except those peloton-export added."""
    return [line for line in crontab.splitlines() if not line.rstrip().endswith(CRON_MARKER)]


#: The largest installed service file read back (ours are under 2 kB).
MAX_SERVICE_FILE_BYTES = 256 * 1024


def is_ours(kind: Kind, path: Path, text: str) -> bool:
    """Whether ``text`` (the file at ``path``) is a service file peloton-export wrote: a
    systemd unit whose description names ``peloton-export``, a plist whose ``Label`` is
    :data:`LAUNCHD_LABEL`."""
    if kind == "launchd":
        try:
            agent = plistlib.loads(text.encode("utf-8"))
        except Exception:  # plistlib raises several types for a damaged file
            return False
        return isinstance(agent, dict) and agent.get("Label") == LAUNCHD_LABEL
    if path.suffix == ".timer":
        return "Description=Run peloton-export once a day" in text.splitlines()
    return any(line.startswith("Description=") and "peloton-export" in line for line in text.splitlines())


def read_installed(kind: Kind, path: Path) -> str | None:
    """The text of the service file installed at ``path`` (``None``: there is none).

    :raises PelotonExportError: ``path`` is a FIFO, device, socket, folder or dangling
        symlink, larger than :data:`MAX_SERVICE_FILE_BYTES`, or not UTF-8 (one line, with
        the fix: remove it).
    """
    try:
        data = read_state_bytes(path, limit=MAX_SERVICE_FILE_BYTES)
        return None if data is None else data.decode("utf-8")
    except StateFileError as exc:
        raise PelotonExportError(f"the service file {exc}; remove it and try again") from None
    except UnicodeDecodeError:
        raise PelotonExportError(
            f"the service file {path} is not UTF-8 text; remove it and try again"
        ) from None


def install(kind: Kind, files: Sequence[ServiceFile]) -> list[str]:
    """Write ``files`` (or the crontab line); returns what was written, one line each.

    A file already there is replaced (atomically) only when it is a regular file; another
    program's file of the same name is replaced too (its name is ours), a FIFO, device,
    folder or dangling symlink is refused (:func:`read_installed`).
    """
    if kind == "cron":
        lines = without_ours(read_crontab()) + [f.content.rstrip("\n") for f in files]
        write_crontab("\n".join(lines) + "\n")
        return ["the user's crontab (1 line)"]
    for item in files:
        assert item.path is not None
        read_installed(kind, item.path)  # checked before anything is written
    written = []
    for item in files:
        assert item.path is not None
        if read_installed(kind, item.path) != item.content:
            write_bytes_atomic(item.path, item.content.encode("utf-8"))
        written.append(str(item.path))
    return written


def uninstall(kind: Kind, files: Sequence[ServiceFile]) -> list[str]:
    """Remove what :func:`install` wrote; returns what was removed.

    Only a file that is ours (:func:`is_ours`) is removed; another program's file of the
    same name is kept, with a warning.
    """
    if kind == "cron":
        current = read_crontab()
        kept = without_ours(current)
        if len(kept) == len(current.splitlines()):
            return []
        write_crontab("\n".join(kept) + "\n" if kept else "")
        return ["the peloton-export line of the user's crontab"]
    removed = []
    for item in files:
        if item.path is None:
            continue
        text = read_installed(kind, item.path)
        if text is None:
            continue
        if not is_ours(kind, item.path, text):
            log.warning("%s was not written by peloton-export; left as it is", item.path)
            continue
        item.path.unlink(missing_ok=True)
        removed.append(str(item.path))
    return removed
