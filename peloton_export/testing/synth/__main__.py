"""Write the generator's checked-in files.

``python -m peloton_export.testing.synth write-demo peloton_export/data/demo --replace``
rewrites the bundled demo set; ``write-golden tests/golden --replace`` rewrites the golden
inputs (not the expected outputs: ``pytest tests/unit/test_golden.py --update-golden`` does
those). See :mod:`peloton_export.testing.synth.files`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from peloton_export.testing.synth.files import write_demo, write_golden


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the files; returns the exit status (2 on an error)."""
    parser = argparse.ArgumentParser(
        prog="python -m peloton_export.testing.synth", description=__doc__.splitlines()[0]
    )
    parser.add_argument("what", choices=("write-demo", "write-golden"))
    parser.add_argument("dir", type=Path, help="the demo folder, or tests/golden")
    parser.add_argument("--replace", action="store_true", help="delete what was there first")
    args = parser.parse_args(argv)
    writer = write_demo if args.what == "write-demo" else write_golden
    try:
        written = writer(args.dir, replace=args.replace)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files under {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
