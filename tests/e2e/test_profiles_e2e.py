"""Household profiles end to end: two members, two fake Peloton accounts, one ``watch`` cycle.

Each profile logs in to its own fake account (a real password login through the fake's
Auth0), exports its own workouts to its own folder and copies them to its own sink folder
(the ``directory`` sink), in its own state, archive and token folders. One profile's
failed login leaves the other's run whole and is named in the log. The watcher runs as
a real process (``python -m peloton_export watch --once``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from peloton_export.testing import FakePeloton, FakeService, RecordedRequest, Response
from peloton_export.testing.synth import synth_workouts

ANNA = ("anna@example.com", "anna's long password", "a" * 32)
BEN = ("ben@example.com", "ben's long password", "b" * 32)


@pytest.fixture
def fakes() -> Any:
    """Two fake Peloton accounts with different workouts (3 for anna, 2 for ben)."""
    anna = FakePeloton(
        lambda: synth_workouts(3, seed=11, duration_s=300),
        count=3,
        username=ANNA[0],
        password=ANNA[1],
        user_id=ANNA[2],
    ).start()
    ben = FakePeloton(
        lambda: synth_workouts(2, seed=22, duration_s=300),
        count=2,
        username=BEN[0],
        password=BEN[1],
        user_id=BEN[2],
    ).start()
    yield anna, ben
    anna.stop()
    ben.stop()


class Inbox(FakeService):
    """Records what apprise's ``json://`` notifications post."""

    def route(self, request: RecordedRequest) -> Response:
        return Response.json({"ok": True})

    def messages(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests if r.method == "POST"]


