"""Full-history sync against the fake Peloton API: peloton-export and two other libraries.

    python benchmarks/bench_sync.py --workouts 2000 --latency 0.05

Starts a :class:`~peloton_export.testing.FakePeloton` in this process with ``--workouts``
demo workouts of ``--duration`` seconds (1,800 s by default, to keep the fake's lazy
generation cheap), injects ``--latency`` seconds on every request to both of its hosts
(API and Auth0), then runs each contender in a fresh subprocess (this script again, with
``--contender NAME``) so that its peak memory is its own and not the fake's:

``peloton-export``
    first sync into an empty temporary archive and ledger (``sync_archive``), logging in
    with username and password (the Auth0 PKCE flow against the fake's auth host).
``peloton-export (again)``
    the same command again over that archive, ledger and saved login: nothing is new.
``peloton 0.0.2``
    the original peloton-client-library: legacy ``POST /auth/login`` cookie session (the
    fake accepts it for this benchmark), ``PelotonWorkout.list()`` and, for every workout,
    ``leaderboard_rank`` (loads ``/api/workout/{id}``) and ``metrics`` (loads
    ``/performance_graph?every_n=1``), the lazy loading the library is built around.
``pylotoncycle``
    ``PylotonCycle(access_token=...)`` with a bearer token issued by the fake (its own
    ``grant_type=password`` login is refused by Auth0 and by the fake), then
    ``GetRecentWorkouts()`` for the whole history.

Requests are counted at the fake, per host. The comparison libraries are not project
dependencies; install them into the same environment to include them::

    pip install peloton==0.0.2 pylotoncycle

A contender whose library is missing is skipped with a line saying so.

Only loopback is used: the libraries' base URLs are pointed at the fake at run time, and
the subprocesses get ``HTTP(S)_PROXY`` set to a closed loopback port, so a request that
escaped the patching would fail instead of reaching Peloton.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
CONTENDERS = ("peloton-export", "peloton-export-again", "peloton-0.0.2", "pylotoncycle")
LABELS = {
    "peloton-export": "peloton-export, first sync",
    "peloton-export-again": "peloton-export, again (nothing new)",
    "peloton-0.0.2": "peloton 0.0.2 (original library)",
    "pylotoncycle": "pylotoncycle",
}
#: The pip requirement behind each contender that is not peloton-export itself.
REQUIREMENTS = {
    "peloton-0.0.2": ("peloton", "peloton==0.0.2"),
    "pylotoncycle": ("pylotoncycle", "pylotoncycle"),
}
#: A loopback port nothing listens on: the proxy for anything that is not the fake.
DEAD_PROXY = "http://127.0.0.1:9"


# -- the parent: fake server, subprocesses, table ----------------------------------------------------------


@dataclass
class Outcome:
    """One contender's measurements (from its subprocess and from the fake's record)."""

    name: str
    skipped: str | None = None
    child: dict[str, Any] = field(default_factory=dict)
    process_s: float = 0.0
    api: int = 0
    auth: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    every_n: Counter[str] = field(default_factory=Counter)
    list_limits: Counter[str] = field(default_factory=Counter)
    list_joins: Counter[str] = field(default_factory=Counter)
    platform_header: int = 0
    max_in_flight: int = 0


def endpoint_of(path: str) -> str:
    """A short name for an API path (ids replaced by placeholders)."""
    parts = path.strip("/").split("/")
    if path == "/api/me":
        return "/api/me"
    if path.startswith("/auth/login"):
        return "POST /auth/login"
    if len(parts) == 4 and parts[:2] == ["api", "user"] and parts[3] == "workouts":
        return "workout list"
    if len(parts) == 3 and parts[:2] == ["api", "workout"]:
        return "workout detail"
    if len(parts) == 4 and parts[:2] == ["api", "workout"] and parts[3] == "performance_graph":
        return "performance graph"
    if len(parts) == 3 and parts[:2] == ["api", "instructor"]:
        return "/api/instructor/{id}"
    if len(parts) == 4 and parts[:2] == ["api", "user"]:
        return f"/api/user/{{id}}/{parts[3]}"
    if len(parts) == 4 and parts[:2] == ["api", "ride"]:
        return f"/api/ride/{{id}}/{parts[3]}"
    return path


def demo_history(count: int, duration_s: int) -> list[Any]:
    """``count`` demo workouts of ``duration_s`` seconds, newest first, generated up front.

    The fake can generate lazily, but a body that has left its window is made again by
    restarting the generator from the newest workout, and that cost would land on
    whichever contender reads the history second. Holding every body (about 0.3 MiB
    each at 1,800 s, in this parent process only) keeps the fake's cost the same for all.
    """
    from peloton_export.testing.synth import synth_workouts

    return list(synth_workouts(count, duration_s=duration_s))


def missing_requirement(name: str) -> str | None:
    """Why ``name`` cannot run here (its library is not installed), or ``None``."""
    if name not in REQUIREMENTS:
        return None
    module, requirement = REQUIREMENTS[name]
    probe = [sys.executable, "-c", f"import importlib.metadata as m, {module}; print(m.version({module!r}))"]
    done = subprocess.run(probe, capture_output=True, text=True, env=_child_env_base(), check=False)
    if done.returncode != 0:
        return f"skipped: `{module}` is not installed (pip install {requirement})"
    if name == "peloton-0.0.2" and done.stdout.strip() != "0.0.2":
        return f"skipped: `peloton` {done.stdout.strip()} is installed, not 0.0.2 (pip install {requirement})"
    return None


def _child_env_base() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PELOTON", "HTTP", "HTTPS", "NO_PROXY"))}
    env.update(HTTP_PROXY=DEAD_PROXY, HTTPS_PROXY=DEAD_PROXY, NO_PROXY="127.0.0.1,localhost")
    return env


def child_env(home: Path, work: Path, fake: Any, max_rate: float) -> dict[str, str]:
    """The environment of a contender: a temporary HOME, config and state, the fake's URLs."""
    home.mkdir(parents=True, exist_ok=True)
    config = work / "peloton.ini"
    if not config.exists():
        config.write_text(
            "[peloton]\n"
            f"username = {fake.user.username}\n"
            f"password = {fake.user.password}\n"
            "\n[peloton-export]\n"
            f"max_rate = {max_rate:g}\n"
            "keyring = false\n",
            encoding="utf-8",
        )
    env = _child_env_base()
    env.update(
        HOME=str(home),
        PELOTON_CONFIG=str(config),
        PELOTON_USERNAME=fake.user.username,
        PELOTON_PASSWORD=fake.user.password,
        PELOTON_EXPORT_API_URL=fake.api_url,
        PELOTON_EXPORT_AUTH_URL=fake.auth_url,
        PELOTON_EXPORT_CONFIG_DIR=str(work / "config"),
        PELOTON_EXPORT_STATE_DIR=str(work / "state"),
        PELOTON_EXPORT_DATA_DIR=str(work / "data"),
        PELOTON_EXPORT_ARCHIVE=str(work / "archive"),
        XDG_CONFIG_HOME=str(home / ".config"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_contender(name: str, fake: Any, work: Path, args: argparse.Namespace) -> Outcome:
    """Run one contender in a subprocess against ``fake``; count its requests at the fake."""
    outcome = Outcome(name)
    reason = missing_requirement(name)
    if reason is not None:
        outcome.skipped = reason
        print(f"{LABELS[name]}: {reason}", flush=True)
        return outcome
    shared = work / "peloton-export" if name.startswith("peloton-export") else work / name
    env = child_env(shared / "home", shared, fake, args.max_rate)
    # pylotoncycle sends no `Peloton-Platform: web`; the fake's 400 for /api/me without it
    # is a guess (docs/testing-fake-api.md), so it is turned off for that contender only.
    fake.require_platform = name != "pylotoncycle"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--contender",
        name,
        "--api-url",
        fake.api_url,
        "--auth-url",
        fake.auth_url,
        "--workouts",
        str(args.workouts),
        "--token",
        fake.issue_token() if name == "pylotoncycle" else "",
    ]
    fake.clear_requests()
    print(f"{LABELS[name]}: running ...", flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    outcome.process_s = time.perf_counter() - start
    records = fake.requests
    outcome.max_in_flight = fake.max_in_flight
    fake.require_platform = True
    sys.stderr.write(done.stderr[-4000:])
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            outcome.child = json.loads(line[len(RESULT_PREFIX) :])
    if done.returncode != 0 or not outcome.child:
        outcome.child.setdefault("error", f"exit code {done.returncode}")
    for rec in records:
        if rec.host == "auth":
            outcome.auth += 1
            continue
        outcome.api += 1
        kind = endpoint_of(rec.path)
        outcome.by_endpoint[kind] += 1
        if rec.status >= 400:
            outcome.errors[f"{kind} {rec.status}"] += 1
        if kind == "performance graph":
            outcome.every_n[rec.query.get("every_n", "(none)")] += 1
        if kind == "workout list":
            outcome.list_limits[rec.query.get("limit", "(none)")] += 1
            outcome.list_joins[rec.query.get("joins", "(none)")] += 1
        headers = {k.lower(): v for k, v in rec.headers.items()}
        if headers.get("peloton-platform", "").lower() == "web":
            outcome.platform_header += 1
    child = outcome.child
    print(
        f"{LABELS[name]}: {outcome.api} API + {outcome.auth} auth requests, "
        f"{child.get('wall_s', float('nan')):.1f} s, {child.get('maxrss_mib', float('nan')):.0f} MiB"
        + (f", error: {child['error']}" if child.get("error") else ""),
        flush=True,
    )
    return outcome


def describe(o: Outcome) -> str:
    """What a contender fetched, read off the fake's request record."""
    parts = []
    for kind, n in sorted(o.by_endpoint.items(), key=lambda kv: -kv[1]):
        label = kind
        if kind == "performance graph":
            label += " (every_n=" + ",".join(sorted(o.every_n)) + ")"
        if kind == "workout list":
            joins = ",".join(sorted(o.list_joins))
            label += " (limit=" + ",".join(sorted(o.list_limits))
            label += (f", joins={joins}" if joins != "(none)" else "") + ")"
        parts.append(f"{n} {label}")
    if o.auth:
        parts.append(f"{o.auth} auth-host")
    text = "; ".join(parts)
    if o.errors:
        text += "; non-2xx: " + ", ".join(f"{n}x {k}" for k, n in sorted(o.errors.items()))
    if o.api:
        share = o.platform_header / o.api
        sent = "every request" if share == 1 else f"{share:.0%} of requests"
        text += f"; Peloton-Platform: web on {sent}"
    return text


def table(outcomes: Sequence[Outcome], workouts: int) -> str:
    """The Markdown table of the measurements."""
    lines = [
        "| contender | API requests | auth requests | requests per workout (API + auth) | wall s | CPU s "
        "| peak RSS MiB (+ over start) | workouts with detail + graph |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in outcomes:
        if o.skipped:
            lines.append(f"| {LABELS[o.name]} | — | — | — | — | — | — | {o.skipped} |")
            continue
        c = o.child
        per = (o.api + o.auth) / workouts if workouts else 0.0
        rss = f"{c.get('maxrss_mib', 0):.0f} (+{c.get('maxrss_mib', 0) - c.get('start_rss_mib', 0):.0f})"
        got = str(c.get("complete", "?"))
        if c.get("error"):
            got += f" (error: {c['error']})"
        lines.append(
            f"| {LABELS[o.name]} | {o.api:,} | {o.auth} | {per:.2f} | {c.get('wall_s', 0):.1f} "
            f"| {c.get('cpu_s', 0):.1f} | {rss} | {got} |"
        )
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    """Start the fake, run every contender, print the table and what each one fetched."""
    from peloton_export.testing import FakePeloton

    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown:
        print(f"unknown contender(s) {unknown}; choose from {', '.join(CONTENDERS)}", file=sys.stderr)
        return 2
    if "peloton-export-again" in names and "peloton-export" not in names:
        print("peloton-export-again needs peloton-export before it", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    history = demo_history(args.workouts, args.duration)
    generated = time.perf_counter() - t0
    fake = FakePeloton(history, legacy_login=True)
    # The real /api/me reports the account's workout count; pylotoncycle pages by it.
    fake.profile["total_workouts"] = args.workouts
    fake.fault("latency", delay=args.latency, host="*", times=None)
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    with fake, tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        for name in names:
            outcomes.append(run_contender(name, fake, Path(tmp), args))
    total = time.perf_counter() - started
    rate = "no ceiling (max_rate = 0)" if not args.max_rate else f"max_rate = {args.max_rate:g} requests/s"
    print()
    print(
        f"{args.workouts:,} demo workouts of {args.duration:,} s; {args.latency * 1000:.0f} ms latency "
        f"on every request (API and auth host); peloton-export: {rate}, other settings default "
        f"(page_size 10, concurrency 3). Workouts generated up front in {generated:.0f} s "
        f"(not part of any contender); contenders took {total:.0f} s in all.\n"
    )
    print(table(outcomes, args.workouts))
    print()
    print("What each contender fetched (counted at the fake):\n")
    for o in outcomes:
        if o.skipped:
            print(f"- **{LABELS[o.name]}**: {o.skipped}")
            continue
        extra = o.child.get("notes")
        print(
            f"- **{LABELS[o.name]}**: {describe(o)}; at most {o.max_in_flight} in flight; "
            f"process {o.process_s:.1f} s including interpreter start and imports"
            + (f". {extra}" if extra else "")
        )
    return 0 if all(o.skipped or not o.child.get("error") for o in outcomes) else 1


# -- the child: one contender -------------------------------------------------------------------------------


def _proc_status_mib(key: str) -> float:
    """A memory line of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib() -> float:
    """The current resident set size of this process in MiB."""
    return _proc_status_mib("VmRSS")


def _peak_rss_mib() -> float:
    """The peak resident set size of this process since its ``exec``, in MiB.

    ``VmHWM`` belongs to the process's own address space. ``getrusage(RUSAGE_SELF)``
    is not used: Linux carries the parent's high-water mark over ``fork``/``exec`` into
    the child's ``ru_maxrss``, which would count the fake (in the parent) against every
    contender.
    """
    peak = _proc_status_mib("VmHWM")
    if peak != peak:  # not Linux: fall back to getrusage
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak


def _sync_peloton_export(args: argparse.Namespace) -> dict[str, Any]:
    from peloton_export.config import load_config
    from peloton_export.export.run import sync_archive
    from peloton_export.paths import archive_dir, state_dir
    from peloton_export.store.archive import Archive
    from peloton_export.store.ledger import Ledger

    start_rss = _rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    config = load_config()
    archive = Archive(archive_dir())
    ledger = Ledger(state_dir() / "ledger.sqlite3")
    report = sync_archive(config, offline=False, archive=archive, ledger=ledger)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    complete = sum(1 for wid in archive.ids() if archive.is_complete(wid))
    notes = f"sync report: {report.summary()}; archive holds {complete} complete workouts"
    if report.failed:
        notes += f"; failed: {dict(list(report.failed.items())[:3])}"
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "start_rss_mib": start_rss,
        "complete": len(report.fetched),
        "notes": notes,
    }


def _fetch_peloton_002(args: argparse.Namespace) -> dict[str, Any]:
    import peloton  # reads PELOTON_USERNAME / PELOTON_PASSWORD at import
    import peloton.peloton as impl

    impl._BASE_URL = args.api_url  # the library's one base-URL constant
    start_rss = _rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    workouts = peloton.PelotonWorkout.list()
    failures: Counter[str] = Counter()
    complete = 0
    for workout in workouts:
        ok = True
        for attr in ("leaderboard_rank", "metrics"):  # detail, then performance graph
            try:
                getattr(workout, attr)
            except Exception as exc:
                failures[f"{attr}: {type(exc).__name__}: {str(exc)[:80]}"] += 1
                ok = False
        complete += ok
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    notes = f"listed {len(workouts)} workouts, kept in memory as objects"
    if failures:
        worst = "; ".join(f"{n}x {k}" for k, n in failures.most_common(4))
        notes += f"; failures while lazy loading: {worst}"
    return {"wall_s": wall, "cpu_s": cpu, "start_rss_mib": start_rss, "complete": complete, "notes": notes}


def _fetch_pylotoncycle(args: argparse.Namespace) -> dict[str, Any]:
    from pylotoncycle import PylotonCycle

    api_url = args.api_url

    class PointedPylotonCycle(PylotonCycle):  # type: ignore[misc]
        """PylotonCycle with its base URL on the fake.

        ``base_url`` is an instance attribute set in ``__init__`` just before ``__init__``
        calls ``GetMe()``, so the override of ``GetMe`` is the first point to change it.
        """

        def GetMe(self) -> Any:  # the library's method name
            self.base_url = api_url
            return super().GetMe()

    start_rss = _rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    client = PointedPylotonCycle(access_token=args.token, token_url=f"{args.auth_url}/oauth/token")
    workouts = client.GetRecentWorkouts()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    complete = sum(1 for w in workouts if isinstance(w.get("performance_graph"), dict) and w.get("id"))
    no_instructor = sum(1 for w in workouts if w.get("instructor_name") is None)
    notes = (
        f"returned {len(workouts)} workouts, kept in memory as dicts; "
        f"{no_instructor} without instructor_name (the fake has no /api/instructor)"
    )
    return {"wall_s": wall, "cpu_s": cpu, "start_rss_mib": start_rss, "complete": complete, "notes": notes}


def child(args: argparse.Namespace) -> int:
    """Run one contender and print its measurements as one JSON line."""
    runners: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
        "peloton-export": _sync_peloton_export,
        "peloton-export-again": _sync_peloton_export,
        "peloton-0.0.2": _fetch_peloton_002,
        "pylotoncycle": _fetch_pylotoncycle,
    }
    for url in (args.api_url, args.auth_url):
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            print(f"refusing a non-loopback URL: {url}", file=sys.stderr)
            return 2
    try:
        result = runners[args.contender](args)
        code = 0
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        code = 1
    result["maxrss_mib"] = _peak_rss_mib()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options; run the benchmark, or one contender when ``--contender`` is given."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workouts", type=int, default=2000, help="workouts in the fake account")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--duration", type=int, default=1800, help="seconds per demo workout")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=0.0,
        help="peloton-export's max_rate (requests/s; 0: no ceiling, like the other libraries). "
        "The tool's default is 2, which bounds a first sync to about requests/2 seconds",
    )
    parser.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset, in order")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--auth-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check that it runs (CI); numbers mean nothing"
    )
    args = parser.parse_args(argv)
    if args.smoke and not args.contender:
        # peloton-export only: the other libraries are not dependencies of the project
        args.workouts, args.latency, args.duration = 3, 0.0, 120
        args.contenders = "peloton-export,peloton-export-again"
    if args.contender:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
