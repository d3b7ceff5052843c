"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The CLI reference page (docs/reference/cli.md) holds one marker, ``<!-- cli-reference -->``;
this hook replaces it at build time with every command's ``--help``, taken from the click
commands themselves (``build_cli(create_host(entry_points=False))``: the built-in commands,
no installed plugin's), so the page cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MARKER = "<!-- cli-reference -->"
#: the width the help text is wrapped at (click's default is the terminal's)
WIDTH = 100


def cli_reference() -> str:
    """Markdown for every visible command: a heading per command, its ``--help`` as text."""
    import click

    from peloton_export.cli import build_cli
    from peloton_export.plugins import create_host

    def walk(
        command: click.Command, path: list[str], parent: click.Context | None
    ) -> Iterator[tuple[list[str], click.Command, click.Context]]:
        ctx = click.Context(
            command, info_name=path[-1], parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
        )
        yield path, command, ctx
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, [*path, name], ctx)

    cli = build_cli(create_host(entry_points=False))
    parts = []
    for path, command, ctx in walk(cli, ["peloton-export"], None):
        level = "#" * min(len(path) + 1, 4)
        summary = command.get_short_help_str(limit=WIDTH)
        parts.append(f"{level} `{' '.join(path)}`\n\n{summary}\n\n```text\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the CLI reference page's marker (mkdocs calls this for every page)."""
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
