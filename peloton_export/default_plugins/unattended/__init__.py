"""Built-in plugin adding ``peloton-export watch`` and ``peloton-export schedule``
(the commands are in :mod:`peloton_export.cli.unattended`)."""

from __future__ import annotations

import click

from peloton_export.cli.unattended import schedule_command, watch_command
from peloton_export.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``watch`` and ``schedule``."""
    cli.add_command(watch_command)
    cli.add_command(schedule_command)
