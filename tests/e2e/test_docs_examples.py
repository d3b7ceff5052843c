"""Every shell example of the README and the documentation site runs, unless it is marked.

A fenced ``sh``/``bash``/``console`` block is run with ``bash -euo pipefail`` (a ``zsh`` block
with ``zsh -f -euo pipefail``, a ``fish`` block with ``fish --no-config``, each skipped with
the reason where that shell is not installed) in a temporary folder, with the test's
private HOME and the fake Peloton of ``peloton_env`` (loopback, a saved login), so an
example that syncs runs offline too. A block that cannot run here (a real login, a command
that runs until stopped, a placeholder) carries the marker
``<!-- docs-example: not run: REASON -->`` on the line before its fence (docs/development.md,
"This documentation site"); the Quickstart's and the container section's blocks are run by
``.ci/fresh-clone`` and ``.ci/container-test``, between their own markers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peloton_export.testing import FakePeloton

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(sh|bash|shell|console|zsh|fish)\s*$")
NOT_RUN = re.compile(r"^<!-- docs-example: not run: \S.*-->$")
#: blocks that a CI script runs, between its own markers
RUN_ELSEWHERE = ("<!-- quickstart-commands:begin", "<!-- container-commands:begin")


#: how a block of each fence language is run (the code is the last argument); bash otherwise
SHELLS = {
    "zsh": ["zsh", "-f", "-euo", "pipefail", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}
BASH = ["bash", "-euo", "pipefail", "-c"]


def _blocks() -> list[tuple[str, int, str, str, str]]:
    """(page, line, the line before the fence, fence language, code) of every shell block."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        lines = page.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            fence = FENCE.match(lines[i])
            if fence:
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
                before = lines[i - 1] if i else ""
                code = "\n".join(lines[i + 1 : end])
                found.append((str(page.relative_to(ROOT)), i + 1, before, fence.group(1), code))
                i = end
            i += 1
    return found


BLOCKS = _blocks()
RUNNABLE = [b for b in BLOCKS if not NOT_RUN.match(b[2]) and not b[2].startswith(RUN_ELSEWHERE)]


def test_the_docs_have_shell_examples_and_each_marker_gives_a_reason() -> None:
    assert len(BLOCKS) >= 10 and RUNNABLE
    for page, line, before, _, _ in BLOCKS:
        if "docs-example" in before:
            assert NOT_RUN.match(before), (
                f"{page}:{line}: the marker is <!-- docs-example: not run: REASON -->"
            )


@pytest.mark.parametrize(
    ("page", "line", "before", "language", "code"), RUNNABLE, ids=[f"{b[0]}:{b[1]}" for b in RUNNABLE]
)
def test_the_shell_example_runs(
    page: str, line: int, before: str, language: str, code: str, peloton_env: FakePeloton, tmp_path: Path
) -> None:
    if re.search(r"\bjq\b", code) and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    command = SHELLS.get(language, BASH)
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed: its example is not run")
    work = tmp_path / "example"
    work.mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [*command, code],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{page}:{line} exited {done.returncode}:\n{done.stderr[-2000:]}"