def household(
    tmp_path: Path, anna: FakePeloton, ben: FakePeloton, *, ben_password: str = BEN[1]
) -> dict[str, str]:
    """A config with two profiles (and no [peloton] login) and the folders' variables."""
    config = tmp_path / "peloton.ini"
    config.write_text(
        f"""[peloton-export]
keyring = false
max_rate = 0
max_attempts = 1
formats = tcx, json
sinks = directory
output_dir = {tmp_path / "out"}

[profile:anna]
username = {ANNA[0]}
password = {ANNA[1]}
api_url = {anna.api_url}
auth_url = {anna.auth_url}
directory.path = {tmp_path / "sink-anna"}

[profile:ben]
username = {BEN[0]}
password = {ben_password}
api_url = {ben.api_url}
auth_url = {ben.auth_url}
formats = json
directory.path = {tmp_path / "sink-ben"}
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON_", "STRAVA_", "INTERVALS_"))}
    env.update(
        {
            "PELOTON_CONFIG": str(config),
            "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
            "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
            "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
            "PELOTON_EXPORT_ARCHIVE": str(tmp_path / "data" / "archive"),
            "PELOTON_EXPORT_LOAD_PLUGINS": "",
            "HOME": str(tmp_path / "home"),
        }
    )
    return env


def watch_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peloton_export", *args, "watch", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def exported_ids(folder: Path, suffix: str) -> set[str]:
    """The workout ids of the ``suffix`` files in ``folder``: a JSON file's own ``id``, else
    the id that ends the file name (``..._<id>.tcx``)."""
    ids: set[str] = set()
    for path in folder.glob(f"*{suffix}"):
        if suffix == ".json":
            ids.add(json.loads(path.read_text(encoding="utf-8"))["id"])
        else:
            ids.add(path.stem.rsplit("_", 1)[-1])
    return ids


def synth_ids(count: int, seed: int) -> set[str]:
    return {str(raw.workout["id"]) for raw in synth_workouts(count, seed=seed, duration_s=300)}


def test_two_profiles_one_watch_cycle_each_their_own(tmp_path: Path, fakes: Any) -> None:
    anna, ben = fakes
    env = household(tmp_path, anna, ben)
    done = watch_once(env)
    log = done.stdout + done.stderr
    (tmp_path / "watch.log").write_text(log, encoding="utf-8")
    assert done.returncode == 0, log
    anna_ids, ben_ids = synth_ids(3, 11), synth_ids(2, 22)
    assert not anna_ids & ben_ids
    # each profile's own workouts in its own folder (output_dir/<name>) and its own sink folder
    assert exported_ids(tmp_path / "out" / "anna", ".json") == anna_ids
    assert exported_ids(tmp_path / "out" / "ben", ".json") == ben_ids
    assert len(list((tmp_path / "out" / "anna").glob("*.tcx"))) == 3
    assert not list((tmp_path / "out" / "ben").glob("*.tcx"))  # ben's formats: json only
    # the directory sink takes each workout's first accepted format: anna's tcx, ben's json
    assert exported_ids(tmp_path / "sink-anna", ".tcx") == anna_ids
    assert exported_ids(tmp_path / "sink-ben", ".json") == ben_ids
    # each fake account was asked only for its own member's workouts, by its own login
    assert anna.count(r"^/api/workout/") >= 3 and ben.count(r"^/api/workout/") >= 2
    # one log line per profile, in the household's order
    lines = [line for line in log.splitlines() if "profile anna:" in line or "profile ben:" in line]
    assert len(lines) == 2 and "profile anna: ok" in lines[0] and "profile ben: ok" in lines[1], log
    assert "3 new from Peloton" in lines[0] and "2 new from Peloton" in lines[1]
    # every other line of a profile's run says whose it is
    assert "peloton_export.client: [anna] Peloton sync: 3 new, 0 updated" in log
    assert "peloton_export.client: [ben] Peloton sync: 2 new, 0 updated" in log
    # the state layout per profile: tokens, archive, ledger, lock and status files apart
    for name, ids in (("anna", anna_ids), ("ben", ben_ids)):
        state = tmp_path / "state" / "profiles" / name
        assert (state / "ledger.sqlite3").is_file()
        assert (state / "run.lock").exists()
        assert json.loads((state / "profile-status.json").read_text())["outcome"] == "ok"
        assert (tmp_path / "config" / "profiles" / name / "token.json").is_file()
        archive = tmp_path / "data" / "profiles" / name / "archive"
        assert {p.name for p in (archive / "workouts").iterdir()} == ids
    # nothing of either profile in the default profile's folders, but the watcher's own files
    assert not (tmp_path / "config" / "token.json").exists()
    assert not (tmp_path / "data" / "archive").exists()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == [
        "profiles",
        "watch-log.jsonl",  # the watcher's kept log (the web page's Logs), the household's one
        "watch-status.json",
        "watch.lock",
    ]
    status = json.loads((tmp_path / "state" / "watch-status.json").read_text())
    assert status["outcome"] == "ok" and status["message"] == "anna ok, ben ok"


def test_one_profiles_failed_login_leaves_the_others_run_whole(tmp_path: Path, fakes: Any) -> None:
    pytest.importorskip("apprise")
    anna, ben = fakes
    env = household(tmp_path, anna, ben, ben_password="not ben's password")
    inbox = Inbox().start()
    config = tmp_path / "peloton.ini"
    url = inbox.url.replace("http://", "json://") + "/"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "keyring = false", f"keyring = false\nnotify_urls = {url}", 1
        ),
        encoding="utf-8",
    )
    try:
        done = watch_once(env)
    finally:
        inbox.stop()
    log = done.stdout + done.stderr
    (tmp_path / "watch.log").write_text(log, encoding="utf-8")
    assert done.returncode == 1, log  # some of the household failed
    assert exported_ids(tmp_path / "out" / "anna", ".json") == synth_ids(3, 11)
    assert exported_ids(tmp_path / "sink-anna", ".tcx") == synth_ids(3, 11)
    assert not (tmp_path / "out" / "ben").exists() or not list((tmp_path / "out" / "ben").iterdir())
    ben_line = next(line for line in log.splitlines() if "profile ben:" in line)
    assert "failed" in ben_line and "WARNING" in ben_line, log
    assert "password" in ben_line.lower()
    assert "[peloton] username" not in log and "PELOTON_USERNAME" not in log  # ben's own keys only
    anna_line = next(line for line in log.splitlines() if "profile anna:" in line)
    assert "profile anna: ok" in anna_line
    assert not_secret(log, "not ben's password")
    # ben's failure is ben's alone: his cooldown and status, never anna's
    assert (tmp_path / "state" / "profiles" / "ben" / "login-cooldown.json").is_file()
    assert not (tmp_path / "state" / "profiles" / "anna" / "login-cooldown.json").exists()
    ben_status = json.loads((tmp_path / "state" / "profiles" / "ben" / "profile-status.json").read_text())
    assert ben_status["outcome"] == "failed" and ben_status["failures"] == 1
    # the notification names ben, and only ben needs telling
    (message,) = inbox.messages()
    assert message["title"] == "peloton-export needs you (ben)"
    assert message["message"].startswith("- ben: Peloton needs you to log in again")
    assert "`peloton-export --profile ben login`" in message["message"]
    assert (tmp_path / "state" / "profiles" / "ben" / "notify-state.json").is_file()
    watcher = json.loads((tmp_path / "state" / "watch-status.json").read_text())
    assert watcher["outcome"] == "partial" and watcher["message"] == "anna ok, ben failed"
    # health names each profile; status lists each
    health = subprocess.run(
        [sys.executable, "-m", "peloton_export", "watch", "--health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "profile anna:" in health.stdout and "profile ben:" in health.stdout, health.stdout
    print(health.stdout)


def not_secret(text: str, secret: str) -> bool:
    return secret not in text


def test_the_container_takes_its_profiles_from_variables(tmp_path: Path, fakes: Any) -> None:
    """As the container runs it: no config file (optional), everything in variables, the
    passwords as Docker secrets (``..._PASSWORD_FILE``)."""
    anna, ben = fakes
    env = household(tmp_path, anna, ben)
    (tmp_path / "peloton.ini").unlink()
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    env.update(
        PELOTON_EXPORT_CONFIG_OPTIONAL="true",
        PELOTON_EXPORT_KEYRING="false",
        PELOTON_EXPORT_MAX_RATE="0",
        PELOTON_EXPORT_FORMATS="json",
        PELOTON_EXPORT_OUTPUT_DIR=str(tmp_path / "output"),
    )
    for name, (user, password, _), fake in (("ANNA", ANNA, anna), ("BEN", BEN, ben)):
        (secrets / name).write_text(password + "\n", encoding="utf-8")
        prefix = f"PELOTON_EXPORT_PROFILE_{name}_"
        env[prefix + "USERNAME"] = user
        env[prefix + "PASSWORD_FILE"] = str(secrets / name)
        env[prefix + "API_URL"] = fake.api_url
        env[prefix + "AUTH_URL"] = fake.auth_url
    env["PELOTON_EXPORT_PROFILE_BEN_SINKS"] = "directory"
    env["PELOTON_EXPORT_PROFILE_BEN_PLUGIN_DIRECTORY_PATH"] = str(tmp_path / "sink-ben")
    done = watch_once(env)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert exported_ids(tmp_path / "output" / "anna", ".json") == synth_ids(3, 11)
    assert exported_ids(tmp_path / "output" / "ben", ".json") == synth_ids(2, 22)
    assert exported_ids(tmp_path / "sink-ben", ".json") == synth_ids(2, 22)
    assert not (tmp_path / "sink-anna").exists()
    assert "profile anna: ok" in log and "profile ben: ok" in log
    assert ANNA[1] not in log and BEN[1] not in log
    # --profile (here the variable) picks one member: only hers runs, in her folders
    env["PELOTON_EXPORT_PROFILE"] = "anna"
    again = watch_once(env, "--profile", "anna")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "profile ben" not in again.stdout and "0 new from Peloton" in again.stdout
    assert (tmp_path / "state" / "profiles" / "anna" / "watch-status.json").is_file()


def test_worker_processes_work_in_the_profiles_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--jobs 2`` for a profile: the spawned workers are handed its folders (the recipe)."""
    import contextvars

    from peloton_export import paths
    from peloton_export.export.exporter import ExporterRecipe
    from peloton_export.export.run import ExportRequest, run_export
    from peloton_export.profiles import resolve_profile
    from peloton_export.source.demo import demo_workouts
    from peloton_export.store.archive import Archive

    env = household(tmp_path, *(_Unused(),) * 2)  # the folders' variables, no fake needed
    for name, value in env.items():
        if name.startswith("PELOTON_"):
            monkeypatch.setenv(name, value)
    anna = resolve_profile("anna")
    archive = Archive(anna.archive_dir)
    for raw in demo_workouts():
        archive.put_raw(raw)
    report = run_export(ExportRequest(profile=anna, offline=True, formats=("json", "tcx"), sinks=(), jobs=2))
    assert report.ok and report.count("exported") == len(archive.ids()) >= 8
    assert len(list((tmp_path / "out" / "anna").glob("*.json"))) == len(archive.ids())
    assert (anna.state_dir / "ledger.sqlite3").is_file()
    # what a worker does first: take the run's folders from the recipe
    recipe = ExporterRecipe(
        archive_root=anna.archive_dir, context=report_context(tmp_path), formats=("json",), dirs=anna.dirs
    )
    seen = contextvars.copy_context().run(lambda: (recipe(), paths.state_dir())[1])
    assert seen == anna.state_dir and paths.active_dirs() is None


class _Unused:
    api_url = auth_url = "http://127.0.0.1:9"


def report_context(tmp_path: Path) -> Any:
    from peloton_export.specs import ExportContext

    return ExportContext(output_dir=tmp_path / "o")


def peloton_export(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peloton_export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_watcher_killed_during_one_profiles_run_is_named_gone_and_the_next_run_whole(
    tmp_path: Path, fakes: Any
) -> None:
    """kill -9 in the middle of anna's run: status and --health say the watcher is gone (not
    "running"), and the next watch finishes both profiles with whole files, none twice."""
    import time

    anna, ben = fakes
    env = household(tmp_path, anna, ben)
    anna.fault("latency", path=r"/performance_graph$", delay=1.0, times=0)  # anna's run is slow
    watcher = subprocess.Popen(
        [sys.executable, "-m", "peloton_export", "watch", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while anna.count(r"/performance_graph$") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert anna.count(r"/performance_graph$") >= 2  # in the middle of anna's run
    finally:
        watcher.kill()  # SIGKILL: no handler runs, nothing is written
        watcher.wait(timeout=30)
    assert ben.count(r"^/api/workout/") == 0  # ben's run never started
    left = json.loads((tmp_path / "state" / "watch-status.json").read_text())
    assert left["state"] == "running" and left["pid"] == watcher.pid
    status = peloton_export(env, "status")
    assert status.returncode == 0 and "Traceback" not in status.stderr
    assert f"Watch: the watcher (pid {watcher.pid}) is gone: it was running" in status.stdout
    assert "Watch: running since" not in status.stdout
    health = peloton_export(env, "watch", "--health")
    assert health.returncode == 1, health.stdout
    assert health.stdout.startswith(f"unhealthy: the watcher (pid {watcher.pid}) is gone"), health.stdout
    # the next watch: both profiles whole, every file once, nothing half written left
    anna.faults.clear()
    done = watch_once(env)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "profile anna: ok" in log and "profile ben: ok" in log
    assert exported_ids(tmp_path / "out" / "anna", ".json") == synth_ids(3, 11)
    assert exported_ids(tmp_path / "out" / "ben", ".json") == synth_ids(2, 22)
    assert exported_ids(tmp_path / "sink-anna", ".tcx") == synth_ids(3, 11)
    assert exported_ids(tmp_path / "sink-ben", ".json") == synth_ids(2, 22)
    written = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and p.parts[-2] in ("anna", "ben", "sink-anna", "sink-ben")
    ]
    assert not [p for p in written if p.name.startswith(".") or p.suffix in (".tmp", ".part")], written
    assert len(list((tmp_path / "sink-anna").iterdir())) == 3  # none uploaded twice
    health = peloton_export(env, "watch", "--health")
    assert "profile anna: last run" in health.stdout and "gone" not in health.stdout, health.stdout


@pytest.mark.parametrize("damage", ["garbage", "bad-fields", "fifo", "dev-zero", "huge", "folder"])
def test_a_damaged_profile_status_file_is_one_line_and_the_run_goes_on(
    tmp_path: Path, fakes: Any, damage: str
) -> None:
    anna, ben = fakes
    env = household(tmp_path, anna, ben)
    assert watch_once(env).returncode == 0
    path = tmp_path / "state" / "profiles" / "anna" / "profile-status.json"
    path.unlink()
    if damage == "garbage":
        path.write_bytes(b"\x00\xffnot json")
    elif damage == "bad-fields":
        path.write_text(
            '{"format": 1, "failures": 1e999, "pid": -1, "outcome": "weird", "counts": {"new": -5}}'
        )
    elif damage == "fifo":
        os.mkfifo(path)
    elif damage == "dev-zero":
        path.symlink_to("/dev/zero")
    elif damage == "huge":
        with path.open("wb") as stream:
            stream.truncate(300 * 1024 * 1024)  # sparse
    else:
        path.mkdir()
    status = peloton_export(env, "status")
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    assert [b.split(":", 1)[0] for b in status.stdout.split("\nProfile ")[1:]] == ["anna", "ben"]
    warned = [line for line in status.stderr.splitlines() if str(path) in line]
    assert len(warned) == 1, status.stderr
    document = json.loads(peloton_export(env, "status", "--json").stdout)
    assert [p["profile"] for p in document["profiles"]] == ["anna", "ben"]
    health = peloton_export(env, "watch", "--health")
    assert "Traceback" not in health.stderr
    anna_health = next(line for line in health.stdout.splitlines() if "profile anna:" in line)
    if damage == "bad-fields":  # read with each bad field at its default; the warning names the file
        assert anna_health == "  profile anna: last run unknown: unknown" and str(path) in health.stderr
    else:  # not "not run yet": its file is named
        assert "not run yet" not in anna_health and str(path) in anna_health, health.stdout
    done = watch_once(env)
    log = done.stdout + done.stderr
    assert "Traceback" not in log and "profile anna: ok" in log and "profile ben: ok" in log, log
    if damage == "folder":  # never replaced: said with its path, every run, and unhealthy
        assert f"profile anna: cannot write its status file {path}: Is a directory" in log
        health = peloton_export(env, "watch", "--health")
        assert f"profile anna: unhealthy: its status file {path} is a folder: remove it" in health.stdout
    else:  # replaced by the run
        assert json.loads(path.read_text())["outcome"] == "ok"


def test_a_profiles_failed_login_command_names_that_profiles_keys_and_command(
    tmp_path: Path, fakes: Any
) -> None:
    """`--profile ben login` with ben's wrong password: the error tells ben what to fix
    ([profile:ben], its variables, `--profile ben login`), never the default member's keys."""
    anna, ben = fakes
    env = household(tmp_path, anna, ben, ben_password="not ben's password")
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "--profile", "ben", "login"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: Peloton rejected the email or password"), done.stderr
    assert "fix [profile:ben] username/password" in line
    assert "PELOTON_EXPORT_PROFILE_BEN_USERNAME/PELOTON_EXPORT_PROFILE_BEN_PASSWORD" in line
    assert "`peloton-export --profile ben login`" in line
    assert "[peloton]" not in line and "PELOTON_USERNAME" not in line and "not ben's password" not in line
    assert not (tmp_path / "config" / "profiles" / "ben" / "token.json").exists()
    assert not (tmp_path / "state" / "login-cooldown.json").exists()  # the cooldown is ben's
    assert (tmp_path / "state" / "profiles" / "ben" / "login-cooldown.json").is_file()
