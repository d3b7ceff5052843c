"""Standard output closed by its reader (``peloton-export ... | head -1``): exit 141 (the
shell's code for SIGPIPE), nothing on standard error, no traceback.

click would swallow the ``BrokenPipeError`` and exit 1 without a word (it did, for every
command); the group turns it into the quiet 141.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    ["--demo", "-o", "{tmp}/out", "-f", "tcx,json"],
    ["--demo", "-o", "{tmp}/out", "-f", "tcx,json", "-j", "2"],
    ["formats"],
    ["sinks"],
    ["status"],
    ["--help"],
    ["export", "--help"],
    ["--version"],
]


def _into_closed_pipe(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        return subprocess.run(
            [sys.executable, "-m", "peloton_export", *(arg.format(tmp=tmp_path) for arg in argv)],
            stdout=write,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env={**os.environ, "PELOTON_CONFIG": os.devnull},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv).replace("{tmp}/", ""))
def test_a_closed_standard_output_is_a_quiet_exit_141(argv: list[str], tmp_path: Path) -> None:
    done = _into_closed_pipe(argv, tmp_path)
    assert done.returncode == 141, done.stderr.decode()
    assert done.stderr == b"", done.stderr.decode()


def test_head_1_takes_the_first_line_and_the_run_is_quiet(tmp_path: Path) -> None:
    command = (
        f'{sys.executable} -m peloton_export formats 2>{tmp_path}/err | head -1; echo "${{PIPESTATUS[0]}}"'
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
    )
    first, code = done.stdout.splitlines()
    assert first.startswith("csv ")
    assert code in {"0", "141"}  # 0 when the pipe took every line before head went away
    assert (tmp_path / "err").read_text() == ""
