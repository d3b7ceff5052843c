"""How many examples a Hypothesis property test in the unit layer tries.

``examples(n)`` is ``n``, the full count, when ``PELOTON_EXPORT_EXAMPLES=full`` (what
``.ci/run`` sets for its run of the suite); otherwise a quarter of it, at least 10, so the
README's test command keeps the unit layer under 30 s on two cores. A property test's
``@example`` cases run either way, and a ``derandomize=True`` test tries the same examples
on every run of the same count.
"""

from __future__ import annotations

import os

#: ``PELOTON_EXPORT_EXAMPLES``: ``full`` for every property test's full count.
FULL = os.environ.get("PELOTON_EXPORT_EXAMPLES", "").strip().lower() == "full"


def examples(full: int) -> int:
    """The number of examples to try: ``full``, or a quarter of it (at least 10)."""
    return full if FULL else max(10, full // 4)
