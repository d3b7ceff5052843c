"""Built-in ``directory`` sink: copy each workout's file into a folder.

The reference sink. Set the folder with ``--option directory.path=DIR`` or in the config::

    [plugin:directory]
    path = ~/Dropbox/workouts

Point it at a folder that Dropbox, Syncthing, OneDrive or iCloud keeps in sync and it
becomes an upload to those services. A file already there with the same content is a
duplicate, not an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from peloton_export.errors import UploadError
from peloton_export.hookspecs import hookimpl
from peloton_export.readback import same_bytes

if TYPE_CHECKING:  # not loaded with the plugin (``--help`` loads every built-in)
    from peloton_export.model import Workout
    from peloton_export.specs import ExportContext, SinkSpec, UploadResult


def destination(context: ExportContext) -> Path:
    """The folder the sink copies into; ``UploadError`` when none is configured."""
    value = context.option("directory.path") or context.config_for("directory").get("path")
    if not value:
        raise UploadError(
            "the directory sink needs a folder: pass --option directory.path=DIR "
            "or set path in the [plugin:directory] section of the config"
        )
    return Path(value).expanduser()


def copy_to_directory(path: Path, workout: Workout, context: ExportContext) -> UploadResult:
    """Copy ``path`` into the configured folder, atomically."""
    from peloton_export.specs import UploadResult
    from peloton_export.store.atomic import write_bytes_atomic

    target = destination(context) / path.name
    data = path.read_bytes()
    try:
        if same_bytes(target, data):
            return UploadResult(state="duplicate", remote_id=str(target), message="same file already there")
        write_bytes_atomic(target, data)
    except OSError as exc:
        raise UploadError(f"cannot copy to {target}: {exc.strerror or exc}") from None
    return UploadResult(state="uploaded", remote_id=str(target))


@hookimpl
def register_sinks() -> Iterator[SinkSpec]:
    """The ``directory`` sink."""
    from peloton_export.specs import SinkSpec

    yield SinkSpec(
        name="directory",
        accepts=("fit", "tcx", "gpx", "json", "csv"),
        upload=copy_to_directory,
        description="copy files into a local folder (for example one that a sync client watches)",
        options={"path": "the folder to copy into (else [plugin:directory] path)"},
    )
