"""The documentation site (mkdocs.yml, docs/): `mkdocs build --strict` passes, and the two
generated reference pages hold every command and every hook."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with --strict into a temporary folder (never into the checkout)."""
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed (the docs extra: pip install -r requirements-dev.txt)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_every_page_under_docs_is_built(site: Path) -> None:
    pages = {p.relative_to(ROOT / "docs").with_suffix("") for p in (ROOT / "docs").rglob("*.md")}
    built = {p.relative_to(site).parent for p in site.rglob("index.html")}
    assert {Path("." if p.name == "index" else p) for p in pages} <= built


def test_the_cli_reference_has_every_command(site: Path) -> None:
    import click

    from peloton_export.cli import build_cli
    from peloton_export.plugins import create_host

    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    cli = build_cli(create_host(entry_points=False))
    ctx = click.Context(cli)
    names = [n for n in cli.list_commands(ctx) if not cli.get_command(ctx, n).hidden]  # type: ignore[union-attr]
    assert len(names) > 10
    for name in names:
        assert f"<code>peloton-export {name}</code>" in page, name
    assert "--since" in page and "--discipline" in page  # the export command's options
    assert "<!-- cli-reference -->" not in page


def test_the_hook_reference_has_every_hook_with_its_docstring(site: Path) -> None:
    import inspect

    from peloton_export import hookspecs

    page = (site / "reference" / "hooks" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    specs = vars(hookspecs).items()
    hooks = [n for n, f in specs if inspect.isfunction(f) and hasattr(f, "peloton_export_spec")]
    assert len(hooks) >= 7
    for name in hooks:
        assert f'id="peloton_export.hookspecs.{name}"' in page, name
        first_line = inspect.getdoc(getattr(hookspecs, name)).splitlines()[0]  # type: ignore[union-attr]
        assert first_line.split("``")[0][:30] in text, name
