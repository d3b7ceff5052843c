"""Bike insights: your bike's power map, its calibration eras and class cues in watts.

Library use (fitting needs the ``insights`` extra, numpy; evaluating does not)::

    from peloton_export.store.archive import Archive
    from peloton_export.insights import analyze, load_rides

    rides, skipped = load_rides(Archive(path))      # RideSeries per Bike ride, lines left out
    models = analyze(rides)                         # BikeModels: per device and era
    model = models.latest()                         # BikeModel of the most-ridden device
    model.watts(90, 45)                             # W
    model.resistance_for(200, 90).value             # percent (None when out of reach)

Modules: :mod:`.rides` (which samples a fit uses), :mod:`.model` (the form, evaluation,
inversion, JSON; pure Python), :mod:`.fit` (robust fit, hold-out, eras; numpy),
:mod:`.drift` (change points; numpy), :mod:`.cues` (class cues in watts; pure Python),
:mod:`.store` (the archive's rides and the saved model file), :mod:`.cli` (``bike``).
Nothing is imported until a name is used.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "analyze": "peloton_export.insights.fit",
    "fit_model": "peloton_export.insights.fit",
    "holdout": "peloton_export.insights.fit",
    "FitError": "peloton_export.insights.fit",
    "BikeModel": "peloton_export.insights.model",
    "BikeModels": "peloton_export.insights.model",
    "ChangePoint": "peloton_export.insights.model",
    "RideSeries": "peloton_export.insights.rides",
    "ride_series": "peloton_export.insights.rides",
    "load_rides": "peloton_export.insights.store",
    "load_models": "peloton_export.insights.store",
    "save_models": "peloton_export.insights.store",
    "class_cues": "peloton_export.insights.cues",
    "cues_for": "peloton_export.insights.cues",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    """Load the public names on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
