"""``peloton-export config edit`` opens the config file in ``$VISUAL`` (else ``$EDITOR``)
and checks it afterwards (issue 25). The editor is a small script of this test: it records
the path it was given and appends a line, the way a person would save a change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).parent / "peloton-export"


def _editor(tmp_path: Path, name: str, line: str, code: int = 0) -> Path:
    """An editor that writes the path it opened to ``<name>.opened`` and appends ``line``."""
    script = tmp_path / name
    opened = tmp_path / f"{name}.opened"
    script.write_text(
        f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\nprintf "%s\\n" "{line}" >> "$1"\nexit {code}\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    if not COMMAND.exists():
        pytest.skip(f"{COMMAND} is not installed (pip install -e .)")
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def env() -> dict[str, str]:
    """The private HOME's environment (tests/home_guard.py), without an editor."""
    return {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}


def test_edit_makes_the_home_file_opens_it_and_checks_it(env: dict[str, str], tmp_path: Path) -> None:
    home = Path(env["XDG_CONFIG_HOME"]) / "peloton-export" / "config.ini"
    visual = _editor(tmp_path, "visual", "[peloton-export]")
    _editor(tmp_path, "editor", "never = used")
    done = _run({**env, "VISUAL": str(visual), "EDITOR": str(tmp_path / "editor")}, "config", "edit")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "visual.opened").read_text(encoding="utf-8") == str(home)
    assert not (tmp_path / "editor.opened").exists()  # $VISUAL wins over $EDITOR
    assert home.read_text(encoding="utf-8").endswith("\n[peloton-export]\n")
    assert home.read_text(encoding="utf-8").startswith("# peloton-export configuration")
    assert home.stat().st_mode & 0o777 == 0o600
    assert "no problem found" in done.stderr


def test_edit_names_the_line_of_a_bad_value_it_saved(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "mine.ini"
    config.write_text("[peloton-export]\nformats = tcx\n", encoding="utf-8")
    editor = _editor(tmp_path, "editor", "timeout = abc")
    # an editor given with its own words ("code --wait" style): split like a shell would
    done = _run({**env, "EDITOR": f"/bin/sh {editor}"}, "--config", str(config), "config", "edit")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"Error: {config}, line 3: [peloton-export] timeout: expected a number between 1 and 600, got 'abc'"
    )
    assert "Traceback" not in done.stderr


def test_edit_without_an_editor_or_with_a_failing_one(env: dict[str, str], tmp_path: Path) -> None:
    done = _run(env, "config", "edit")
    assert done.returncode == 2 and "set $VISUAL or $EDITOR" in done.stderr
    failing = _editor(tmp_path, "failing", "x = 1", code=3)
    done = _run({**env, "EDITOR": str(failing)}, "config", "edit")
    assert done.returncode == 2 and "exited 3" in done.stderr
    done = _run({**env, "EDITOR": str(tmp_path / "no-such-editor")}, "config", "edit")
    assert done.returncode == 2 and "cannot start the editor" in done.stderr
    assert "Traceback" not in done.stderr
