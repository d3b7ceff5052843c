"""``python -m peloton_export`` and the ``peloton-export`` command.

SIGTERM is made a ``KeyboardInterrupt`` (a stop, exit 130) before the command line's
modules are imported: a ``kill`` or ``docker stop`` in the first moments of a run is then a
stop like any other, not a death by the signal (exit -15). The package's ``__init__``
(imported first by Python) is the only code that runs before.
"""

from __future__ import annotations

import signal
import sys

#: Exit code of a run stopped by Ctrl-C or SIGTERM.
EXIT_INTERRUPTED = 130


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: :func:`peloton_export.cli.main` with SIGTERM handled
    from the first line."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from peloton_export.cli import main as cli_main
    except KeyboardInterrupt:  # stopped while the command line was being imported
        from peloton_export.errors import INTERRUPTED

        print(INTERRUPTED, file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    cli_main()


if __name__ == "__main__":
    main()
