"""peloton-export: get Peloton workouts out as files and into other platforms.

The public API for plugin authors and library users is re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peloton_export.errors import (
    AuthRequired,
    ConfigError,
    ExportError,
    NormalizeError,
    PelotonExportError,
    PluginError,
    PluginLoadError,
    RegistrationConflict,
    ServiceFailing,
    SinkPaused,
    SkipFormat,
    SkipWorkout,
    UploadError,
)

if TYPE_CHECKING:  # at run time these load on first use (``__getattr__`` below)
    from peloton_export.hookspecs import hookimpl
    from peloton_export.model import (
        ExerciseSet,
        GpsPoint,
        HeartRateZone,
        Lap,
        Sample,
        TargetRange,
        Workout,
    )
    from peloton_export.specs import (
        ExportContext,
        FormatSpec,
        LoginAnswer,
        LoginField,
        LoginRequest,
        LoginSpec,
        SinkSpec,
        SummarySpec,
        UploadResult,
    )

__version__ = "0.1.0"

#: Names loaded on first use, so importing the package stays light: the command line's
#: ``--help`` imports only what it shows (benchmarks/bench_startup.py).
_LAZY = {
    "hookimpl": "peloton_export.hookspecs",
    **dict.fromkeys(
        ("ExerciseSet", "GpsPoint", "HeartRateZone", "Lap", "Sample", "TargetRange", "Workout"),
        "peloton_export.model",
    ),
    **dict.fromkeys(
        (
            "ExportContext",
            "FormatSpec",
            "LoginAnswer",
            "LoginField",
            "LoginRequest",
            "LoginSpec",
            "SinkSpec",
            "SummarySpec",
            "UploadResult",
        ),
        "peloton_export.specs",
    ),
    "PelotonWorkout": "peloton_export.compat",
    "PelotonRide": "peloton_export.compat",
    "ExportRequest": "peloton_export.export.run",
    "ProgressEvent": "peloton_export.export.run",
    "run_export": "peloton_export.export.run",
    "sync_archive": "peloton_export.export.run",
    "ExportReport": "peloton_export.results",
    "Selection": "peloton_export.results",
    "RunContext": "peloton_export.results",
    "ExportPlan": "peloton_export.export.plan",
}


def __getattr__(name: str) -> object:
    """Load the plugin API, the run API and the original library's compatible API on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'peloton_export' has no attribute {name!r}")


__all__ = [
    "AuthRequired",
    "ConfigError",
    "ExerciseSet",
    "ExportContext",
    "ExportError",
    "ExportPlan",
    "ExportReport",
    "ExportRequest",
    "FormatSpec",
    "GpsPoint",
    "HeartRateZone",
    "Lap",
    "LoginAnswer",
    "LoginField",
    "LoginRequest",
    "LoginSpec",
    "NormalizeError",
    "PelotonExportError",
    "PelotonRide",
    "PelotonWorkout",
    "PluginError",
    "PluginLoadError",
    "ProgressEvent",
    "RegistrationConflict",
    "RunContext",
    "Sample",
    "Selection",
    "ServiceFailing",
    "SinkPaused",
    "SinkSpec",
    "SkipFormat",
    "SkipWorkout",
    "SummarySpec",
    "TargetRange",
    "UploadError",
    "UploadResult",
    "Workout",
    "__version__",
    "hookimpl",
    "run_export",
    "sync_archive",
]
