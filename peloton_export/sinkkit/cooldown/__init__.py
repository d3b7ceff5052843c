"""``peloton_export.sinkkit.cooldown``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.net.cooldown`.
"""

from __future__ import annotations

from peloton_export.net.cooldown import (
    CooldownState,
    LoginCooldown,
)

__all__ = [
    "CooldownState",
    "LoginCooldown",
]
