"""Built-in plugin adding ``peloton-export watch`` and ``peloton-export schedule``.

``watch`` runs sync, export and upload every interval (:mod:`peloton_export.unattended.watch`);
``schedule`` prints or installs a systemd timer, a launchd agent or a crontab line that
runs ``watch --once`` (:mod:`peloton_export.unattended.schedule`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from peloton_export.config import split_names
from peloton_export.errors import ConfigError, SettingError

if TYPE_CHECKING:
    from peloton_export.config import Config
    from peloton_export.profiles import Profile

log = logging.getLogger("peloton_export.watch")

WATCH_HELP = """Run sync, export and upload now and then every interval, until stopped.

\b
Settings (command line > environment > config file [peloton-export]):
  --interval   watch_interval   PELOTON_EXPORT_WATCH_INTERVAL  (default 24h, at least 1h)
  --jitter     watch_jitter     PELOTON_EXPORT_WATCH_JITTER    (default 15m)
  --log-format log_format       PELOTON_EXPORT_LOG_FORMAT      (text or json)

Logs go to standard output, one line per event. Only one watcher runs per state folder.
With [profile:NAME] sections (and no --profile) every profile runs in turn each cycle, one
log line each; --health checks each profile too.
SIGTERM or Ctrl-C stops it within seconds. After a failed run (Peloton down, login
needed) it retries after 1 h, 2 h, 4 h ... (at most the interval), never during the
login cooldown. The status file in the state folder is shown by `peloton-export status`.
Exit codes: 0 stopped cleanly; with --once 0 done, 1 the run failed or some workouts
failed, 130 the run was abandoned on SIGTERM/SIGINT.
"""


def _options(pairs: Sequence[str]) -> dict[str, str]:
    from peloton_export.cli import parse_options  # the export command's own rule

    return parse_options(pairs)


def _config() -> object:
    from peloton_export.config import Config, load_config

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    return obj if isinstance(obj, Config) else load_config()


@click.command("watch", help=WATCH_HELP)
@click.option("--interval", metavar="DURATION", help="Time between runs, e.g. 24h, 12h, 90m.")
@click.option("--jitter", metavar="DURATION", help="Up to this much random extra wait, e.g. 15m.")
@click.option("--once", is_flag=True, help="Do one run and exit (for cron, systemd timers and CI).")
@click.option("--now", is_flag=True, help="Run at once, even if the last run was less than an interval ago.")
@click.option("--health", is_flag=True, help="Check the status file: exit 0 when healthy, 1 when not.")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="Log line format (default text).")
@click.option(
    "-f", "--format", "formats", multiple=True, metavar="NAME", help="Format to write (repeatable)."
)
@click.option("--sink", "sinks", multiple=True, metavar="NAME", help="Send files to this sink (repeatable).")
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Folder for the files."
)
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE", help="A format or sink option.")
@click.option("-v", "--verbose", count=True, help="Debug logging.")
def watch_command(
    interval: str | None,
    jitter: str | None,
    once: bool,
    now: bool,
    health: bool,
    log_format: str | None,
    formats: tuple[str, ...],
    sinks: tuple[str, ...],
    output: Path | None,
    option_pairs: tuple[str, ...],
    verbose: int,
) -> None:
    from peloton_export.config import Config
    from peloton_export.paths import state_dir
    from peloton_export.source.client.factory import login_cooldown
    from peloton_export.unattended.cycle import CycleOptions, export_cycle
    from peloton_export.unattended.logformat import KEPT_LOG, LogFormat, setup_logging
    from peloton_export.unattended.notify import Notifier
    from peloton_export.unattended.status import health as check_health
    from peloton_export.unattended.status import profile_health
    from peloton_export.unattended.watch import (
        DEFAULT_INTERVAL,
        DEFAULT_JITTER,
        Schedule,
        Watcher,
        interval_floor,
        parse_duration,
    )

    household = _household()
    if health:
        ok, reason = check_health(state_dir(), time.time())
        lines = []
        for profile in household:
            fine, why = profile_health(profile.state_dir)
            ok = ok and fine
            lines.append(f"  profile {profile.name}: {'' if fine else 'unhealthy: '}{why}")
        click.echo(("healthy: " if ok else "unhealthy: ") + reason)
        for line in lines:
            click.echo(line)
        raise SystemExit(0 if ok else 1)
    config = cast(Config, _config())
    fmt = log_format or (config.get("log_format") or "text").strip().lower()
    if fmt not in ("text", "json"):
        if log_format:
            raise click.BadParameter(f"expected text or json, got {fmt!r}", param_hint="log_format")
        raw = config.get("log_format") or ""
        raise SettingError("peloton-export", "log_format", raw, f"expected text or json, got {raw.strip()!r}")
    setup_logging(cast(LogFormat, fmt), verbose, keep=state_dir() / KEPT_LOG)

    def duration(given: str | None, key: str, default: float) -> float:
        """``--interval``/``--jitter``, else the config's ``key``, else ``default`` (s)."""
        if given:
            return parse_duration(given)
        text = config.get(key)
        if not text or not text.strip():
            return default
        try:
            return parse_duration(text)
        except ConfigError as exc:
            raise SettingError("peloton-export", key, text, str(exc)) from None

    interval_s = duration(interval, "watch_interval", DEFAULT_INTERVAL)
    jitter_s = duration(jitter, "watch_jitter", DEFAULT_JITTER)
    try:
        schedule = Schedule(interval=interval_s, jitter=jitter_s, floor=interval_floor())
    except ConfigError as exc:  # out of range: name the setting when the config gave it
        key, flag = ("watch_jitter", jitter) if "jitter" in str(exc) else ("watch_interval", interval)
        if flag or not config.get(key):
            raise
        raise SettingError("peloton-export", key, config.get(key) or "", str(exc)) from None
    cycle_options = CycleOptions(
        formats=tuple(split_names(formats)),
        sinks=tuple(split_names(sinks)),
        output_dir=output,
        options=_options(option_pairs),
    )
    if household:
        from peloton_export.unattended.household import household_cycle

        names = ", ".join(profile.name for profile in household)
        log.info("watching %d profiles in turn: %s", len(household), names)
        # each profile's runs, status, cooldown and notifications are its own; the watcher's
        # lock and status file stay in the state folder
        watcher = Watcher(household_cycle(cycle_options), schedule=schedule, state_dir=state_dir())
        raise SystemExit(watcher.run(once=once, now=now))
    cycle = export_cycle(cycle_options, load=_profile_loader())
    notifier = Notifier.from_config(config, state_dir())

    def cooldown_until() -> float | None:
        active = login_cooldown().active()
        return active.until if active else None

    watcher = Watcher(
        cycle,
        schedule=schedule,
        state_dir=state_dir(),
        cooldown_until=cooldown_until,
        on_problems=lambda problems: notifier.update("run", problems),
    )
    raise SystemExit(watcher.run(once=once, now=now))


