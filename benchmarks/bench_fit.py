"""Time our FIT encoder against the Garmin SDK's encoder and fit-tool, for a 60-minute 1 Hz ride.

Run from the project root (fit-tool is a benchmark-only dependency, left out when missing)::

    .venv-test/bin/pip install fit-tool
    .venv-test/bin/python benchmarks/bench_fit.py [--repeats 9] [--minutes 60]
    .venv-test/bin/python benchmarks/bench_fit.py --smoke   # seconds: 5 minutes, 1 round

Contenders, run in interleaved rounds on the same workout (3,600 samples with power,
cadence, resistance, speed, distance and heart rate, three laps), CPU time of this process
(``time.process_time``: the machine is shared, wall time is noisier):

* ``our encoder``: :func:`peloton_export.formats.fit.encoder.encode_messages` on the
  pre-built messages, no checks;
* ``SDK encoder``: ``garmin_fit_sdk.Encoder`` encoding the very same messages (the oracle:
  both files must be the same bytes, which this script checks);
* ``our writer``: :func:`peloton_export.formats.fit.encode.encode_workout`, what the ``fit``
  format runs: building the messages from the workout, checking every value, our encoder;
* ``SDK writer``: the same with the SDK's encoder (the writer before issue 24);
* ``fit-tool``: fit-tool 0.9.x building the same messages as its typed message objects
  and serializing them with ``FitFileBuilder(auto_define=True)``.

It prints each one's median and minimum and the median of the per-round ratios. These are
measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from garmin_fit_sdk import Encoder, Profile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import workout_factory  # noqa: E402

from peloton_export.formats.fit.adapter import FitWriter  # noqa: E402
from peloton_export.formats.fit.encode import Message, build_messages, encode_workout  # noqa: E402
from peloton_export.formats.fit.encoder import encode_messages  # noqa: E402
from peloton_export.model import Workout  # noqa: E402

_DEGREES_PER_SEMICIRCLE = 180.0 / 2**31


def bare_sdk(messages: list[Message]) -> bytes:
    """The SDK encoder on pre-built messages, without any check."""
    encoder = Encoder()
    numbers = Profile["mesg_num"]
    for name, fields in messages:
        encoder.on_mesg(numbers[name.upper()], fields)
    data: bytes = encoder.close()
    return data


def sdk_writer(workout: Workout) -> bytes:
    """The writer before issue 24: build, check every message, then the SDK's encoder."""
    messages = build_messages(workout)
    writer = FitWriter(workout.id)
    for name, fields in messages:
        writer.check(name, fields)
    return bare_sdk(messages)


def _fit_tool_class(name: str) -> type[Any]:
    module = importlib.import_module(f"fit_tool.profile.messages.{name}_message")
    return getattr(module, "".join(p.capitalize() for p in name.split("_")) + "Message")  # type: ignore[no-any-return]


def _enum_numbers() -> dict[str, dict[str, dict[str, int]]]:
    """message -> field -> enum name -> number, from the SDK profile."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for message in Profile["messages"].values():
        fields: dict[str, dict[str, int]] = {}
        for field in message["fields"].values():
            values = Profile["types"].get(field["type"])
            if isinstance(values, dict):
                fields[field["name"]] = {str(v): int(k) for k, v in values.items()}
        out[str(message["name"])] = fields
    return out


def fit_tool(messages: list[Message], enums: dict[str, dict[str, dict[str, int]]]) -> bytes:
    """fit-tool building and serializing the same messages (its date_time unit is ms)."""
    from fit_tool.fit_file_builder import FitFileBuilder  # type: ignore[import-untyped]

    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    classes: dict[str, type[Any]] = {}
    for name, fields in messages:
        cls = classes.get(name) or classes.setdefault(name, _fit_tool_class(name))
        message = cls()
        names = enums.get(name, {})
        for key, value in fields.items():
            if value is None or not hasattr(message, key):
                continue
            if isinstance(value, datetime):
                value = round(value.timestamp()) * 1000
            elif key in ("position_lat", "position_long", "start_position_lat", "start_position_long"):
                value = value * _DEGREES_PER_SEMICIRCLE  # type: ignore[operator]
            elif isinstance(value, str) and key in names:
                value = names[key][value]
            elif isinstance(value, list):
                value = [names[key][v] if isinstance(v, str) else v for v in value]
            setattr(message, key, value)
        builder.add(message)
    data: bytes = builder.build_bytes()
    return data


def _time(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="seconds: a 5-minute ride, one round")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.minutes = 1, 5
    try:
        importlib.import_module("fit_tool")
        has_fit_tool = True
    except ImportError:
        has_fit_tool = False
        print("fit-tool is not installed (.venv-test/bin/pip install fit-tool): left out")

    workout: Workout = workout_factory.cycling(args.minutes)
    messages = build_messages(workout)
    enums = _enum_numbers()
    records = sum(1 for name, _ in messages if name == "record")
    contenders: dict[str, Callable[[], bytes]] = {
        "our encoder": lambda: encode_messages(messages),
        "SDK encoder": lambda: bare_sdk(messages),
        "our writer": lambda: encode_workout(workout),
        "SDK writer": lambda: sdk_writer(workout),
    }
    if has_fit_tool:
        contenders["fit-tool"] = lambda: fit_tool(messages, enums)
    sizes = {name: len(fn()) for name, fn in contenders.items()}  # also warms every cache
    if encode_messages(messages) != bare_sdk(messages) or encode_workout(workout) != sdk_writer(workout):
        sys.exit("our encoder wrote other bytes than the SDK's")
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            times[name].append(_time(fn))
    print(
        f"{args.minutes}-minute 1 Hz cycling workout: {records} records, {len(messages)} messages, "
        f"{args.repeats} rounds, CPU time; our files are the SDK's, byte for byte"
    )
    for name, values in times.items():
        print(
            f"  {name:<12} median {statistics.median(values) * 1000:8.1f} ms   "
            f"min {min(values) * 1000:8.1f} ms   {sizes[name]:>7} bytes"
        )

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / max(y, 1e-9) for x, y in zip(times[a], times[b], strict=True))

    print(f"  SDK encoder / our encoder = {ratio('SDK encoder', 'our encoder'):5.2f}x  (target >= 10)")
    minimum = min(times["SDK encoder"]) / max(min(times["our encoder"]), 1e-9)
    print(f"  the same, minimum over minimum = {minimum:5.2f}x")
    print(f"  SDK writer / our writer   = {ratio('SDK writer', 'our writer'):5.2f}x")
    if has_fit_tool:
        print(f"  fit-tool / our writer     = {ratio('fit-tool', 'our writer'):5.2f}x")


if __name__ == "__main__":
    main()
