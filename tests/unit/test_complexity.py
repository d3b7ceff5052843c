"""The package stays in small steps: no function of any module above complexity 20.

Cyclomatic complexity is counted the way radon counts it (``radon cc -s peloton_export``
gives the same numbers): 1, plus one for each ``if``/``elif`` and conditional expression,
each loop (and its ``else``), each ``except`` (and a ``try``'s ``else``), each extra operand
of ``and``/``or``, each comprehension ``for`` and its ``if``s, each ``match`` case other
than ``_``, and each ``assert``. A nested function is a function of its own and adds
nothing to the one around it. 20 is the top of radon's grade C.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "peloton_export"
LIMIT = 20
#: Every module of the package, subpackages included.
MODULES = tuple(sorted(PACKAGE.rglob("*.py")))

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def complexity(function: _Function) -> int:
    """The cyclomatic complexity of ``function``'s own body (nested functions left out)."""
    total = 1
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, _Function):
            continue
        total += _decisions(node)
        pending.extend(ast.iter_child_nodes(node))
    return total


def _decisions(node: ast.AST) -> int:
    if isinstance(node, ast.Try | ast.TryStar):
        return len(node.handlers) + bool(node.orelse)
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, ast.If | ast.IfExp | ast.Assert):
        return 1
    if isinstance(node, ast.For | ast.AsyncFor | ast.While):
        return 1 + bool(node.orelse)
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    if isinstance(node, ast.Match):
        wildcard = any(
            isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None for case in node.cases
        )
        return max(0, len(node.cases) - wildcard)
    return 0


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, _Function]]:
    """Every function, method and nested function of ``tree`` with its dotted name."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, _Function):
            yield f"{prefix}{node.name}", node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def _complexity_of(source: str) -> int:
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, _Function)
    return complexity(function)


def test_the_counter_counts_like_radon() -> None:
    source = """
def f(items, flag):
    for item in items:                      # +1
        if item and flag or not item:       # +1 (if) +2 (and, or)
            continue
        elif item > 3:                      # +1
            pass
    else:                                   # +1 (the loop's else)
        pass
    try:
        value = [x for x in items if x]     # +2 (for, if)
    except ValueError:                      # +1
        value = None
    except KeyError:                        # +1
        value = 0
    def inner(y):                           # its own function: +0 here
        return 1 if y else 2
    return value if value else inner(0)     # +1
"""
    assert _complexity_of(source) == 12
    inner = dict(functions(ast.parse(source)))["f.inner"]
    assert complexity(inner) == 2


def test_every_module_is_checked() -> None:
    """The list is the whole package: top-level modules and every subpackage's."""
    assert PACKAGE / "cli" / "__init__.py" in MODULES
    assert PACKAGE / "formats" / "report" / "svg.py" in MODULES
    assert PACKAGE / "testing" / "server.py" in MODULES
    assert PACKAGE / "testing" / "synth" / "bike.py" in MODULES
    assert len(MODULES) > 100


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_above_the_limit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    too_complex = {
        name: value for name, function in functions(tree) if (value := complexity(function)) > LIMIT
    }
    assert not too_complex, f"split these into smaller steps (complexity above {LIMIT}): {too_complex}"
