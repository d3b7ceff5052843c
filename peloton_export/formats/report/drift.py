"""The history page's calibration-drift section: each ride's output against the bike model.

Plain data in (:class:`DriftDevice`, built by the ``html`` plugin from the model file
``peloton-export bike model`` saved, :mod:`peloton_export.insights`), HTML out: per device,
an SVG chart of every ride's residual (its median ``P / P_hat - 1`` against the device's
model of all its rides, percent) over the ride's date, one colour per calibration era, a
horizontal line at each era's mean and a dashed vertical line at each change point, then
one sentence per change point ("since 2025-03-14 this bike reads 7.0 % lower at the same
cadence and resistance") and the table of eras.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from peloton_export.formats.report.svg import drift_chart, esc

#: Devices with fewer rides get no chart (a drift needs a history).
MIN_RIDES = 2


@dataclass(frozen=True, slots=True)
class DriftRide:
    """One ride: its local ``day``, ``residual_pct`` (percent), calibration ``era`` (1, 2 ...)."""

    day: date
    residual_pct: float
    era: int
    title: str = ""


@dataclass(frozen=True, slots=True)
class DriftChange:
    """A change point: from ``day`` the bike reads ``size_pct`` percent differently."""

    day: date
    size_pct: float
    sentence: str


@dataclass(frozen=True, slots=True)
class DriftDevice:
    """One device's rides (in date order), change points and ride-to-ride noise (percent SD)."""

    device: str
    rides: tuple[DriftRide, ...]
    changes: tuple[DriftChange, ...] = ()
    noise_pct: float | None = None


def _eras(device: DriftDevice) -> list[tuple[int, list[DriftRide]]]:
    eras: dict[int, list[DriftRide]] = {}
    for ride in device.rides:
        eras.setdefault(ride.era, []).append(ride)
    return sorted(eras.items())


def _device_block(device: DriftDevice) -> str:
    eras = _eras(device)
    levels = [
        (k, rides[0].day, rides[-1].day, sum(r.residual_pct for r in rides) / len(rides)) for k, rides in eras
    ]
    chart = drift_chart(
        label=f"{device.device}: output against the bike model per ride (%)",
        points=[(r.day, r.residual_pct, r.era, r.title) for r in device.rides],
        levels=levels,
        changes=[(c.day, c.sentence) for c in device.changes],
    )
    legend = "".join(
        f'<span class="s{(k - 1) % 6}">era {k}: {esc(a.isoformat())} to {esc(b.isoformat())}</span>'
        for k, a, b, _ in levels
    )
    caption = f"{esc(device.device)} <small>output against the bike model, per ride (%)</small>"
    figure = f'<figure><figcaption>{caption}</figcaption>{chart}<p class="legend">{legend}</p></figure>'
    if device.changes:
        said = "".join(f"<li>{esc(c.sentence[0].upper() + c.sentence[1:])}.</li>" for c in device.changes)
        text = f'<ul class="changes">{said}</ul>'
    else:
        noise = f" (ride-to-ride noise {device.noise_pct:.1f} %)" if device.noise_pct is not None else ""
        text = f'<p class="note">No calibration shift over {len(device.rides)} rides{esc(noise)}.</p>'
    rows = "".join(
        f"<tr><td>{k}</td><td>{esc(a.isoformat())}</td><td>{esc(b.isoformat())}</td>"
        f"<td class=n>{len(rides)}</td><td class=n>{level:+.1f} %</td></tr>"
        for (k, a, b, level), (_, rides) in zip(levels, eras, strict=True)
    )
    table = (
        '<div class="table-wrap"><table class="eras"><thead><tr><th>Era</th><th>From</th><th>To</th>'
        '<th class="n">Rides</th><th class="n">Mean residual</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
    return f'<div class="charts">{figure}<div>{text}{table}</div></div>'


def drift_section(devices: Sequence[DriftDevice]) -> str:
    """The section's HTML (empty when no device has :data:`MIN_RIDES` rides)."""
    blocks = [_device_block(d) for d in devices if len(d.rides) >= MIN_RIDES]
    if not blocks:
        return ""
    intro = (
        '<p class="note">Each dot is a ride: its output against what the bike model (from '
        "<code>peloton-export bike model</code>) predicts at the same cadence and resistance. "
        "A lasting shift is a recalibration, another bike or a sensor fault; each era has its own model.</p>"
    )
    return '<h2 id="drift">Your bike\'s calibration</h2>' + intro + "".join(blocks)


__all__ = ["MIN_RIDES", "DriftChange", "DriftDevice", "DriftRide", "drift_section"]
