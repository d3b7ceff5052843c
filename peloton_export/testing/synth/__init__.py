"""The one deterministic generator of synthetic Peloton API bodies (tests, benchmarks, demo data).

Everything here is made up by this package: the people, the instructors (all named
``"<First> Demo"``), the class titles, the ids (32 lowercase hex digits from a seeded RNG) and
the sample values. Nothing is copied from recorded responses; only the *shapes* (key names,
types, units, time mapping and quirks described in ``docs/peloton-api.md``) follow the real
API:

* ``GET /api/workout/{id}?joins=ride,ride.instructor`` -> :attr:`RawWorkout.workout`;
* ``GET /api/workout/{id}/performance_graph?every_n=N`` -> :attr:`RawWorkout.performance_graph`;
* ``GET /api/ride/{ride_id}/details`` (strength classes only) -> :attr:`RawWorkout.ride_details`;
* ``GET /api/me``, ``GET /api/user/{id}/settings`` and list items of
  ``GET /api/user/{id}/workouts`` via :func:`member_profile`, :func:`member_settings`,
  :func:`list_item`.

Same arguments give byte-identical JSON: every random draw comes from a
``random.Random`` seeded from the kind and the seed, and no clock is read. The bodies
belong to one made-up person (:func:`member_profile` with seed 0).

Layout, one module per discipline over two shared ones:

* :mod:`~._common` (the member, ids, units, the per-workout context, the HR model),
  :mod:`~._graph` (sampling, metrics, summaries, zones), :mod:`~._splits` (mile/km
  splits) and :mod:`~._bodies` (workout, class, instructor, member and list-item bodies);
* :mod:`.cycling` (over the Bike model in :mod:`.bike`), :mod:`.running`, :mod:`.outdoor`,
  :mod:`.rowing`, :mod:`.strength`, :mod:`.floor`: the kinds, each module's ``BUILDERS``;
* :mod:`.kinds`: :func:`synth_workout` and :func:`synth_workouts`;
* :mod:`.tiny`: small hand-shaped workouts for plumbing tests (sync, fake API, archive);
* :mod:`.files`: the checked-in demo and golden inputs, written by
  ``python -m peloton_export.testing.synth write-demo DIR`` / ``write-golden DIR``.

Model (kept simple, but physiologically plausible):

* Bike: the rider follows the class's cadence/resistance targets (resistance as knob
  turns, cadence with inertia and noise); power is a function of cadence and resistance,
  speed is derived from power the way the Bike does (a fitted power law, about
  ``2.85 * W**0.38`` mph); heart rate follows effort with a ~25 s lag and has a few
  strap dropouts recorded as ``0``.
* Tread: belt speed and incline move in steps toward the class targets; output comes from
  speed, incline and body mass; pace (min/mi or min/km) is ``null`` while the belt stands.
* Outdoor run: GPS fixes at their own offsets along a made-up loop on the Great Lawn of
  Central Park, New York (a public landmark; no one's home), with accuracy sometimes null.
* Row: discrete strokes; per-second values hold the last stroke; pace from the ergometer
  relation ``W = 2.8 / (s/m)**3``.

The imported-workout kind marks its origin with ``platform: "apple_health"`` and
``device_type: "apple_watch"``. **These two values are a guess**: the API notes only say that
imported workouts exist, have an all-zero ``ride.id``, are listed by creation time (so their
``start_time`` can be older than their neighbours'), may report ``total_calories`` and set
``has_apple_watch_metrics``. Everything else in that kind mirrors those facts.
"""

from __future__ import annotations

from peloton_export.testing.synth._bodies import list_item, member_profile, member_settings
from peloton_export.testing.synth._common import DEFAULT_START, ZERO_ID
from peloton_export.testing.synth.kinds import KINDS, STANDARD_KINDS, synth_workout, synth_workouts

__all__ = [
    "DEFAULT_START",
    "KINDS",
    "STANDARD_KINDS",
    "ZERO_ID",
    "list_item",
    "member_profile",
    "member_settings",
    "synth_workout",
    "synth_workouts",
]
