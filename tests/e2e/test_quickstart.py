"""The README's Quickstart: the fresh-clone check (.ci/fresh-clone) reads the two commands as CI runs them.

The in-process tests are in ``tests/unit/test_quickstart.py``.
"""

from __future__ import annotations

from tests.unit.test_quickstart import ROOT, _quickstart_commands


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
