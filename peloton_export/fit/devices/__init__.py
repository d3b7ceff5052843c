"""``peloton_export.fit.devices``, kept for plugins and scripts that import it: the code is in
:mod:`peloton_export.formats.fit.devices`.
"""

from __future__ import annotations

from peloton_export.formats.fit.devices import (
    PRESETS,
    DeviceIdentity,
    device_for,
)

__all__ = [
    "PRESETS",
    "DeviceIdentity",
    "device_for",
]
