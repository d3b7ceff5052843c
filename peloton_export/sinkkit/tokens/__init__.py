"""``peloton_export.sinkkit.tokens``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.net.tokens`.
"""

from __future__ import annotations

from peloton_export.net.tokens import (
    KEYRING_SERVICE,
    TokenStore,
)

__all__ = [
    "KEYRING_SERVICE",
    "TokenStore",
]
