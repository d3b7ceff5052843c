"""Activity names and descriptions from ``str.format`` templates over a workout."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peloton_export.errors import ConfigError
from peloton_export.model import Workout
from peloton_export.sinkkit.settings import PluginSettings
from peloton_export.specs import ExportContext
from peloton_export.workout.disciplines import display_discipline

__all__ = [
    "DEFAULT_TITLE",
    "TITLE_LIMIT",
    "activity_title",
    "check_title_templates",
    "clean_title",
    "render_setting",
    "render_template",
    "template_fields",
    "title_template",
]

#: The activity title every format and sink uses unless ``title_template`` says otherwise.
DEFAULT_TITLE = "{title} with {instructor}"
#: Characters of a title kept by default (Garmin Connect shows about 45 in its lists).
TITLE_LIMIT = 64
_JOINERS = frozenset("\u200c\u200d")
_WITH_INSTRUCTOR = re.compile(r"\s*\bwith\s*\{instructor\}")


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _local_date(workout: Workout) -> str:
    """YYYY-MM-DD of the start in Peloton's timezone of the workout (UTC when unknown)."""
    try:
        zone = ZoneInfo(workout.timezone) if workout.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    return (workout.start.astimezone(zone) if zone else workout.start).strftime("%Y-%m-%d")


def template_fields(workout: Workout) -> dict[str, str]:
    """The fields names and descriptions can use, all as text ("" when unknown).

    ``title``, ``instructor``, ``discipline``, ``workout_id``, ``date`` (YYYY-MM-DD, UTC),
    ``local_date`` (YYYY-MM-DD in Peloton's timezone of the workout, else UTC),
    ``start`` (ISO 8601, UTC), ``duration`` (H:MM:SS of active time), ``minutes`` and
    ``duration_min`` (whole minutes of active time),
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
        "title": workout.title or display_discipline(workout.discipline).replace("_", " ").title(),
        "instructor": workout.instructor or "",
        "discipline": display_discipline(workout.discipline),
        "workout_id": workout.id,
        "date": workout.start.strftime("%Y-%m-%d"),
        "start": workout.start.isoformat(),
        "duration": _duration(workout.timer_s),
        "minutes": num(workout.timer_s / 60 if math.isfinite(workout.timer_s) else None),
        "duration_min": num(workout.timer_s / 60 if math.isfinite(workout.timer_s) else None),
        "local_date": _local_date(workout),
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
        names = _field_names(line, fields, setting)
        if names and all(not fields[n] for n in names):
            continue
        lines.append(_format(line, fields, setting))
    return "\n".join(lines).strip()


def _field_names(line: str, fields: Mapping[str, str], setting: str) -> list[str]:
    """The fields ``line`` uses (format specs included).

    :raises ConfigError: a malformed template or an unknown field, naming ``setting``.
    """
    try:
        parsed = list(string.Formatter().parse(line))
    except ValueError as exc:
        raise ConfigError(f"{setting}: not a valid template ({exc}): {line!r}") from None
    names = []
    for _, name, spec, _ in parsed:
        if name:
            names.append(name)
        if spec and "{" in spec:
            names += _field_names(spec, fields, setting)
    unknown = [n for n in names if n not in fields]
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ConfigError(f"{setting}: unknown field {{{unknown[0]}}}; use one of: {allowed}")
    return names


def _format(line: str, fields: Mapping[str, str], setting: str) -> str:
    try:
        return line.format_map(fields)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{setting}: not a valid template ({exc}): {line!r}") from None


def render_setting(
    settings: PluginSettings, key: str, workout: Workout, *, default: str, limit: int | None = None
) -> str:
    """Render the template in setting ``key`` (``default`` when unset), cut to ``limit`` characters."""
    text = render_template(settings.get(key) or default, workout, setting=settings.where(key))
    return text[:limit] if limit is not None else text


def clean_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """One line of at most ``limit`` characters.

    Control characters and line/paragraph separators (newlines, NUL, escape ...) become
    spaces; format characters (bidi overrides, zero-width spaces), surrogates and private-use
    characters are removed, except the zero-width (non-)joiners emoji sequences need; runs of
    white space become one space; the ends are trimmed.
    """
    kept = "".join(_title_char(c) for c in text)
    line = " ".join(kept.split())
    return line[:limit].rstrip() if len(line) > limit else line


def _title_char(c: str) -> str:
    category = unicodedata.category(c)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category in ("Cf", "Cs", "Co") and c not in _JOINERS:
        return ""
    return c


def _title_setting(context: ExportContext | None, plugin: str | None) -> str:
    """Where the title template of ``plugin`` comes from, for messages."""
    if context is not None and plugin is not None:
        own = PluginSettings.from_context(context, plugin)
        if own.get("title_template"):
            return own.where("title_template")
    return "title_template (--option title)"


def check_title_templates(context: ExportContext, plugins: Iterable[str] = ()) -> None:
    """Check the run's title template and each of ``plugins``' own, before any work.

    :raises ConfigError: a malformed template or an unknown field (a usage error, exit 2).
    """
    from datetime import UTC, datetime

    sample = Workout(
        id="0" * 32,
        discipline="cycling",
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
        elapsed_s=1800.0,
        timer_s=1800.0,
        title="30 min Ride",
        instructor="Coach",
    )
    for plugin in (None, *plugins):
        template = title_template(context, plugin)
        render_template(template, sample, setting=_title_setting(context, plugin))


def title_template(context: ExportContext | None, plugin: str | None = None) -> str:
    """The title template of a run: the plugin's own ``title_template`` (``--option
    PLUGIN.title_template`` or ``[plugin:PLUGIN] title_template``), else ``--option title``
    (``[peloton-export] title_template``), else :data:`DEFAULT_TITLE`."""
    if context is None:
        return DEFAULT_TITLE
    if plugin is not None:
        own = PluginSettings.from_context(context, plugin).get("title_template")
        if own:
            return own
    return context.option("title") or DEFAULT_TITLE


def activity_title(
    workout: Workout,
    context: ExportContext | None = None,
    *,
    plugin: str | None = None,
    template: str | None = None,
    limit: int = TITLE_LIMIT,
) -> str:
    """The activity title of ``workout``: ``template`` (default :func:`title_template`)
    rendered, `` with {instructor}`` dropped when the class has no instructor, cleaned by
    :func:`clean_title` and cut to ``limit`` characters. Falls back to the discipline's name
    when the template renders empty.

    :raises ConfigError: an unknown field in the template.
    """
    text = template or title_template(context, plugin)
    if not workout.instructor:
        text = _WITH_INSTRUCTOR.sub("", text)
    setting = "title_template" if template else _title_setting(context, plugin)
    title = clean_title(render_template(text, workout, setting=setting).replace("\n", " "), limit)
    return title or clean_title(template_fields(workout)["title"], limit)
