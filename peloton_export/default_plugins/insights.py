"""Built-in ``insights`` plugin: the saved bike model, once per run, for class cues in watts.

``export_started`` reads ``<archive>/insights/bike-model.json`` (written by
``peloton-export bike model``) into ``ExportContext.state["insights"]["models"]`` as
plain JSON, so worker processes get it too. Writers then call
:func:`peloton_export.insights.cues.cues_for`. No numpy: evaluating a saved model is pure
Python. No file, no cues: every format is written as without this plugin. A broken file
is logged once and ignored.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from peloton_export.hookspecs import hookimpl

if TYPE_CHECKING:
    from peloton_export.export.plan import ExportPlan
    from peloton_export.results import RunContext

log = logging.getLogger("peloton_export.insights")


@hookimpl
def export_started(context: RunContext, plan: ExportPlan) -> None:
    """Load the archive's saved bike model, if there is one."""
    from peloton_export.insights.cues import STATE_KEY
    from peloton_export.insights.model import models_from_json
    from peloton_export.insights.store import MAX_MODEL_BYTES, model_path
    from peloton_export.store.archive import ArchiveError, read_file

    path = model_path(context.archive.root)
    try:
        data = json.loads(read_file(path, limit=MAX_MODEL_BYTES))
        models_from_json(data)  # every field in range, or no cues (and no drift chart) this run
    except FileNotFoundError:
        return
    except (ArchiveError, ValueError, UnicodeDecodeError) as exc:
        log.warning("bike model %s left out (%s); run 'peloton-export bike model' again", path, exc)
        return
    context.state(STATE_KEY)["models"] = data
    log.info("class cues in watts from %s", path)


__all__ = ["export_started"]