def _chosen_profile() -> Profile | None:
    """The profile of ``--profile``/``$PELOTON_EXPORT_PROFILE``, ``None`` when none was given."""
    from peloton_export.cli import PROFILE_META
    from peloton_export.profiles import Profile

    ctx = click.get_current_context(silent=True)
    chosen = ctx.find_root().meta.get(PROFILE_META) if ctx else None
    return chosen if isinstance(chosen, Profile) else None


def _household() -> list[Profile]:
    """The profiles a ``watch`` covers in turn: every one of the config when no profile was
    chosen and it has named ones; else none (one account, watched as before)."""
    from peloton_export.config import Config
    from peloton_export.profiles import load_profiles

    if _chosen_profile() is not None:
        return []
    profiles = load_profiles(cast(Config, _config()))
    return profiles if any(not profile.is_default for profile in profiles) else []


def _profile_loader() -> Callable[[], Config]:
    """How a one-account watch reads its config again before each run (the chosen profile's)."""
    from peloton_export.config import load_config
    from peloton_export.profiles import resolve_profile

    chosen = _chosen_profile()
    if chosen is None or chosen.is_default:
        return load_config
    name = chosen.name
    return lambda: resolve_profile(name, config=load_config()).config


@click.command("schedule", context_settings={"ignore_unknown_options": True})
@click.argument("kind", type=click.Choice(["systemd", "launchd", "cron"]))
@click.argument("watch_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--install", "action", flag_value="install", help="Write the files (or the crontab line).")
@click.option("--uninstall", "action", flag_value="uninstall", help="Remove what --install wrote.")
@click.option("--at", "at_time", metavar="HH:MM", help="Time of day (default: a random time 04:00-07:59).")
def schedule_command(kind: str, watch_args: tuple[str, ...], action: str | None, at_time: str | None) -> None:
    """Print (or --install) a systemd timer, a launchd agent or a crontab line running
    `peloton-export watch --once` daily. Arguments after `--` go to `watch`, e.g.
    `peloton-export schedule cron -- --sink strava`; formats, folder and sinks that neither
    they nor the config give are your last successful run's flags."""
    from peloton_export.config import Config, config_path
    from peloton_export.export.choices import read_last_run
    from peloton_export.paths import state_dir
    from peloton_export.unattended.schedule import (
        install,
        next_steps,
        parse_time,
        service_environment,
        service_files,
        uninstall,
        unit_arguments,
        watch_argv,
    )

    chosen = cast(Literal["systemd", "launchd", "cron"], kind)
    args, what = unit_arguments(chosen, watch_args, cast(Config, _config()), read_last_run(), config_path())
    argv = watch_argv(args)
    environment = service_environment()
    profile = _chosen_profile()
    if profile is not None:  # the service watches the member it was made for
        environment["PELOTON_EXPORT_PROFILE"] = profile.name
    files = service_files(chosen, argv, environment, parse_time(at_time), log_dir=state_dir())
    if action != "uninstall":  # on stderr when printing: standard output is the file itself
        click.echo(what, err=action is None)
    if action is None:
        for item in files:
            if item.path is not None:
                click.echo(f"# {item.path}")
            click.echo(item.content, nl=False)
            if len(files) > 1:
                click.echo("")
        return
    if action == "install":
        written = install(chosen, files)
        click.echo("Installed: " + ", ".join(written))
        steps = next_steps(chosen, installed=True)
        if steps:
            click.echo("Now run: " + "; ".join(steps))
        return
    steps = next_steps(chosen, installed=False)
    removed = uninstall(chosen, files)
    click.echo(("Removed: " + ", ".join(removed)) if removed else "Nothing of peloton-export was installed.")
    if steps and removed:
        click.echo("Also run: " + "; ".join(steps))
