"""Time our FIT encoder against Garmin's SDK encoder and fit-tool, for a 60-minute 1 Hz ride.

Run from the project root (fit-tool is an optional benchmark-only dependency,
``pip install -e '.[bench]'``; without it its row says so)::

    python benchmarks/bench_fit.py [--repeats 7] [--minutes 60] [--smoke]

The messages of one workout (3,600 records with power, cadence, resistance, speed,
distance and heart rate, laps, session) are built once; the contenders encode those very
messages in interleaved rounds:

* ``ours``: :class:`peloton_export.formats.fit.fastencode.FastFitWriter`, with all its checks;
* ``SDK``: ``garmin_fit_sdk.Encoder`` on the same messages, with no checks at all;
* ``SDK + checks``: the checked wrapper :class:`peloton_export.formats.fit.adapter.FitWriter`
  (what ``fit.encoder=sdk`` writes with);
* ``fit-tool``: fit-tool 0.9.x building the same messages as its typed message objects and
  serializing them with ``FitFileBuilder(auto_define=True)``.

It also times the whole FIT writer per workout (building the messages from the workout,
then encoding), with ``fit.encoder=fast`` (the default) and ``fit.encoder=sdk``. It prints
each one's median, the median of the per-round ratios, the file sizes, and whether the
target holds: SDK / ours >= 10. ``--smoke`` is one round of a 2-minute ride (CI: it checks
that the benchmark runs; its numbers mean nothing). Nothing here asserts a time.
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
from peloton_export.formats.fit.encode import FitOptions, Message, build_messages, encode_workout  # noqa: E402
from peloton_export.formats.fit.fastencode import FastFitWriter  # noqa: E402
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


def with_writer(cls: type[FitWriter] | type[FastFitWriter], messages: list[Message]) -> bytes:
    """``messages`` through one of the checked writers."""
    writer = cls("bench")
    for name, fields in messages:
        writer.write(name, fields)
    return writer.close()


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


def _has_fit_tool() -> bool:
    try:
        importlib.import_module("fit_tool")
    except ImportError:
        return False
    return True


def main() -> None:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="one round of a 2-minute ride (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.minutes = 1, 2

    workout: Workout = workout_factory.cycling(args.minutes)
    messages = build_messages(workout)
    enums = _enum_numbers()
    records = sum(1 for name, _ in messages if name == "record")
    contenders: dict[str, Callable[[], bytes]] = {
        "ours": lambda: with_writer(FastFitWriter, messages),
        "SDK": lambda: bare_sdk(messages),
        "SDK + checks": lambda: with_writer(FitWriter, messages),
    }
    if _has_fit_tool():
        contenders["fit-tool"] = lambda: fit_tool(messages, enums)
    writers: dict[str, Callable[[], bytes]] = {
        "writer, fit.encoder=fast": lambda: encode_workout(workout),
        "writer, fit.encoder=sdk": lambda: encode_workout(workout, FitOptions(encoder="sdk")),
    }
    everything = {**contenders, **writers}
    sizes = {name: len(fn()) for name, fn in everything.items()}  # also warms every cache
    times: dict[str, list[float]] = {name: [] for name in everything}
    for _ in range(args.repeats):
        for name, fn in everything.items():
            times[name].append(_time(fn))
    print(
        f"{args.minutes}-minute 1 Hz cycling workout: {records} records, {len(messages)} messages, "
        f"{args.repeats} rounds\n"
    )
    print("| contender | median ms | min ms | bytes | / ours (median of rounds) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in times.items():
        base = "ours" if name in contenders else "writer, fit.encoder=fast"
        ratio = statistics.median(v / o for v, o in zip(values, times[base], strict=True))
        print(
            f"| {name} | {statistics.median(values) * 1000:.1f} | {min(values) * 1000:.1f} | "
            f"{sizes[name]:,} | {ratio:.2f}x |"
        )
    if "fit-tool" not in contenders:
        print("| fit-tool | - | - | - | not installed (pip install -e '.[bench]') |")
    sdk_vs_ours = statistics.median(s / o for s, o in zip(times["SDK"], times["ours"], strict=True))
    verdict = "met" if sdk_vs_ours >= 10 else "MISSED"
    smaller = sizes["ours"] <= sizes["SDK"]
    print(f"\nSDK / ours = {sdk_vs_ours:.1f}x (target >= 10: {verdict}); ours no larger: {smaller}")


if __name__ == "__main__":
    main()
