"""Household profiles in process: the config, the folders, what a profile never shares."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import pytest
from conftest import cli

from peloton_export import paths
from peloton_export.config import Config, load_config
from peloton_export.errors import ConfigError
from peloton_export.net.tokens import TokenStore
from peloton_export.profiles import (
    DEFAULT_PROFILE,
    for_profile,
    load_profiles,
    profile_names,
    resolve_profile,
)
from peloton_export.sinkkit.settings import PluginSettings
from peloton_export.source.client.settings import client_settings
from peloton_export.unattended.household import HouseholdFailed, HouseholdResult, ProfileRun
from peloton_export.unattended.notify import Notifier
from peloton_export.unattended.status import WatchStatus, write_profile_status, write_status

HOUSEHOLD = """\
[peloton]
username = parent@example.com
password = parent-password

[peloton-export]
formats = tcx, json
output_dir = {out}
sinks = strava
keyring = false

[plugin:strava]
client_id = 111
client_secret = app-secret

[plugin:intervals]
api_key = parents-key
athlete_id = i1

[profile:anna]
username = anna@example.com
password = anna-password
intervals.api_key = annas-key

[profile:Ben]
username = ben@example.com
formats = fit
output_dir = {out}/b
sinks = intervals
"""


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default profile's folders in ``tmp_path`` (as the container's variables set them)."""
    for name, sub in (
        ("PELOTON_EXPORT_CONFIG_DIR", "config"),
        ("PELOTON_EXPORT_STATE_DIR", "state"),
        ("PELOTON_EXPORT_DATA_DIR", "data"),
        ("PELOTON_EXPORT_ARCHIVE", "data/archive"),
    ):
        monkeypatch.setenv(name, str(tmp_path / sub))
    for name in ("PELOTON_USERNAME", "PELOTON_PASSWORD", "PELOTON_EXPORT_TOKEN", "PELOTON_EXPORT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def household(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str = HOUSEHOLD) -> Config:
    path = tmp_path / "peloton.ini"
    path.write_text(text.format(out=tmp_path / "out"), encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(path))
    return load_config(environ={})


def test_each_profile_has_its_own_login_folder_formats_and_sink_accounts(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = household(dirs, monkeypatch)
    profiles = {p.name: p for p in load_profiles(config, environ={})}
    assert list(profiles) == ["default", "anna", "ben"]  # [peloton] has a login: a member too
    default, anna, ben = profiles["default"], profiles["anna"], profiles["ben"]
    assert default.config is config and default.is_default
    assert (anna.config.username, anna.config.password) == ("anna@example.com", "anna-password")
    # never the [peloton] login: ben gave no password, so he has none
    assert (ben.config.username, ben.config.password) == ("ben@example.com", None)
    assert anna.config.get("formats") == "tcx, json" and ben.config.get("formats") == "fit"
    assert anna.output_dir == dirs / "out" / "anna" and ben.output_dir == dirs / "out" / "b"
    assert ben.config.get("sinks") == "intervals" and anna.config.get("sinks") == "strava"
    # the Strava app is the household's; an intervals.icu account is each member's own
    assert anna.config.plugins["strava"] == {"client_id": "111", "client_secret": "app-secret"}
    assert anna.config.plugins["intervals"] == {"api_key": "annas-key"}
    assert "api_key" not in ben.config.plugins["intervals"]
    assert default.config.plugins["intervals"]["api_key"] == "parents-key"
    assert (anna.config.profile, default.config.profile) == ("anna", "default")
    # the folders: today's for the default, profiles/NAME beside them for the others
    assert default.dirs == paths.default_dirs()
    assert anna.state_dir == dirs / "state" / "profiles" / "anna"
    assert anna.config_dir == dirs / "config" / "profiles" / "anna"
    assert anna.archive_dir == dirs / "data" / "profiles" / "anna" / "archive"
    assert len({p.state_dir for p in profiles.values()}) == 3
    assert len({p.archive_dir for p in profiles.values()}) == 3


def test_profiles_from_the_environment_as_the_container_gives_them(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = dirs / "anna-password"
    secret.write_text("from-a-secret\n", encoding="utf-8")
    env = {
        "PELOTON_EXPORT_PROFILE_ANNA_USERNAME": "anna@example.com",
        "PELOTON_EXPORT_PROFILE_ANNA_PASSWORD_FILE": str(secret),
        "PELOTON_EXPORT_PROFILE_ANNA_FORMATS": "fit",
        "PELOTON_EXPORT_PROFILE_ANNA_PLUGIN_INTERVALS_API_KEY": "annas-key",
        "PELOTON_EXPORT_PROFILE_ANNA_PLUGIN_STRAVA_TOKEN_FILE": "/config/anna-strava.json",
        "PELOTON_EXPORT_PROFILE_MY_KID__USERNAME": "kid@example.com",
        "PELOTON_EXPORT_PROFILE_MY_KID__PLUGIN_MY_SINK__API_KEY": "kids-key",
        "PELOTON_EXPORT_PROFILE": "anna",  # the choice, never a setting
    }
    monkeypatch.setenv("PELOTON_CONFIG", str(dirs / "missing.ini"))
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_OPTIONAL", "true")
    config = load_config(environ=env)
    assert "profile" not in config.settings and not any(k.startswith("profile_") for k in config.settings)
    assert set(config.profiles) == {"anna", "my_kid"}
    anna = resolve_profile(config=config, environ=env)  # PELOTON_EXPORT_PROFILE chose her
    assert anna.name == "anna" and anna.config.password == "from-a-secret"
    assert anna.config.get("formats") == "fit"
    assert anna.config.plugins["intervals"] == {"api_key": "annas-key"}
    assert anna.config.plugins["strava"]["token_file"] == "/config/anna-strava.json"  # a path
    kid = resolve_profile("my_kid", config=config, environ={})
    assert kid.config.username == "kid@example.com"
    assert kid.config.plugins["my_sink"] == {"api_key": "kids-key"}
    # no [peloton] login and no saved one: the default profile is not a member
    assert [p.name for p in load_profiles(config, environ=env)] == ["anna", "my_kid"]


def test_a_file_section_with_a_dash_takes_its_variables(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (dirs / "peloton.ini").write_text("[profile:my-kid]\nusername = a@example.com\n", encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(dirs / "peloton.ini"))
    config = load_config(environ={"PELOTON_EXPORT_PROFILE_MY_KID__USERNAME": "b@example.com"})
    assert config.profiles == {"my-kid": {"username": "b@example.com"}}


def test_the_same_key_twice_in_the_environment_is_an_error(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PELOTON_CONFIG", str(dirs / "none.ini"))
    monkeypatch.setenv("PELOTON_EXPORT_CONFIG_OPTIONAL", "true")
    (dirs / "pw").write_text("x", encoding="utf-8")
    env = {
        "PELOTON_EXPORT_PROFILE_ANNA_PASSWORD": "y",
        "PELOTON_EXPORT_PROFILE_ANNA_PASSWORD_FILE": str(dirs / "pw"),
    }
    with pytest.raises(ConfigError, match=r"PELOTON_EXPORT_PROFILE_ANNA_PASSWORD.*set only one"):
        load_config(environ=env)


@pytest.mark.parametrize(
    ("setting", "members"),
    [
        ("", ["anna"]),
        ("default_profile = yes\n", ["default", "anna"]),
        ("default_profile = no\n", ["anna"]),
    ],
)
def test_the_default_profile_is_a_member_when_it_has_a_login(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, setting: str, members: list[str]
) -> None:
    text = f"[peloton-export]\n{setting}\n[profile:anna]\nusername = a@example.com\n"
    config = household(dirs, monkeypatch, text)
    assert [p.name for p in load_profiles(config, environ={})] == members


def test_a_saved_login_of_today_keeps_the_default_member(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = household(dirs, monkeypatch, "[profile:anna]\nusername = a@example.com\n")
    (dirs / "config").mkdir()
    (dirs / "config" / "token.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in load_profiles(config, environ={})] == ["default", "anna"]
    assert [p.name for p in load_profiles(config, environ={"PELOTON_EXPORT_TOKEN": "t"})] == [
        "default",
        "anna",
    ]


def test_a_config_without_profiles_is_the_default_profile_alone(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = household(dirs, monkeypatch, "[peloton-export]\nformats = tcx\n")
    (only,) = load_profiles(config, environ={})
    assert only.name == DEFAULT_PROFILE and only.config is config and only.dirs == paths.default_dirs()
    assert profile_names(config) == ["default"]


def test_unknown_and_bad_names_are_one_line_errors(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = household(dirs, monkeypatch)
    with pytest.raises(
        ConfigError,
        match=r"--profile: no profile 'ana'; did you mean anna\? the config has: default, anna, ben",
    ):
        resolve_profile("ana", config=config)
    with pytest.raises(ConfigError, match="PELOTON_EXPORT_PROFILE: no profile 'carl'"):
        resolve_profile(config=config, environ={"PELOTON_EXPORT_PROFILE": "carl"})
    assert resolve_profile("BEN", config=config).name == "ben"
    assert resolve_profile("default", config=config).is_default
    bad = household(dirs, monkeypatch, "[profile:default]\nusername = x\n")
    with pytest.raises(ConfigError, match="'default' is the profile of the"):
        load_profiles(bad, environ={})
    bad = household(dirs, monkeypatch, "[profile:a b]\nusername = x\n")
    with pytest.raises(ConfigError, match="is not a profile name"):
        load_profiles(bad, environ={})


def test_unknown_profile_keys_are_warned_with_the_nearest(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = household(
        dirs, monkeypatch, "[profile:anna]\nusername = a\nfromats = tcx\nwatch_interval = 2h\n"
    )
    resolve_profile("anna", config=config)
    assert "[profile:anna]: unknown key 'fromats' is ignored; did you mean formats?" in caplog.text
    assert "[profile:anna] watch_interval is the watcher's setting" in caplog.text


def test_activating_a_profile_moves_every_folder_for_this_thread_only(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = resolve_profile("anna", config=household(dirs, monkeypatch))
    seen: dict[str, Path] = {}
    with anna.activate():
        assert paths.state_dir() == anna.state_dir and paths.config_dir() == anna.config_dir
        assert paths.archive_dir() == anna.archive_dir and paths.data_dir() == anna.dirs.data
        assert paths.active_profile() == "anna"
        carried = threading.Thread(target=paths.carry(lambda: seen.setdefault("carried", paths.state_dir())))
        plain = threading.Thread(target=lambda: seen.setdefault("plain", paths.state_dir()))
        for thread in (carried, plain):
            thread.start()
            thread.join()
        with paths.use_dirs(paths.default_dirs()):  # nests
            assert paths.state_dir() == dirs / "state"
        assert paths.state_dir() == anna.state_dir
    assert paths.state_dir() == dirs / "state" and paths.active_dirs() is None
    assert seen == {"carried": anna.state_dir, "plain": dirs / "state"}


def test_a_named_profile_never_reads_the_default_members_account_variables(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = household(dirs, monkeypatch)
    ben = resolve_profile("ben", config=config)
    env = {"INTERVALS_API_KEY": "parents-key-from-env", "PELOTON_EXPORT_TOKEN": "parents-token"}
    settings = PluginSettings("intervals", ben.config.plugins.get("intervals"), environ=env)
    assert settings.get("api_key", "INTERVALS_API_KEY") == "parents-key-from-env"  # not active yet
    with ben.activate():
        assert settings.get("api_key", "INTERVALS_API_KEY") is None
        assert settings.get("base_url", "PELOTON_EXPORT_INTERVALS_URL") is None
    assert client_settings(ben.config, env).env_token is None
    assert client_settings(config, env).env_token == "parents-token"


def test_keyring_entries_are_each_profiles_own(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anna = resolve_profile("anna", config=household(dirs, monkeypatch))
    keyring = object()
    assert (
        TokenStore(dirs / "t.json", keyring_name="peloton-token", keyring=keyring).keyring_name
        == "peloton-token"
    )
    with anna.activate():
        store = TokenStore(dirs / "t.json", keyring_name="peloton-token", keyring=keyring)
    assert store.keyring_name == "peloton-token:anna"


def test_notifications_name_the_profile(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = household(
        dirs, monkeypatch, HOUSEHOLD.replace("keyring = false", "notify_urls = json://localhost")
    )
    sent: list[tuple[str, str]] = []

    def send(urls: Sequence[str], title: str, body: str) -> bool:
        sent.append((title, body))
        return True

    for profile in load_profiles(config, environ={}):
        notifier = Notifier.from_config(profile.config, profile.state_dir)
        notifier.send = send
        notifier.update("run", {"peloton-login": "Peloton needs you to log in again"})
    assert sent == [  # the default member is named too: in a household it is one of three
        ("peloton-export needs you (default)", "- default: Peloton needs you to log in again"),
        ("peloton-export needs you (anna)", "- anna: Peloton needs you to log in again"),
        ("peloton-export needs you (ben)", "- ben: Peloton needs you to log in again"),
    ]
    assert (dirs / "state" / "profiles" / "anna" / "notify-state.json").is_file()
    assert (dirs / "state" / "notify-state.json").is_file()  # the default member's, as before
    sent.clear()
    alone = household(dirs, monkeypatch, "[peloton-export]\nnotify_urls = json://localhost\n")
    notifier = Notifier.from_config(alone, dirs / "alone")
    notifier.send = send
    notifier.update("run", {"peloton-login": "Peloton needs you to log in again"})
    assert sent == [("peloton-export needs you", "- Peloton needs you to log in again")]  # no household


def test_a_named_profiles_long_notification_points_at_its_own_status(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies: list[str] = []
    notifier = Notifier(["json://localhost"], dirs / "n.json", profile="anna")
    notifier.send = lambda urls, title, body: bodies.append(body) is None
    notifier.update("run", {f"workout-failed:{i}": f"workout {i} failed" for i in range(25)})
    assert bodies[0].endswith("- and 5 more (see `peloton-export --profile anna status`)")


def test_two_sections_naming_one_profile_are_an_error_not_one_member(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "[profile:Anna]\nusername = anna@example.com\n\n[profile:anna ]\nusername = ann@example.com\n"
    path = dirs / "twice.ini"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PELOTON_CONFIG", str(path))
    with pytest.raises(ConfigError, match=r"\[profile:Anna\] and \[profile:anna \] are one profile \('anna'"):
        load_config(environ={})


def test_login_messages_tell_the_profile_what_to_do() -> None:
    text = (
        "Peloton rejected the email or password: fix [peloton] username/password in x.ini "
        "(or PELOTON_USERNAME/PELOTON_PASSWORD), or run `peloton-export login`"
    )
    assert for_profile(text, "default") == text
    assert for_profile(text, "ben") == (
        "Peloton rejected the email or password: fix [profile:ben] username/password in x.ini "
        "(or PELOTON_EXPORT_PROFILE_BEN_USERNAME/PELOTON_EXPORT_PROFILE_BEN_PASSWORD), or run "
        "`peloton-export --profile ben login`"
    )
    assert "PELOTON_EXPORT_PROFILE_MY_KID__USERNAME" in for_profile(text, "my-kid")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "not logged in to Strava; run `peloton-export strava login`",
            "not logged in to Strava; run `peloton-export --profile ben strava login`",
        ),
        (
            "Garmin needs a login: run `peloton-export garmin login` or "
            "`peloton-export garmin login --import PATH` (see the plugin's README)",
            "Garmin needs a login: run `peloton-export --profile ben garmin login` or "
            "`peloton-export --profile ben garmin login --import PATH` (see the plugin's README)",
        ),
        (
            "gone from Strava (peloton-export ledger forget 0abc)",
            "gone from Strava (peloton-export --profile ben ledger forget 0abc)",
        ),
        ("run `peloton-export --profile ben login`", "run `peloton-export --profile ben login`"),
        ("the peloton-export watcher stopped", "the peloton-export watcher stopped"),
    ],
)
def test_every_command_a_message_names_is_the_profiles(text: str, expected: str) -> None:
    # a named member who ran `peloton-export strava login` as told logged in the default member
    assert for_profile(text, "ben") == expected
    assert for_profile(text, "default") == text


def run(name: str, outcome: str, message: str = "", **counts: int) -> ProfileRun:
    return ProfileRun(name=name, outcome=outcome, message=message, counts=counts)


def test_a_household_cycle_is_ok_partial_or_failed() -> None:
    ok = HouseholdResult((run("anna", "ok", new=2, exported=2), run("ben", "ok", new=1, exported=1)))
    result = ok.cycle_result()
    assert result.ok and result.message == "anna ok, ben ok" and result.counts == {"new": 3, "exported": 3}
    partial = HouseholdResult((run("anna", "ok"), run("ben", "failed", "login needed"))).cycle_result()
    assert not partial.ok and partial.message == "anna ok, ben failed"
    with pytest.raises(HouseholdFailed, match="every profile failed: anna: down; ben: login needed"):
        HouseholdResult((run("anna", "failed", "down"), run("ben", "failed", "login needed"))).cycle_result()


def test_run_export_for_a_profile_works_in_its_folders(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.source.demo import demo_workouts
    from peloton_export.store.archive import Archive

    anna = resolve_profile("anna", config=household(dirs, monkeypatch))
    archive = Archive(anna.archive_dir)
    for raw in demo_workouts():
        archive.put_raw(raw)
    request = ExportRequest(
        profile=anna,
        offline=True,
        formats=("json",),
        sinks=("directory",),
        options={"directory.path": str(dirs / "annas-sink")},
    )
    report = run_export(request)
    assert report.ok and report.count("exported") == len(archive.ids())
    assert len(list((dirs / "out" / "anna").glob("*.json"))) == len(archive.ids())
    assert len(list((dirs / "annas-sink").glob("*.json"))) == len(archive.ids())
    assert (anna.state_dir / "ledger.sqlite3").is_file() and (anna.state_dir / "run.lock").exists()
    assert not (dirs / "state" / "ledger.sqlite3").exists()  # the default profile's is untouched
    assert paths.active_dirs() is None


def test_the_command_line_works_as_the_chosen_profile(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    household(dirs, monkeypatch)
    anna = resolve_profile("anna")
    (anna.config_dir).mkdir(parents=True)
    token = {"format": 1, "access_token": "a.b.c", "expires_at": 4102444800, "source": "token"}
    (anna.config_dir / "token.json").write_text(json.dumps(token), encoding="utf-8")
    assert cli("--profile", "anna", "status") == 0
    out = capsys.readouterr().out
    assert "Login: saved (token), access expires 2100-01-01" in out
    assert f"Ledger {anna.state_dir / 'ledger.sqlite3'}" in out and "Profile" not in out
    monkeypatch.setenv("PELOTON_EXPORT_PROFILE", "ben")
    assert cli("status") == 0
    assert "Login: none saved (run `peloton-export --profile ben login`)" in capsys.readouterr().out
    assert cli("--profile", "carl", "status") == 2
    assert "--profile: no profile 'carl'" in capsys.readouterr().err
    monkeypatch.setenv("PELOTON_EXPORT_PROFILE", "dora")
    assert cli("status") == 2
    assert "PELOTON_EXPORT_PROFILE: no profile 'dora'" in capsys.readouterr().err


def test_status_lists_every_profile(
    dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    household(dirs, monkeypatch)
    profiles = load_profiles()
    write_status(
        dirs / "state",
        WatchStatus(
            state="waiting",
            outcome="partial",
            message="anna ok, ben failed",
            started_at=1.8e9,
            finished_at=1.8e9 + 5,
            next_run_at=1.8e9 + 86400,
        ),
    )
    write_profile_status(
        profiles[1].state_dir,
        WatchStatus(
            outcome="ok",
            started_at=1.8e9,
            finished_at=1.8e9 + 2,
            counts={"new": 2, "exported": 2},
            message="2 new",
        ),
    )
    write_profile_status(
        profiles[2].state_dir,
        WatchStatus(
            outcome="failed", started_at=1.8e9 + 2, finished_at=1.8e9 + 3, failures=3, message="login needed"
        ),
    )
    assert cli("status") == 0
    out, err = capsys.readouterr()
    assert "bad fields" not in err + caplog.text  # the pid 0 a profile's status holds is none, not bad
    assert "Household: 3 profiles (default, anna, ben)" in out
    assert "Watch: waiting; last run 2027-01-15 08:00:00 UTC to 08:00:05 UTC: partial" in out
    blocks = out.split("\nProfile ")[1:]
    assert [block.split(":", 1)[0] for block in blocks] == ["default", "anna", "ben"]
    assert f"anna: state {profiles[1].state_dir}" in out
    assert "Watch: last run 2027-01-15 08:00:00 UTC to 08:00:02 UTC: ok (2 new, 2 exported)" in blocks[1]
    assert "Watch: 3 failed run(s) in a row for this profile" in blocks[2]
    assert f"Archive {profiles[2].archive_dir}: 0 workouts" in blocks[2]
    # --health: the watcher's and each profile's
    assert cli("watch", "--health") == 1
    health = capsys.readouterr().out.splitlines()
    assert health[0].startswith("unhealthy: ")
    assert health[2].startswith("  profile anna: last run 2027-01-15 08:00:02 UTC: ok")
    assert health[3] == "  profile ben: unhealthy: 3 runs in a row failed: login needed"


def test_profile_names_are_completed(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peloton_export.cli import _complete_profiles

    household(dirs, monkeypatch)
    ctx: Any = click.Context(click.Command("x"))
    param: Any = None
    assert _complete_profiles(ctx, param, "") == ["default", "anna", "ben"]
    assert _complete_profiles(ctx, param, "B") == ["ben"]


def test_the_docs_household_example_is_what_it_says(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    pages = [root / "README.md", *(root / "docs").rglob("*.md")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    (block,) = [b for b in re.findall(r"```ini\n(.*?)```", text, re.S) if "[profile:anna]" in b]
    config = household(dirs, monkeypatch, block.replace("{", "{{").replace("}", "}}"))
    anna, ben = load_profiles(config, environ={})
    assert (anna.name, ben.name) == ("anna", "ben")
    assert anna.output_dir == Path("~/Peloton/anna").expanduser()
    assert anna.config.get("sinks") == "strava" and anna.config.plugins["strava"]["client_id"] == "12345"
    assert ben.config.get("formats") == "fit" and ben.config.plugins["directory"] == {"path": "~/Sync/ben"}


def test_a_schedule_made_for_a_profile_watches_that_profile(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    household(dirs, monkeypatch)
    assert cli("--profile", "anna", "schedule", "cron", "--at", "05:00") == 0
    line = capsys.readouterr().out
    assert "PELOTON_EXPORT_PROFILE=anna" in line and "watch --once" in line
    assert str(dirs / "state" / "profiles" / "anna") in line  # its log in its state folder
    assert cli("schedule", "cron", "--at", "05:00") == 0
    assert "PELOTON_EXPORT_PROFILE" not in capsys.readouterr().out  # the household


def test_an_export_in_a_household_without_a_default_login_asks_for_a_profile(
    dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    household(dirs, monkeypatch, "[profile:anna]\nusername = a@example.com\n[profile:ben]\nusername = b\n")
    assert cli("export", "-f", "json", "-o", str(dirs / "o")) == 2
    err = capsys.readouterr().err
    assert "this config's Peloton accounts are profiles (anna, ben)" in err and "--profile NAME" in err
    assert not (dirs / "o").exists() and not (dirs / "state").exists()
    assert cli("--demo", "-j", "1", "-f", "json", "-o", str(dirs / "o")) == 0  # the demo needs no account


def test_log_lines_of_a_profiles_run_name_it(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from peloton_export.unattended.logformat import JsonFormatter, TextFormatter

    anna = resolve_profile("anna", config=household(dirs, monkeypatch))

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("peloton_export.client", logging.INFO, __file__, 1, message, None, None)

    text, js = TextFormatter(), JsonFormatter()
    assert text.format(record("Peloton sync: 1 new")).endswith("peloton_export.client: Peloton sync: 1 new")
    assert "profile" not in json.loads(js.format(record("x")))
    with anna.activate():
        assert text.format(record("Peloton sync: 1 new")).endswith(": [anna] Peloton sync: 1 new")
        assert text.format(record("profile anna: ok in 1.0 s")).endswith(": profile anna: ok in 1.0 s")
        assert json.loads(js.format(record("x")))["profile"] == "anna"


def test_two_profiles_run_at_once_in_two_threads_each_in_its_own_folders(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a server that runs members' exports side by side relies on."""
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.source.demo import demo_workouts
    from peloton_export.store.archive import Archive

    config = household(dirs, monkeypatch)
    anna, ben = resolve_profile("anna", config=config), resolve_profile("ben", config=config)
    raws = list(demo_workouts())
    for profile, part in ((anna, raws[:4]), (ben, raws[4:])):
        archive = Archive(profile.archive_dir)
        for raw in part:
            archive.put_raw(raw)
    reports: dict[str, Any] = {}
    start = threading.Barrier(2)

    def export(profile: Any) -> None:
        start.wait()
        sink = {"directory.path": str(dirs / f"sink-{profile.name}")}
        request = ExportRequest(
            profile=profile, offline=True, formats=("json",), sinks=("directory",), options=sink, jobs=1
        )
        reports[profile.name] = run_export(request)

    threads = [threading.Thread(target=export, args=(p,)) for p in (anna, ben)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for profile in (anna, ben):
        report = reports[profile.name]
        archived = set(Archive(profile.archive_dir).ids())
        assert report.ok and {r.workout_id for r in report.results} == archived
        exported = {r.workout_id for r in report.results if r.status == "exported"}
        written = {json.loads(f.read_text())["id"] for f in profile.output_dir.glob("*.json")}
        assert written == exported and exported
        copied = {json.loads(f.read_text())["id"] for f in (dirs / f"sink-{profile.name}").glob("*.json")}
        assert copied == exported
        assert (profile.state_dir / "ledger.sqlite3").is_file()
    assert not set(Archive(anna.archive_dir).ids()) & set(Archive(ben.archive_dir).ids())


def test_a_named_profiles_sink_failures_name_its_login_command(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `peloton-export strava login` as a sink said it would log in the default member's Strava
    from peloton_export.errors import AuthRequired, SinkPaused
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.hookspecs import hookimpl
    from peloton_export.plugins import create_host
    from peloton_export.source.demo import demo_workouts
    from peloton_export.specs import SinkSpec
    from peloton_export.store.archive import Archive

    def needs_login(path: Path, workout: Any, context: Any) -> Any:
        raise AuthRequired("not logged in to Locker; run `peloton-export locker login`")

    def paused(path: Path, workout: Any, context: Any) -> Any:
        raise SinkPaused("Pauser needs a login: run `peloton-export pauser login`", reason="login")

    class Sinks:
        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            return [
                SinkSpec(name="locker", accepts=("json",), upload=needs_login),
                SinkSpec(name="pauser", accepts=("json",), upload=paused),
            ]

    host = create_host(entry_points=False, extra={"sinks": Sinks()})
    for name, command in (("anna", "peloton-export --profile anna"), ("default", "peloton-export")):
        profile = resolve_profile(name, config=household(dirs, monkeypatch))
        archive = Archive(profile.archive_dir)
        for raw in list(demo_workouts())[:2]:
            archive.put_raw(raw)
        request = ExportRequest(profile=profile, offline=True, formats=("json",), sinks=("locker", "pauser"))
        report = run_export(request, host)
        failed = {
            s.reason for r in report.results for s in r.sinks if s.sink == "locker" and s.status == "failed"
        }
        assert failed == {f"not logged in to Locker; run `{command} locker login`"}
        assert report.paused == {"pauser": f"Pauser needs a login: run `{command} pauser login`"}


def test_a_secret_a_service_echoes_reaches_no_report_ledger_or_notification(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a hostile or broken service answering an upload with its token and the client secret:
    # the run's report, the ledger (status) and the notification carried them verbatim
    from peloton_export.errors import UploadError
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.hookspecs import hookimpl
    from peloton_export.net.redaction import protect
    from peloton_export.plugins import create_host
    from peloton_export.source.demo import demo_workouts
    from peloton_export.specs import SinkSpec
    from peloton_export.store.archive import Archive

    token, secret = "access-token-echoed-1234", "client-secret-echoed-5678"
    protect(token, secret)

    def echoes(path: Path, workout: Any, context: Any) -> Any:
        raise UploadError(f"Echo upload: HTTP 400: bad token {token} for app {secret}")

    class Sinks:
        @hookimpl
        def register_sinks(self) -> list[SinkSpec]:
            return [SinkSpec(name="echo", accepts=("json",), upload=echoes)]

    profile = resolve_profile("anna", config=household(dirs, monkeypatch))
    archive = Archive(profile.archive_dir)
    for raw in list(demo_workouts())[:2]:
        archive.put_raw(raw)
    request = ExportRequest(profile=profile, offline=True, formats=("json",), sinks=("echo",))
    report = run_export(request, create_host(entry_points=False, extra={"sinks": Sinks()}))
    reasons = [s.reason for r in report.results for s in r.sinks] + [r.reason for r in report.results]
    assert reasons and all("***" in reason for reason in reasons if "Echo upload" in reason)
    assert not [reason for reason in reasons if token in reason or secret in reason]
    ledger = (profile.state_dir / "ledger.sqlite3").read_bytes()
    assert token.encode() not in ledger and secret.encode() not in ledger
    bodies: list[str] = []
    notifier = Notifier(["json://localhost"], dirs / "n.json", profile="anna")
    notifier.send = lambda urls, title, body: bodies.append(body) is None
    notifier.update("run", {"workout-failed:x": f"failed: {token}"})
    assert bodies == ["- anna: failed: ***"]


def test_peloton_error_text_that_echoes_a_token_is_redacted() -> None:
    from peloton_export.net.redaction import protect
    from peloton_export.source.client.http import _http_message

    protect("eyJ-peloton-token-echo-0001")
    body = b'{"message": "token eyJ-peloton-token-echo-0001 is not valid"}'
    assert _http_message("the workout list", 400, body) == (
        "Peloton answered HTTP 400 for the workout list: token *** is not valid"
    )
