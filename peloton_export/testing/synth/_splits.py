"""``splits_data`` and ``splits_metrics``: one split per whole mile or kilometre, plus the rest."""

from __future__ import annotations

from collections.abc import Sequence

from peloton_export.raw import JsonObject

#: (distance marker in the unit, seconds the split took, elevation change or ``None``).
SplitRow = tuple[float, int, float | None]

_HEADER_NAMES = (("total_time", "Total Time"), ("pace", "Pace"), ("elevation", "Elevation"))


def distance_splits(
    cum: list[float], offsets: list[int], unit: str, *, elevation: list[float] | None = None
) -> tuple[JsonObject, JsonObject]:
    """``(splits_data, splits_metrics)`` for a run or ride.

    :param cum: the cumulative distance (in ``unit``) at every sample.
    :param offsets: the sample offsets (s), as long as ``cum``.
    :param unit: ``"mi"`` or ``"km"``; elevation is in ft for miles, else m.
    :param elevation: the height at every sample, or ``None`` (no elevation changes).
    """
    rows = split_rows(cum, offsets, elevation)
    whole = [r for r in rows if r[0] == int(r[0])]
    best = min(range(len(whole)), key=lambda i: whole[i][1]) if whole else -1
    return _splits_data(rows, unit, best), _splits_metrics(rows, unit, best)


def split_rows(
    cum: Sequence[float], offsets: Sequence[int], elevation: Sequence[float] | None
) -> list[SplitRow]:
    """One row per whole unit of distance reached, and one for a remainder of 0.01 or more."""
    has_elevation = bool(elevation)
    heights = elevation if elevation else [0.0] * len(cum)
    rows: list[SplitRow] = []
    marker, last_t, last_e = 1, offsets[0] if offsets else 0, heights[0] if heights else 0.0
    for i, d in enumerate(cum):
        if d >= marker:
            rows.append((float(marker), offsets[i] - last_t, heights[i] - last_e if has_elevation else None))
            last_t, last_e = offsets[i], heights[i]
            marker += 1
    if cum and cum[-1] - (marker - 1) >= 0.01:
        change = heights[-1] - last_e if has_elevation else None
        rows.append((round(cum[-1] - (marker - 1), 2), offsets[-1] - last_t, change))
    return rows


def _marker(m: float) -> float | int:
    """A whole marker as an int (``1``), a remainder as it is (``0.37``)."""
    return int(m) if m == int(m) else m


def _round(e: float | None) -> int | None:
    return None if e is None else round(e)


def _splits_data(rows: list[SplitRow], unit: str, best: int) -> JsonObject:
    splits = [
        {
            "distance_marker": _marker(m),
            "order": i + 1,
            "seconds": s,
            "elevation_change": _round(e),
            "has_floor_segment": False,
            "is_best": i == best,
        }
        for i, (m, s, e) in enumerate(rows)
    ]
    return {
        "distance_marker_display_unit": unit,
        "elevation_change_display_unit": "ft" if unit == "mi" else "m",
        "splits": splits,
    }


def _splits_metrics(rows: list[SplitRow], unit: str, best: int) -> JsonObject:
    elevation_unit = "ft" if unit == "mi" else "m"
    elapsed = 0
    metrics = []
    for i, (m, s, e) in enumerate(rows):
        elapsed += s
        data = [
            {"slug": unit, "value": _marker(m), "unit": unit},
            {"slug": "total_time", "value": round(elapsed / 60, 2), "unit": "min"},
            {"slug": "pace", "value": round(s / 60 / m, 2) if m else None, "unit": f"min/{unit}"},
            {"slug": "elevation", "value": _round(e), "unit": elevation_unit},
        ]
        metrics.append({"is_best": i == best, "has_floor_segment": False, "data": data})
    header = [{"slug": unit, "display_name": unit}] + [
        {"slug": s, "display_name": n} for s, n in _HEADER_NAMES
    ]
    return {"header": header, "metrics": metrics}
