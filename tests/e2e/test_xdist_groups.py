"""The suite's ``xdist_group`` marks keep their tests on one worker (``--dist loadgroup``).

The session and module fixtures that normalize, encode and decode every recorded fixture
are shared only if their tests run in one process. pytest 9.2 silently dropped the group
suffix pytest-xdist gives a test's id (pytest-dev/pytest-xdist#1386), so the tests spread
over the workers and each built the fixtures again; ``tests/conftest.py`` puts the suffix
back. This runs a small suite in real xdist workers with that hook and asks which worker
ran each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("xdist", reason="pytest-xdist is not installed")

#: The project's conftest, whose ``_GroupSuffix`` hook is under test.
CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def test_tests_of_one_group_run_on_one_worker_and_share_its_fixture(pytester: pytest.Pytester) -> None:
    log = pytester.path / "ran.jsonl"
    pytester.makeconftest(
        f"""
import importlib.util, json, os
import pytest

spec = importlib.util.spec_from_file_location("project_conftest", {str(CONFTEST)!r})
project = importlib.util.module_from_spec(spec)
spec.loader.exec_module(project)
_GroupSuffix = project._GroupSuffix

def pytest_configure(config):
    config.pluginmanager.register(_GroupSuffix(), "group-suffix")

def pytest_collection_modifyitems(items):
    for item in items:
        if "grouped" in item.name:
            item.add_marker(pytest.mark.xdist_group("shared"))

@pytest.fixture(scope="session")
def built():
    with open({str(log)!r}, "a") as f:
        f.write(json.dumps({{"built": os.environ["PYTEST_XDIST_WORKER"]}}) + "\\n")

@pytest.fixture(autouse=True)
def _where(request):
    yield
    where = {{"test": request.node.name, "worker": os.environ["PYTEST_XDIST_WORKER"]}}
    with open({str(log)!r}, "a") as f:
        f.write(json.dumps(where) + "\\n")
"""
    )
    grouped = "\n".join(f"def test_grouped_{i}(built):\n    pass\n" for i in range(8))
    free = "\n".join(f"def test_free_{i}():\n    pass\n" for i in range(8))
    pytester.makepyfile(test_a=grouped, test_b=free)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=16)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    workers = {line["worker"] for line in lines if "test" in line and "grouped" in line["test"]}
    assert len(workers) == 1, lines
    assert [line["built"] for line in lines if "built" in line] == sorted(workers)
    # the other tests still spread: the group did not serialize the whole run
    assert {line["worker"] for line in lines if "test" in line} == {"gw0", "gw1"}
