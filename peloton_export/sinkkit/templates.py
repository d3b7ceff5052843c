"""Activity names and descriptions from ``str.format`` templates over a workout."""

from __future__ import annotations

import string

from peloton_export.errors import ConfigError
from peloton_export.model import Workout
from peloton_export.sinkkit.settings import PluginSettings

__all__ = ["render_setting", "render_template", "template_fields"]


def _duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def template_fields(workout: Workout) -> dict[str, str]:
    """The fields names and descriptions can use, all as text ("" when unknown).

    ``title``, ``instructor``, ``discipline``, ``workout_id``, ``date`` (YYYY-MM-DD, UTC),
    ``start`` (ISO 8601, UTC), ``duration`` (H:MM:SS of active time), ``minutes``,
    ``calories`` (kcal), ``distance_km``, ``avg_power`` (W), ``avg_cadence``, ``avg_hr``,
    ``max_hr``, ``output_kj`` (total work).
    """
    samples = workout.samples
    power = [s.power_w for s in samples if s.power_w is not None]
    cadence = [s.cadence_rpm for s in samples if s.cadence_rpm is not None]
    heart = [float(s.heart_rate_bpm) for s in samples if s.heart_rate_bpm is not None]

    def num(value: float | None, digits: int = 0) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    return {
        "title": workout.title or workout.discipline.replace("_", " ").title(),
        "instructor": workout.instructor or "",
        "discipline": workout.discipline,
        "workout_id": workout.id,
        "date": workout.start.strftime("%Y-%m-%d"),
        "start": workout.start.isoformat(),
        "duration": _duration(workout.timer_s),
        "minutes": f"{workout.timer_s / 60:.0f}",
        "calories": num(workout.calories_kcal),
        "distance_km": num(workout.distance_m / 1000 if workout.distance_m is not None else None, 2),
        "avg_power": num(_mean(power)),
        "avg_cadence": num(_mean(cadence)),
        "avg_hr": num(_mean(heart)),
        "max_hr": num(max(heart) if heart else None),
        "output_kj": num(workout.total_work_j / 1000 if workout.total_work_j is not None else None),
    }


def render_template(template: str, workout: Workout, *, setting: str) -> str:
    """Fill ``template`` (``str.format`` syntax) with :func:`template_fields`.

    Lines whose fields are all empty are dropped, so a description template may list
    metrics a workout lacks.

    :raises ConfigError: an unknown field, naming ``setting`` and the allowed fields.
    """
    fields = template_fields(workout)
    lines = []
    for line in template.replace("\\n", "\n").split("\n"):
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name]
        unknown = [n for n in names if n not in fields]
        if unknown:
            allowed = ", ".join(sorted(fields))
            raise ConfigError(f"{setting}: unknown field {{{unknown[0]}}}; use one of: {allowed}")
        if names and all(not fields[n] for n in names):
            continue
        lines.append(line.format_map(fields))
    return "\n".join(lines).strip()


def render_setting(
    settings: PluginSettings, key: str, workout: Workout, *, default: str, limit: int | None = None
) -> str:
    """Render the template in setting ``key`` (``default`` when unset), cut to ``limit`` characters."""
    text = render_template(settings.get(key) or default, workout, setting=settings.where(key))
    return text[:limit] if limit is not None else text
