"""``peloton_export.atomic``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.store.atomic`.
"""

from __future__ import annotations

from peloton_export.store.atomic import (
    atomic_writer,
    remove_stale_temporaries,
    write_bytes_atomic,
)

__all__ = [
    "atomic_writer",
    "remove_stale_temporaries",
    "write_bytes_atomic",
]
