"""Start-up time of the commands that write nothing, against a bare ``python -c pass``.

    python benchmarks/bench_startup.py [--rounds 15] [--against CHECKOUT] [--plugins] [--smoke]

Each round runs, in a fresh interpreter each and interleaved, ``python -c pass`` and the
console entry point (``peloton_export.cli:main``) with ``--help``, ``--version``,
``formats``, ``sinks`` and ``status`` (a fresh empty state, archive and config folder, so
``status`` reads nothing). Byte-code is cached first (one warm-up round), so what is timed
is the imports and the work. Prints the median and minimum wall time of each and the ratio
of the medians to ``python -c pass`` ("bare"; target for ``--help``: at most 4x), for the
wall time and for the CPU time of each child (steadier on a loaded machine).

By default only the built-in plugins load (``PELOTON_EXPORT_LOAD_PLUGINS=``, what a user
without third-party plugins has); ``--plugins`` loads every installed plugin as well.
``--against CHECKOUT`` times another checkout (for example today's ``main`` in a worktree)
in the same rounds. ``--smoke``: one round (CI: it checks that it runs). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (["--help"], ["--version"], ["formats"], ["sinks"], ["status"])
MAIN = "import sys; from peloton_export.cli import main; sys.argv[0] = 'peloton-export'; main()"


def _env(work: Path, checkout: Path | None, plugins: bool) -> dict[str, str]:
    # Byte-code cached (the target's condition) in the temporary folder, never in the checkout,
    # even where the caller's environment says PYTHONDONTWRITEBYTECODE.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PELOTON_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.update(
        PELOTON_CONFIG=os.devnull,
        PELOTON_EXPORT_CONFIG_DIR=str(work / "config"),
        PELOTON_EXPORT_STATE_DIR=str(work / "state"),
        PELOTON_EXPORT_DATA_DIR=str(work / "data"),
        PELOTON_EXPORT_ARCHIVE=str(work / "archive"),
    )
    if not plugins:
        env["PELOTON_EXPORT_LOAD_PLUGINS"] = ""
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the child alone) of one run, seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    spent = time.perf_counter() - start
    assert child.stderr is not None
    errors = child.stderr.read()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[2:]} failed ({status}):\n{errors.decode()[-2000:]}")
    return spent, usage.ru_utime + usage.ru_stime


def main() -> None:
    """Time the rounds and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another checkout to time in the same rounds")
    parser.add_argument("--plugins", action="store_true", help="load every installed plugin too")
    parser.add_argument("--smoke", action="store_true", help="one round (CI)")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    here = Path(__file__).resolve().parent.parent
    checkouts: dict[str, Path] = {}
    if args.against is not None:
        checkouts["before"] = args.against.resolve()
    checkouts["after" if args.against is not None else "this tree"] = here
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        contenders: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], _env(work, None, args.plugins))
        }
        for label, checkout in checkouts.items():
            env = _env(work, checkout, args.plugins)
            for command in COMMANDS:
                contenders[f"{label}: {' '.join(command)}"] = ([sys.executable, "-c", MAIN, *command], env)
        for argv, env in contenders.values():  # warm-up: byte-code written, caches filled
            _run(argv, env, work)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (argv, env) in contenders.items():
                wall, used = _run(argv, env, work)
                times[name].append(wall)
                cpu[name].append(used)
    bare = statistics.median(times["python -c pass"])
    bare_cpu = statistics.median(cpu["python -c pass"])
    plugins = "every installed plugin" if args.plugins else "built-in plugins only"
    print(f"{rounds} interleaved rounds, {plugins}, byte-code cached; Python {sys.version.split()[0]}\n")
    print("| command | median wall ms | min wall ms | wall / bare | median CPU ms | CPU / bare |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        used = statistics.median(cpu[name])
        print(
            f"| {name} | {median * 1000:.0f} | {min(values) * 1000:.0f} | {median / bare:.1f}x "
            f"| {used * 1000:.0f} | {used / bare_cpu:.1f}x |"
        )


if __name__ == "__main__":
    main()
