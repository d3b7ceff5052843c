"""Every benchmark runs in CI at its ``--smoke`` size (issue 24: a benchmark nobody runs rots).

``.ci/run`` names the benchmarks one a line in its ``smoke_benchmarks=( ... )`` list and runs
each with ``--smoke``; this test fails when a script in ``benchmarks/`` is missing from the
list, when the list names a script that is gone, or when a script has no ``--smoke`` option.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST = re.compile(r"^smoke_benchmarks=\(\n(?P<names>.*?)^\)$", re.MULTILINE | re.DOTALL)


def smoke_list() -> list[str]:
    """The names in ``.ci/run``'s ``smoke_benchmarks`` array, in order."""
    found = LIST.search((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert found, ".ci/run has no smoke_benchmarks=( ... ) list"
    return found.group("names").split()


def test_every_benchmark_is_in_the_ci_smoke_list() -> None:
    scripts = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py"))
    listed = smoke_list()
    assert scripts, "no benchmarks found"
    assert sorted(listed) == scripts, (
        f"missing from .ci/run: {sorted(set(scripts) - set(listed))}; "
        f"listed but absent: {sorted(set(listed) - set(scripts))}"
    )
    assert len(listed) == len(set(listed)), "a benchmark is listed twice"


def test_the_ci_loop_runs_the_list_with_smoke() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'for bench in "${smoke_benchmarks[@]}"; do' in text
    assert '"benchmarks/$bench.py" --smoke' in text


def test_every_benchmark_has_a_smoke_option() -> None:
    for name in smoke_list():
        source = (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
        assert '"--smoke"' in source, f"benchmarks/{name}.py has no --smoke option"
