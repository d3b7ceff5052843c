"""The FIT sport and sub-sport of every Peloton discipline (a total mapping).

| Peloton discipline | indoor | outdoor (``is_outdoor``) |
| --- | --- | --- |
| ``cycling`` | cycling / indoor_cycling (virtual: cycling / virtual_activity) | cycling / road |
| ``bike_bootcamp`` | cycling / indoor_cycling | same |
| ``running`` | running / treadmill | running / generic |
| ``walking`` | walking / indoor_walking | walking / generic |
| ``caesar`` (Row), ``caesar_bootcamp`` | rowing / indoor_rowing | same |
| ``strength`` | training / strength_training | same |
| ``yoga`` | training / yoga | same |
| ``stretching`` | training / flexibility_training | same |
| ``pilates``, ``barre`` | training / pilates | same |
| ``meditation`` | meditation / breathing | same |
| ``cardio`` | training / cardio_training | same |
| ``circuit`` (Tread Bootcamp) | hiit / hiit | same |
| ``boxing`` (Shadowboxing) | boxing / generic | same |
| ``outdoor``, ``outdoor_running``, ``_walking``, ``_cycling`` | outdoor column | same |
| anything else | generic / generic | same |

Discipline names are matched without regard to case, spaces and hyphens. Strava reads the
sport from these values: cycling / virtual_activity becomes a Virtual Ride (moving time
from the timer), cycling / indoor_cycling a Ride marked indoor.
"""

from __future__ import annotations

from dataclasses import dataclass

from peloton_export.model import Workout

__all__ = ["SportChoice", "fit_sport"]


@dataclass(frozen=True, slots=True)
class SportChoice:
    """A FIT ``sport`` and ``sub_sport`` (profile names), plus what the workout is."""

    sport: str
    sub_sport: str
    family: str  # cycling, running, walking, rowing, strength, other


_INDOOR: dict[str, SportChoice] = {
    "cycling": SportChoice("cycling", "indoor_cycling", "cycling"),
    "bike_bootcamp": SportChoice("cycling", "indoor_cycling", "cycling"),
    "running": SportChoice("running", "treadmill", "running"),
    "walking": SportChoice("walking", "indoor_walking", "walking"),
    "caesar": SportChoice("rowing", "indoor_rowing", "rowing"),
    "rowing": SportChoice("rowing", "indoor_rowing", "rowing"),
    "caesar_bootcamp": SportChoice("rowing", "indoor_rowing", "rowing"),
    "row_bootcamp": SportChoice("rowing", "indoor_rowing", "rowing"),
    "strength": SportChoice("training", "strength_training", "strength"),
    "yoga": SportChoice("training", "yoga", "other"),
    "stretching": SportChoice("training", "flexibility_training", "other"),
    "pilates": SportChoice("training", "pilates", "other"),
    "barre": SportChoice("training", "pilates", "other"),
    "meditation": SportChoice("meditation", "breathing", "other"),
    "cardio": SportChoice("training", "cardio_training", "other"),
    "circuit": SportChoice("hiit", "hiit", "other"),
    "tread_bootcamp": SportChoice("hiit", "hiit", "other"),
    "boxing": SportChoice("boxing", "generic", "other"),
    "shadowboxing": SportChoice("boxing", "generic", "other"),
}
_OUTDOOR: dict[str, SportChoice] = {
    "cycling": SportChoice("cycling", "road", "cycling"),
    "outdoor_cycling": SportChoice("cycling", "road", "cycling"),
    "running": SportChoice("running", "generic", "running"),
    "outdoor_running": SportChoice("running", "generic", "running"),
    "outdoor": SportChoice("running", "generic", "running"),
    "walking": SportChoice("walking", "generic", "walking"),
    "outdoor_walking": SportChoice("walking", "generic", "walking"),
}
_VIRTUAL_RIDE = SportChoice("cycling", "virtual_activity", "cycling")
_GENERIC = SportChoice("generic", "generic", "other")


def _key(discipline: str | None) -> str:
    return (discipline or "").strip().lower().replace(" ", "_").replace("-", "_")


def fit_sport(workout: Workout, *, virtual: bool = False) -> SportChoice:
    """Return the FIT sport and sub-sport of ``workout`` (never fails; see the table above).

    :param virtual: write indoor ``cycling`` (not bootcamp) as a virtual activity.
    """
    key = _key(workout.discipline)
    outdoor = workout.is_outdoor or key.startswith("outdoor")
    if outdoor and key in _OUTDOOR:
        return _OUTDOOR[key]
    if key in ("outdoor_cycling", "outdoor_running", "outdoor_walking", "outdoor"):
        return _OUTDOOR[key]
    if virtual and key == "cycling":
        return _VIRTUAL_RIDE
    return _INDOOR.get(key, _GENERIC)
