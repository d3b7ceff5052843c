"""``peloton-export serve``: server time of the dashboard and the workouts table.

    python benchmarks/bench_serve.py [--workouts 2000] [--repeat 15]

Builds one profile with ``--workouts`` archived demo workouts (5-minute ones: the pages
read only each ``workout.json``, never the performance graph, so the length does not
matter) and a ledger in which every workout was exported as JSON and three in four as
TCX (so the planner has 1 in 4 workouts pending, like a history mid-catch-up), then
times requests through the real ASGI application (Starlette and the guard, called in
process: server time, no socket, no browser):

* the dashboard ``/p/NAME`` (``status``'s facts: the saved login, the archive, the
  ledger's counts, the planner's pending counts over the whole history),
  cold (the first request reads every ``meta.json``) and warm (cached like the rows);
* the workouts table ``/p/NAME/workouts`` (first page of 100, newest first), cold (the
  first request reads every ``workout.json``) and warm (rows cached; only ``meta.json``
  is stat'ed), and searched and sorted by output;
* the Logins, Settings and Logs pages (the Logs page reading a watcher's kept log of
  :data:`KEPT_LINES` lines, masking each).

Prints a Markdown table: the median and the slowest of ``--repeat`` requests (target:
under 200 ms each for 2,000 workouts, issue 27).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def request(app: Any, target: str) -> tuple[int, int, float]:
    """``GET target`` through the ASGI ``app``: (status, body bytes, seconds)."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8740")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8740),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> float:
        start = time.perf_counter()
        await app(scope, receive, send)
        return time.perf_counter() - start

    seconds = asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    size = sum(len(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")
    return status, size, seconds


#: Lines in the watcher's kept log (``watch-log.jsonl``) the Logs page reads.
KEPT_LINES = 5000


def build(root: Path, count: int) -> Any:
    """The profile (archive, ledger, output files) and the app serving it."""
    from peloton_export.config import load_config
    from peloton_export.paths import ProfileDirs
    from peloton_export.plugins import create_host
    from peloton_export.profiles import Profile
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import LEDGER_FILE, Ledger
    from peloton_export.testing.synth import synth_workouts
    from peloton_export.web.app import create_app

    out = root / "out"
    ini = root / "peloton.ini"
    ini.write_text(f"[peloton-export]\nkeyring = false\nformats = json, tcx\noutput_dir = {out}\n")
    dirs = ProfileDirs("default", root / "data", root / "data" / "archive", root / "state", root / "config")
    profile = Profile("default", load_config(ini, environ={}), dirs)
    archive = Archive(dirs.archive)
    ids = []
    for raw in synth_workouts(count, seed=27, duration_s=300):
        archive.put_raw(raw)
        ids.append(raw.workout_id)
    dirs.state.mkdir(parents=True)
    out.mkdir()
    ledger = Ledger(dirs.state / LEDGER_FILE)
    for n, workout_id in enumerate(ids):
        for fmt in ("json", "tcx") if n % 4 else ("json",):
            path = out / f"{workout_id}.{fmt}"
            path.write_text("{}")
            ledger.record_export(workout_id, fmt, path, "sha256:0")
    import json

    from peloton_export.unattended.logformat import KEPT_LOG

    with (dirs.state / KEPT_LOG).open("w", encoding="utf-8") as kept:  # a busy watcher's log
        for n in range(KEPT_LINES):
            event = {
                "time": f"2026-12-{1 + n // 1000:02d}T07:{n // 60 % 60:02d}:{n % 60:02d}Z",
                "level": "INFO",
            }
            event.update(logger="peloton_export.watch", message=f"run {n} ok: 1 exported, token=abc{n}")
            kept.write(json.dumps(event) + "\n")
    return create_app([profile], create_host())


def timed(app: Any, target: str, repeat: int) -> tuple[float, float, int]:
    """(median s, slowest s, body bytes) of ``repeat`` requests; each must answer 200."""
    runs = []
    size = 0
    for _ in range(repeat):
        status, size, seconds = request(app, target)
        if status != 200:
            raise SystemExit(f"{target} answered {status}")
        runs.append(seconds)
    return statistics.median(runs), max(runs), size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.workouts, args.repeat = 8, 2
    from peloton_export.store.ledger import close_all

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        app = build(Path(tmp), args.workouts)
        print(f"{args.workouts:,} archived workouts built in {time.perf_counter() - start:.1f} s\n")
        print("| page | median | slowest | page size |\n| --- | ---: | ---: | ---: |")
        for name, target in (
            ("dashboard, cold (reads every meta.json)", "/p/default"),
            ("workouts table, cold (reads every workout.json)", "/p/default/workouts"),
        ):
            status, size, cold = request(app, target)
            if status != 200:
                raise SystemExit(f"{target} answered {status}")
            print(f"| {name} | {cold * 1000:.0f} ms | - | {size / 1000:.0f} kB |")
        pages = [
            ("dashboard, warm (metadata cached; ledger and plan read again)", "/p/default"),
            ("workouts table, warm (first page of 100)", "/p/default/workouts"),
            (
                "workouts table, searched and sorted by output",
                "/p/default/workouts?q=ride&sort=output&dir=asc",
            ),
            ("workouts table, last page", "/p/default/workouts?sort=title&page=1000"),
            ("logins (Peloton's login and each sink's)", "/p/default/logins"),
            ("settings (the config file read again)", "/p/default/settings"),
            (f"logs ({KEPT_LINES:,} kept watch lines, newest 500 shown)", "/p/default/logs"),
            ("logs, filtered (level WARNING)", "/p/default/logs?level=WARNING"),
        ]
        for name, target in pages:
            median, slowest, size = timed(app, target, args.repeat)
            print(f"| {name} | {median * 1000:.0f} ms | {slowest * 1000:.0f} ms | {size / 1000:.0f} kB |")
        close_all()


if __name__ == "__main__":
    main()
