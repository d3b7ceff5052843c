"""Shell completion, driven the way the shell does it: bash sources the script that
``peloton-export completion bash`` prints, sets ``COMP_WORDS``/``COMP_CWORD`` and calls the
completion function, which runs the installed command with ``_PELOTON_EXPORT_COMPLETE``;
the test reads ``COMPREPLY``. Where fish is installed it sources its script and answers
``complete -C``; the zsh and fish scripts are checked for their shell's syntax when that shell
is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peloton_export.source.demo import demo_workouts
from peloton_export.store.archive import Archive

BIN = Path(sys.executable).parent
COMMAND = BIN / "peloton-export"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with the demo workouts archived and a household config
    (profiles anna and ben), every folder under tmp_path."""
    if not COMMAND.exists():
        pytest.skip(f"{COMMAND} is not installed (pip install -e .)")
    archive = tmp_path / "data" / "archive"
    for raw in demo_workouts():
        Archive(archive).put_raw(raw)
    ini = tmp_path / "peloton.ini"
    ini.write_text(
        "[profile:anna]\nusername = anna@example.com\n[profile:ben]\nusername = ben@example.com\n",
        encoding="utf-8",
    )
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PELOTON_CONFIG": str(ini),
        "PELOTON_EXPORT_DATA_DIR": str(tmp_path / "data"),
        "PELOTON_EXPORT_ARCHIVE": str(archive),
        "PELOTON_EXPORT_STATE_DIR": str(tmp_path / "state"),
        "PELOTON_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
    }


def _script(env: dict[str, str], shell: str) -> str:
    done = subprocess.run(
        [str(COMMAND), "completion", shell], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    assert done.stderr == ""
    return done.stdout


def candidates(env: dict[str, str], tmp_path: Path, line: str) -> list[str]:
    """What bash offers for ``line`` (completing its last word; a trailing space starts a
    new, empty word)."""
    script = tmp_path / "completion.bash"
    if not script.exists():
        script.write_text(_script(env, "bash"), encoding="utf-8")
    words = line.split()
    if line.endswith(" "):
        words.append("")
    array = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        "_peloton_export_completion peloton-export\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return [c for c in done.stdout.splitlines() if c]


def test_bash_completes_commands_options_and_values(env: dict[str, str], tmp_path: Path) -> None:
    assert "complete -o nosort -F _peloton_export_completion peloton-export" in _script(env, "bash")
    commands = candidates(env, tmp_path, "peloton-export ")
    assert {"export", "status", "formats", "sinks", "ledger", "completion", "login"} <= set(commands)
    assert candidates(env, tmp_path, "peloton-export sta") == ["status"]
    # the default command's options at the first word, and the group's own
    assert candidates(env, tmp_path, "peloton-export --fo") == ["--format", "--force"]
    assert candidates(env, tmp_path, "peloton-export --pro") == ["--profile"]
    assert "--json" in candidates(env, tmp_path, "peloton-export status --j")
    # format names (after a comma too), sink names, disciplines
    assert candidates(env, tmp_path, "peloton-export -f t") == ["tcx"]
    assert candidates(env, tmp_path, "peloton-export export --format tcx,g") == ["tcx,gpx"]
    assert {"all", "tcx", "gpx", "fit", "csv", "json"} <= set(candidates(env, tmp_path, "peloton-export -f "))
    assert "directory" in candidates(env, tmp_path, "peloton-export --sink ")
    assert candidates(env, tmp_path, "peloton-export status --sink dir") == ["directory"]
    assert candidates(env, tmp_path, "peloton-export --discipline ro") == ["row", "rowing"]
    assert "caesar" not in candidates(env, tmp_path, "peloton-export --discipline ")
    assert candidates(env, tmp_path, "peloton-export completion ") == ["bash", "zsh", "fish"]


def test_bash_completes_profile_names_and_archived_workout_ids(env: dict[str, str], tmp_path: Path) -> None:
    assert candidates(env, tmp_path, "peloton-export --profile ") == ["default", "anna", "ben"]
    assert candidates(env, tmp_path, "peloton-export --profile a") == ["anna"]
    ids = sorted(raw.workout_id for raw in demo_workouts())
    assert candidates(env, tmp_path, "peloton-export --workout ") == ids
    first = ids[0]
    assert candidates(env, tmp_path, f"peloton-export export --workout {first[:6]}") == [
        i for i in ids if i.startswith(first[:6])
    ]
    assert candidates(env, tmp_path, "peloton-export ledger forget ") == ids
    assert candidates(env, tmp_path, f"peloton-export ledger retry {ids[-1][:8]}") == [ids[-1]]
    # a profile's own archive: anna has none yet
    assert candidates(env, tmp_path, "peloton-export --profile anna --workout ") == []
    # --archive names another archive
    assert candidates(env, tmp_path, f"peloton-export --archive {tmp_path / 'none'} --workout ") == []


def test_bash_completes_config_commands_and_keys(env: dict[str, str], tmp_path: Path) -> None:
    assert candidates(env, tmp_path, "peloton-export config ") == ["edit", "path", "set", "show", "unset"]
    assert candidates(env, tmp_path, "peloton-export config set for") == ["formats"]
    assert candidates(env, tmp_path, "peloton-export config set peloton.pa") == ["peloton.password"]
    # unset offers the keys the file has: the profiles' usernames of the fixture's config
    assert candidates(env, tmp_path, "peloton-export config unset ") == [
        "profile:anna.username",
        "profile:ben.username",
    ]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(env: dict[str, str], tmp_path: Path, shell: str) -> None:
    script = _script(env, shell)
    assert "_PELOTON_EXPORT_COMPLETE" in script and "peloton-export" in script
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: its script's syntax is not checked")
    path = tmp_path / f"completion.{shell}"
    path.write_text(script, encoding="utf-8")
    check = [shell, "-n", str(path)] if shell == "zsh" else [shell, "--no-execute", str(path)]
    done = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_fish_completes_through_its_own_completion_machinery(env: dict[str, str], tmp_path: Path) -> None:
    """fish sources the script and answers ``complete -C LINE`` (candidate, tab, help)."""
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed: its completion is not driven")
    script = tmp_path / "completion.fish"
    script.write_text(_script(env, "fish"), encoding="utf-8")

    def fish(line: str) -> list[str]:
        program = f"source {script}; complete -C '{line}'"
        done = subprocess.run(
            ["fish", "--no-config", "-c", program], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return [row.split("\t")[0] for row in done.stdout.splitlines() if row]

    assert fish("peloton-export sta") == ["status"]
    assert fish("peloton-export -f t") == ["tcx"]
    assert fish("peloton-export --profile a") == ["anna"]
    assert "directory" in fish("peloton-export --sink ")


def test_an_unknown_shell_is_a_usage_error(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(COMMAND), "completion", "tcsh"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "tcsh" in done.stderr and "bash" in done.stderr and "Traceback" not in done.stderr
