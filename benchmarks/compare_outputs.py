"""Every format's bytes for the demo workouts, this tree against another checkout (issue 24).

    python benchmarks/compare_outputs.py --against CHECKOUT [--minutes 60]
    python benchmarks/compare_outputs.py --smoke        # CI: this tree against itself

Speed work must not change what is written. For every bundled demo workout
(``peloton_export/data/demo``) and one generated workout of each demo kind (``--minutes``
long, at 1 Hz), each checkout writes every format into memory in a fresh subprocess (its
package first on ``PYTHONPATH``) in the order an export writes them; the SHA-256 of each file
is compared. Prints one line per difference and a summary; exits 1 when any file differs
(a change on purpose is then documented in ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("cycling_class", "tread_run", "outdoor_run", "row")


def digests(minutes: int) -> dict[str, Any]:
    """``{"package": path, "files": {"workout/format": sha256 or "skipped: ..."}}``."""
    import tempfile

    import peloton_export
    from peloton_export.normalize import normalize
    from peloton_export.plugins import create_host
    from peloton_export.source.demo import demo_workouts
    from peloton_export.specs import ExportContext
    from peloton_export.testing.synth import synth_workouts

    raws = [(f"demo/{raw.workout_id}", raw) for raw in demo_workouts()]
    raws += [
        (f"synth/{kind}", raw)
        for kind, raw in zip(
            KINDS, synth_workouts(len(KINDS), duration_s=minutes * 60, kinds=KINDS), strict=True
        )
    ]
    host = create_host(entry_points=False)
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="compare-outputs-") as tmp:
        context = ExportContext(output_dir=Path(tmp))
        for name, raw in raws:
            workout = normalize(raw)
            if workout is None:
                continue
            for fmt, spec in sorted(host.formats().items()):
                reason = spec.skip_reason(workout)
                if reason is not None:
                    files[f"{name}/{fmt}"] = f"skipped: {reason}"
                    continue
                buffer = io.BytesIO()
                spec.write(workout, buffer, context)
                files[f"{name}/{fmt}"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    return {"package": peloton_export.__file__, "files": files}


def _child(checkout: Path, minutes: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, str(Path(__file__).resolve()), "--json", "--minutes", str(minutes)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: failed\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if not Path(result["package"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: the subprocess imported {result['package']} instead")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--against", type=Path, help="the checkout to compare with (before)")
    parser.add_argument("--minutes", type=int, default=60, help="length of the generated workouts")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke", action="store_true", help="CI: this tree against itself, 2-minute workouts"
    )
    args = parser.parse_args()
    if args.json:
        print(json.dumps(digests(args.minutes)))
        return 0
    if args.smoke:
        args.against, args.minutes = ROOT, 2
    if args.against is None:
        parser.error("--against CHECKOUT is required (or --smoke)")
    before = _child(args.against, args.minutes)["files"]
    after = _child(ROOT, args.minutes)["files"]
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    for key in differ:
        print(f"differs: {key} ({before.get(key, 'absent')[:16]} -> {after.get(key, 'absent')[:16]})")
    same = len(before.keys() | after.keys()) - len(differ)
    print(f"{same} files the same, {len(differ)} different ({args.against} -> {ROOT})")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
