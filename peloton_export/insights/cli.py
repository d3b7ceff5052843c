"""``peloton-export bike``: the power map learned from your rides, and what it answers.

* ``bike model``: fit (numpy, the ``insights`` extra) per device and calibration era from
  the raw archive, print the fit, its held-out error, the change points and the rides, and
  save it to ``<archive>/insights/bike-model.json``;
* ``bike output --cadence 90 --resistance 45``: watts with their 90 % range;
* ``bike resistance --output 200 --cadence 90``: the resistance, with its range; ``--table``
  adds a grid of cadence x output.

``output`` and ``resistance`` use the saved model (fitting one first when there is none,
or with ``--refit``). Importing this module imports neither numpy nor the archive code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the commands import what they run when they run (``--help`` builds them)
    from peloton_export.insights.model import Answer, BikeModel, BikeModels, RideFit

_ARCHIVE = click.option(
    "--archive",
    "archive_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Raw archive folder (default: PELOTON_EXPORT_ARCHIVE or the platform data dir).",
)
_DEVICE = click.option("--device", help="The device's model (default: the one with the most riding).")
_REFIT = click.option("--refit", is_flag=True, help="Fit again from the archive instead of the saved model.")
#: The grid of ``bike resistance --table``.
TABLE_CADENCES = (60, 70, 80, 90, 100, 110)
TABLE_OUTPUTS = (80, 100, 150, 200, 250, 300, 350)


def _root(archive_path: Path | None) -> Path:
    from peloton_export.paths import archive_dir

    return archive_path or archive_dir()


def _fit(root: Path) -> BikeModels:
    try:
        import numpy  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "fitting a bike model needs numpy: pip install 'peloton-export[insights]'"
        ) from None
    from peloton_export.insights.fit import analyze
    from peloton_export.insights.store import load_rides, save_models
    from peloton_export.store.archive import Archive

    if not root.is_dir():
        raise click.ClickException(f"no archive at {root}: run an export or import first")
    rides, skipped = load_rides(Archive(root))
    if not rides:
        raise click.ClickException(f"no Bike ride with cadence, resistance and output in {root}")
    models = analyze(rides, skipped=skipped)
    if not models.models:
        raise click.ClickException("too few usable samples for a bike model: " + "; ".join(skipped[:3]))
    save_models(root, models)
    return models


def _saved(root: Path, refit: bool) -> BikeModels:
    from peloton_export.insights.store import load_models, model_path

    if not refit:
        try:
            models = load_models(model_path(root))
        except ValueError as exc:
            click.echo(f"Ignoring the saved model ({exc}); fitting again.", err=True)
            models = None
        if models is not None:
            return models
    return _fit(root)


def _pick(models: BikeModels, device: str | None) -> BikeModel:
    model = models.latest(device)
    if model is None:
        known = ", ".join(models.devices()) or "none"
        raise click.ClickException(f"no model for device {device!r}; devices: {known}")
    return model


def _range(answer: Answer, unit: str, digits: int = 0) -> str:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    extra = f" ({answer.note})" if answer.note else ""
    return f"{fmt(answer.value)} {unit} (90 % range {fmt(answer.low)}-{fmt(answer.high)} {unit}){extra}"


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


@click.group("bike")
def bike_group() -> None:
    """Your bike's power map: output from cadence and resistance, learned from your rides."""


@bike_group.command("model")
@_ARCHIVE
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON.")
def model_command(archive_path: Path | None, as_json: bool) -> None:
    """Fit the model per device and calibration era; show its held-out error and rides."""
    root = _root(archive_path)
    models = _fit(root)
    if as_json:
        click.echo(json.dumps(models.to_json(), indent=2))
        return
    for line in model_lines(models):
        click.echo(line)
    from peloton_export.insights.store import model_path

    click.echo(f"Saved to {model_path(root)}")


def model_lines(models: BikeModels) -> list[str]:
    """The human-readable report of ``bike model``."""
    from peloton_export.insights.drift import MIN_RIDES

    lines: list[str] = []
    for device in models.devices():
        eras = [m for m in models.models if m.device == device]
        rides = [r for r in models.rides if r.device == device]
        lines.append(f"Bike {device}: {_n(len(rides), 'ride')}, {sum(r.seconds for r in rides):,} s used")
        lines.extend(f"  change point: {c.sentence()}" for c in models.change_points if c.device == device)
        noise = models.noise_pct.get(device)
        if noise is not None and len(eras) == 1 and len(rides) >= 2 * MIN_RIDES:
            lines.append(f"  no change point (per-ride residual noise {noise:.1f} %)")
        for m in eras:
            lines.extend(_era_lines(m))
        lines.append("  rides (date, id, samples every, seconds used, era, residual, hold-out bias, error):")
        lines.extend(_ride_line(r) for r in rides)
    lines.extend(f"left out {line}" for line in models.skipped)
    return lines


