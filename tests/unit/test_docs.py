"""The README stays a newcomer's page; the rest lives in the documentation site (docs/).

The site itself (``mkdocs build --strict``, the generated reference pages) is built by
``tests/e2e/test_docs_site.py``; its shell examples are run by ``tests/e2e/test_docs_examples.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: a markdown link outside code: [label](target)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """``text`` without its fenced code blocks and inline code."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def test_the_readme_is_at_most_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move sections to docs/ pages"


def test_every_relative_link_of_the_readme_names_a_file_that_exists() -> None:
    missing = []
    for target in LINK.findall(_prose(README.read_text(encoding="utf-8"))):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        if not (ROOT / target.split("#", 1)[0]).exists():
            missing.append(target)
    assert not missing, missing


def test_the_readme_links_every_page_of_the_site() -> None:
    """A newcomer finds every page from the README's Documentation list."""
    linked = {t.split("#", 1)[0] for t in LINK.findall(README.read_text(encoding="utf-8"))}
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")} - {"docs/index.md"}
    assert pages - linked == set(), "link these pages from README.md's Documentation list"


def test_the_site_index_links_every_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = {t.split("#", 1)[0] for t in LINK.findall(index)}
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")} - {"index.md"}
    assert pages - linked == set(), "link these pages from docs/index.md"


def test_the_cli_reference_hook_lists_every_command() -> None:
    """tools/mkdocs_hooks.py renders every visible command, subcommands included."""
    from tools.mkdocs_hooks import MARKER, cli_reference, on_page_markdown

    text = cli_reference()
    for command in (
        "peloton-export",
        "peloton-export export",
        "peloton-export ledger retry",
        "peloton-export watch",
    ):
        assert f"`{command}`" in text, command
    assert "--since" in text and "--discipline" in text  # the export options
    assert MARKER not in on_page_markdown(f"# x\n\n{MARKER}\n", None, None, None)
    assert on_page_markdown("# untouched\n", None, None, None) == "# untouched\n"
