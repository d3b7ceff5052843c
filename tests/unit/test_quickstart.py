"""The README's Quickstart: the test command is what CI runs, in its own environment."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("python3 -m venv")]


def test_the_two_quickstart_commands_use_separate_environments() -> None:
    demo, tests = _quickstart_commands()
    venvs = [re.match(r"python3 -m venv (\S+)", line) for line in (demo, tests)]
    assert venvs[0] and venvs[1] and venvs[0].group(1) != venvs[1].group(1)
    assert f"{venvs[1].group(1)}/bin/pip install" in tests and ".venv/" not in tests


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = _quickstart_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
