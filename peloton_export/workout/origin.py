"""Where a workout came from: recorded by Peloton, or imported by Peloton from elsewhere.

Peloton imports workouts from Apple Health, Garmin, Strava and others. Exporting those
back out (to Strava or Garmin) would loop them back as duplicates, so the sync skips them
by default (``[peloton-export] skip_imported = false`` keeps them), and the normalizer
records it as ``Workout.origin`` (``"imported:<service>"``).

The API does not document a flag for this. :func:`workout_origin` reads the fields that
name a source, on the list item or the detail body:

* ``workout_source``, ``source``, ``import_source``, ``external_source``, ``origin``,
  ``service`` / ``service_name`` / ``service_id``, ``platform`` and ``device_type``: if one of them names an
  external service (``apple_health``, ``healthkit``, ``garmin``, ``strava``, ``fitbit``,
  ``google_fit``, ``health_connect``, ``wahoo``, ``zwift``, ``polar``, ``suunto``,
  ``coros``), that service is the origin;
* ``is_imported`` / ``is_external`` set to true gives ``"external"``.

``strava_id`` and ``fitbit_id`` are **not** origins: Peloton sets them when it *sent* the
workout there. ``device_type: "apple_watch"`` alone is not one either (Peloton's own watch
app records native workouts). Anything else is ``"peloton"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PELOTON = "peloton"

#: How external services may be spelled (after lower-casing and joining words with ``_``).
EXTERNAL_SERVICES: dict[str, str] = {
    "apple_health": "apple_health",
    "applehealth": "apple_health",
    "healthkit": "apple_health",
    "health_kit": "apple_health",
    "apple_healthkit": "apple_health",
    "garmin": "garmin",
    "garmin_connect": "garmin",
    "strava": "strava",
    "fitbit": "fitbit",
    "google_fit": "google_fit",
    "googlefit": "google_fit",
    "health_connect": "health_connect",
    "wahoo": "wahoo",
    "zwift": "zwift",
    "polar": "polar",
    "suunto": "suunto",
    "coros": "coros",
}
SOURCE_FIELDS = (
    "workout_source",
    "source",
    "import_source",
    "external_source",
    "origin",
    "service",
    "service_name",
    "service_id",
    "platform",
    "device_type",
)
FLAG_FIELDS = ("is_imported", "is_external")
_WORDS = re.compile(r"[^a-z0-9]+")


def _service(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("slug")
    if not isinstance(value, str) or not value.strip():
        return None
    word = _WORDS.sub("_", value.strip().lower()).strip("_")
    if word in EXTERNAL_SERVICES:
        return EXTERNAL_SERVICES[word]
    for part in word.split("_"):
        if part in ("garmin", "strava", "fitbit", "healthkit", "zwift", "wahoo", "polar", "suunto", "coros"):
            return EXTERNAL_SERVICES[part]
    return None


def workout_origin(*bodies: Mapping[str, Any] | None) -> str:
    """``"peloton"`` or the external service a workout came from (see the module docstring)."""
    for body in bodies:
        if not body:
            continue
        for key in SOURCE_FIELDS:
            service = _service(body.get(key))
            if service is not None:
                return service
        if any(body.get(flag) is True for flag in FLAG_FIELDS):
            return "external"
    return PELOTON


def is_imported(*bodies: Mapping[str, Any] | None) -> bool:
    """True when the workout was imported into Peloton from another platform."""
    return workout_origin(*bodies) != PELOTON
