"""The plugin host in a subprocess and against the fake notify service.

The in-process tests are in ``tests/unit/test_plugins.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from peloton_export.plugins import create_host
from peloton_export.specs import ExportContext


@pytest.fixture
def context(tmp_path: Path) -> ExportContext:
    return ExportContext(output_dir=tmp_path)


def test_importing_the_cli_loads_no_plugin() -> None:
    code = (
        "import sys, peloton_export.cli, peloton_export; "
        "print(any(m.startswith('peloton_export.default_plugins.') for m in sys.modules))"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_installed_example_plugin_is_listed_and_can_be_hidden() -> None:
    import json
    import subprocess

    code = "from peloton_export.cli import main; main()"
    env = {**os.environ, "PELOTON_EXPORT_LOAD_PLUGINS": "example"}
    listed = subprocess.run([sys.executable, "-c", code, "plugins"], capture_output=True, text=True, env=env)
    names = [p["name"] for p in json.loads(listed.stdout)["plugins"]]
    if "example" not in names:
        pytest.skip("peloton-export-example is not installed (pip install -r requirements-dev.txt)")
    assert names == ["example"]
    env["PELOTON_EXPORT_LOAD_PLUGINS"] = ""
    hidden = subprocess.run([sys.executable, "-c", code, "plugins"], capture_output=True, text=True, env=env)
    assert json.loads(hidden.stdout)["plugins"] == []


def test_hook_export_finished_reaches_the_notify_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("apprise")
    from types import SimpleNamespace

    from peloton_export.config import Config
    from peloton_export.results import ExportReport, WorkoutResult
    from peloton_export.testing import FakeService, RecordedRequest, Response

    class Inbox(FakeService):
        def route(self, request: RecordedRequest) -> Response:
            return Response.json({})

    monkeypatch.setenv("PELOTON_EXPORT_STATE_DIR", str(tmp_path))
    report = ExportReport(results=[WorkoutResult("w1", "failed", "workout w1: tcx: disk full")])
    host = create_host(entry_points=False)
    with Inbox() as inbox:
        config = Config(settings={"notify_urls": inbox.url.replace("http://", "json://") + "/"})
        context = SimpleNamespace(
            config=config,
            export=SimpleNamespace(dry_run=False, state={}),
            archive=None,
            formats=(),
            ledger=None,
        )
        host.pm.hook.export_finished(context=context, report=report)
        posts = [r.json() for r in inbox.requests if r.method == "POST"]
    assert len(posts) == 1 and "workout w1 failed" in posts[0]["message"]
