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


def test_the_fresh_clone_check_runs_the_readmes_two_commands() -> None:
    """``.ci/fresh-clone`` takes exactly the Quickstart's two commands (between the
    markers), and ``.ci/run`` runs it before the suite."""
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- quickstart-commands:begin", 1)[1].split("<!-- quickstart-commands:end", 1)[0]
    assert "```sh" in block and block.count("```") == 2
    script = (ROOT / ".ci" / "fresh-clone").read_text(encoding="utf-8")
    # the script's own extraction, run on this README
    extract = script.split('git show "$COMMIT:README.md" \\', 1)[1].split("\n)", 1)[0]
    done = subprocess.run(
        ["bash", "-c", "cat README.md " + extract.strip()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == _quickstart_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci.index("bash .ci/fresh-clone HEAD") < ci.index(_quickstart_commands()[1])
