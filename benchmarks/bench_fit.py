"""Time our FIT writer against the bare Garmin SDK and fit-tool, for a 60-minute 1 Hz ride.

Run from the project root (fit-tool is a benchmark-only dependency)::

    /work/venv/bin/pip install fit-tool
    /work/venv/bin/python benchmarks/bench_fit.py [--repeats 7]

Contenders, run in interleaved rounds on the same workout (3,600 samples with power,
cadence, resistance, speed, distance and heart rate, three laps):

* ``ours``: :func:`peloton_export.formats.fit.encode.encode_workout`: building the messages from
  the workout, checking them in the adapter, and encoding them with the SDK;
* ``bare SDK``: ``garmin_fit_sdk.Encoder`` encoding the very same (pre-built) messages
  with no checks;
* ``fit-tool``: fit-tool 0.9.x building the same messages as its typed message objects
  and serializing them with ``FitFileBuilder(auto_define=True)``.

It prints each one's median and the median of the per-round ratios, and whether the
targets hold: fit-tool / ours >= 8 and ours / bare SDK <= 2. These are measurements, not
tests: nothing here asserts a time.
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

from peloton_export.formats.fit.encode import Message, build_messages, encode_workout  # noqa: E402
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
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    try:
        importlib.import_module("fit_tool")
    except ImportError:
        sys.exit("fit-tool is not installed: /work/venv/bin/pip install fit-tool")

    workout: Workout = workout_factory.cycling(args.minutes)
    messages = build_messages(workout)
    enums = _enum_numbers()
    records = sum(1 for name, _ in messages if name == "record")
    sizes = {
        "ours": len(encode_workout(workout)),
        "bare SDK": len(bare_sdk(messages)),
        "fit-tool": len(fit_tool(messages, enums)),
    }
    times: dict[str, list[float]] = {name: [] for name in sizes}
    for _ in range(args.repeats):
        times["ours"].append(_time(lambda: encode_workout(workout)))
        times["bare SDK"].append(_time(lambda: bare_sdk(messages)))
        times["fit-tool"].append(_time(lambda: fit_tool(messages, enums)))
    print(
        f"{args.minutes}-minute 1 Hz cycling workout: {records} records, {len(messages)} messages, "
        f"{args.repeats} rounds"
    )
    for name, values in times.items():
        print(
            f"  {name:<9} median {statistics.median(values) * 1000:8.1f} ms   "
            f"min {min(values) * 1000:8.1f} ms   {sizes[name]:>7} bytes"
        )
    ours_vs_bare = statistics.median(o / b for o, b in zip(times["ours"], times["bare SDK"], strict=True))
    tool_vs_ours = statistics.median(t / o for t, o in zip(times["fit-tool"], times["ours"], strict=True))
    verdict_bare = "met" if ours_vs_bare <= 2 else "MISSED"
    verdict_tool = "met" if tool_vs_ours >= 8 else "MISSED"
    print(f"  ours / bare SDK  = {ours_vs_bare:5.2f}x  (target <= 2: {verdict_bare})")
    print(f"  fit-tool / ours  = {tool_vs_ours:5.2f}x  (target >= 8: {verdict_tool})")


if __name__ == "__main__":
    main()
