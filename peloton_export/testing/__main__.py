"""Run the fake Peloton API from the command line.

``python -m peloton_export.testing --port 8080 --workouts 2000`` serves the demo workouts
until Ctrl-C and prints the URLs, the member's login and a token to paste.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TextIO

from peloton_export.testing.server import FakePeloton


def log_requests(fake: FakePeloton, out: TextIO, stop: threading.Event, interval: float = 0.2) -> None:
    """Print one line per request the fake answers (numbered per host) until ``stop`` is set."""
    seen = 0
    numbers: dict[str, int] = {}
    while True:
        stopping = stop.wait(interval)
        records = fake.requests
        for record in records[seen:]:
            numbers[record.host] = numbers.get(record.host, 0) + 1
            fault = f" [{record.fault}]" if record.fault else ""
            number = numbers[record.host]
            out.write(f"{record.host} #{number} {record.method} {record.path} {record.status}{fault}\n")
        seen = len(records)
        out.flush()
        if stopping:
            return


def main(argv: list[str] | None = None) -> int:
    """Parse the options, start the fake and wait."""
    parser = argparse.ArgumentParser(
        prog="python -m peloton_export.testing", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=8080, help="API port (0: any free port)")
    parser.add_argument("--auth-port", type=int, default=0, help="Auth0 port (default: any free port)")
    parser.add_argument("--workouts", type=int, default=100, help="how many demo workouts")
    parser.add_argument("--seed", type=int, default=0, help="demo generator seed")
    parser.add_argument("--legacy-login", action="store_true", help="accept the retired POST /auth/login")
    parser.add_argument("--token-ttl", type=float, default=172800.0, help="access token lifetime (s)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:PATH_REGEX[:TIMES]]",
        help="inject a fault (repeatable), e.g. 429:/workouts:3 or 5xx::0 (0: for ever)",
    )
    parser.add_argument(
        "--log", action="store_true", help="print one line per request (host, number, method, path, status)"
    )
    args = parser.parse_args(argv)
    fake = FakePeloton(
        count=args.workouts, seed=args.seed, legacy_login=args.legacy_login, token_ttl=args.token_ttl
    )
    for spec in args.fault:
        kind, _, rest = spec.partition(":")
        path, _, times = rest.partition(":")
        fake.fault(kind, path=path or ".*", times=(int(times) or None) if times else 1)
    fake.start(api_port=args.port, auth_port=args.auth_port)
    print(f"PELOTON_EXPORT_API_URL={fake.api_url}")
    print(f"PELOTON_EXPORT_AUTH_URL={fake.auth_url}")
    print(f"username: {fake.user.username}  password: {fake.user.password}")
    print(f"token (paste with `peloton-export login --token`): {fake.issue_token()}")
    stop = threading.Event()
    logger = threading.Thread(target=log_requests, args=(fake, sys.stdout, stop), daemon=True)
    if args.log:
        # started before "Serving" is printed: a Ctrl-C that follows it never lands in start()
        logger.start()
    print("Serving; Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if args.log:
            logger.join(timeout=2)
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
