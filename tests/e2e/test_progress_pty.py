"""The command line in a pseudo-terminal shows progress while listing and fetching."""
# ruff: noqa: F811  (fixtures imported by name)

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from peloton_export.testing import FakePeloton
from peloton_export.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    fake_peloton,
    fake_peloton_factory,
    peloton_env,
)


def drive(args: list[str], out: Path, *, timeout: float = 120) -> tuple[int, dict[str, int]]:
    """Run the CLI in a pty; for each word seen, how many files ``out`` held at that moment."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "peloton_export", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen: dict[str, int] = {}
    text = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                text += chunk
                files = len(list(out.glob("*.json"))) if out.is_dir() else 0
                for word in (b"listing page", b"fetching", b"exporting"):
                    if word in text and word.decode() not in seen:
                        seen[word.decode()] = files
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, seen


def test_progress_shows_listing_and_fetching_before_the_first_file(
    peloton_env: FakePeloton, tmp_path: Path
) -> None:
    ini = tmp_path / "peloton.ini"
    ini.write_text(ini.read_text(encoding="utf-8").replace("max_rate = 0", "max_rate = 15"), encoding="utf-8")
    out = tmp_path / "out"
    code, seen = drive(["-f", "json", "-o", str(out)], out)
    assert code == 0
    assert seen.get("listing page") == 0
    assert seen.get("fetching") == 0
    assert "exporting" in seen
    assert len(list(out.glob("*.json"))) == 25


def test_piped_output_has_no_progress(peloton_env: FakePeloton, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "peloton_export", "-f", "json", "--limit", "2", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "fetching" not in done.stderr and "listing" not in done.stderr
    assert "Peloton sync:" in done.stdout