def _era_lines(m: BikeModel) -> list[str]:
    start = m.era_start.date().isoformat() if m.era_start else "?"
    end = m.era_end.date().isoformat() if m.era_end else "?"
    lines = [
        f"  era {m.era}: {start} to {end}, {_n(len(m.rides), 'ride')}, {m.seconds:,} s",
        f"    {m.formula()}",
        f"    fitted on cadence {m.cadence_range[0]:.0f}-{m.cadence_range[1]:.0f} rpm, "
        f"resistance {m.resistance_range[0]:.0f}-{m.resistance_range[1]:.0f} %",
    ]
    hold = m.holdout
    if hold is None:
        why = "one ride" if len(m.rides) == 1 else "the other rides are too short for a fold: see 'left out'"
        return [*lines, f"    hold-out: none ({why}); ranges are the fit's own residuals"]
    lines.append(
        f"    hold-out ({hold.method}): error {hold.mae_pct:.1f} % per sample, ride bias "
        f"{hold.bias_mean_abs_pct:.1f} % on average (at most {hold.bias_max_abs_pct:.1f} %); "
        f"90 % of samples within {hold.q05_pct:+.1f} % .. {hold.q95_pct:+.1f} %"
    )
    lines.extend(
        f"      {step.every_n}-s rides ({step.rides}): error {step.mae_pct:.1f} %, "
        f"bias {step.bias_mean_abs_pct:.1f} % on average"
        for step in hold.by_step
    )
    return lines


def _ride_line(r: RideFit) -> str:
    bias = "-" if r.bias_pct is None else f"{r.bias_pct:+.1f} %"
    err = "-" if r.mae_pct is None else f"{r.mae_pct:.1f} %"
    return (
        f"    {r.start.date()} {r.workout_id[:12]} {r.every_n}-s {r.seconds:6,d} s era {r.era} "
        f"{r.residual_pct:+5.1f} % {bias:>8} {err:>7}  {r.title[:36]}"
    )


@bike_group.command("output")
@click.option("--cadence", type=click.FloatRange(min=1, max=200), required=True, help="Cadence (rpm).")
@click.option("--resistance", type=click.FloatRange(min=0, max=100), required=True, help="Resistance (%).")
@_DEVICE
@_ARCHIVE
@_REFIT
def output_command(
    cadence: float, resistance: float, device: str | None, archive_path: Path | None, refit: bool
) -> None:
    """The output (W) your bike gives at a cadence and resistance."""
    model = _pick(_saved(_root(archive_path), refit), device)
    click.echo(
        f"{cadence:g} rpm at resistance {resistance:g} %: "
        + _range(model.output(cadence, resistance), "W")
        + f" [{model.device} era {model.era}]"
    )


@bike_group.command("resistance")
@click.option("--output", "watts", type=click.FloatRange(min=1, max=3000), help="Target output (W).")
@click.option("--cadence", type=click.FloatRange(min=1, max=200), help="Cadence (rpm).")
@click.option("--table", is_flag=True, help="Also print resistance for a grid of cadence x output.")
@_DEVICE
@_ARCHIVE
@_REFIT
def resistance_command(
    watts: float | None,
    cadence: float | None,
    table: bool,
    device: str | None,
    archive_path: Path | None,
    refit: bool,
) -> None:
    """The resistance (%) that gives an output at a cadence (no options: the grid)."""
    if (watts is None) != (cadence is None):
        raise click.UsageError("give both --output and --cadence (or neither, for the grid)")
    model = _pick(_saved(_root(archive_path), refit), device)
    if watts is not None and cadence is not None:
        answer = model.resistance_for(watts, cadence)
        said = (
            f"out of reach ({answer.note})"
            if answer.value is None
            else "resistance " + _range(answer, "%", 1)
        )
        click.echo(f"{watts:g} W at {cadence:g} rpm: {said} [{model.device} era {model.era}]")
    if table or watts is None:
        for line in resistance_table(model):
            click.echo(line)


def resistance_table(model: BikeModel) -> list[str]:
    """Resistance (%) for :data:`TABLE_CADENCES` x :data:`TABLE_OUTPUTS`; ``>100`` when out
    of reach, ``*`` after a value outside the fitted range."""
    rows = ["rpm \\ W " + "".join(f"{w:>7}" for w in TABLE_OUTPUTS)]
    for cadence in TABLE_CADENCES:
        cells: list[str] = []
        for watts in TABLE_OUTPUTS:
            answer = model.resistance_for(watts, cadence)
            if answer.value is None:
                cells.append(f"{'>100':>7}")
            else:
                cells.append(f"{answer.value:6.0f}" + ("*" if answer.extrapolated else " "))
        rows.append(f"{cadence:>7} " + "".join(cells))
    rows.append("(* outside the cadence and resistance the model was fitted on)")
    return rows
