"""The device a FIT file says it was made by (``file_id`` and the creator ``device_info``).

Default (``honest``): manufacturer ``development`` (255), product 0, product name
``peloton-export``. Garmin Connect accepts such files but, by users' reports, does not
compute Training Effect, VO2 max, badges or challenges from them. Users who want those can
opt in with ``--option fit.device=<preset>``; the file then claims to come from that
Garmin device, which is not true, so it is never the default:

| preset | manufacturer / product |
| --- | --- |
| ``honest`` (default) | development / 0, named peloton-export |
| ``peloton`` | peloton (340) / 0 |
| ``forerunner-945`` | garmin / fr945 (3113) |
| ``fenix-6`` | garmin / fenix6 (3290) |
| ``epix-2`` | garmin / epix_gen2 (3943) |
| ``forerunner-965`` | garmin / fr965 (4315) |
| ``edge-1040`` | garmin / edge_1040 (3843) |
| ``tacx-training-app`` | garmin / tacx_training_app_win (20533) |
| ``garmin`` | per discipline: cycling tacx-training-app, rowing epix-2, others forerunner-945 |

Product numbers are looked up by name in the SDK's profile, not typed in here.
"""

from __future__ import annotations

from dataclasses import dataclass

from garmin_fit_sdk import Profile

from peloton_export import __version__
from peloton_export.errors import ConfigError

__all__ = ["PRESETS", "DeviceIdentity", "device_for"]


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Manufacturer (profile name), product number and product name of a device."""

    manufacturer: str
    product: int
    product_name: str | None
    software_version: float


def _garmin_product(name: str) -> int:
    for number, product in Profile["types"]["garmin_product"].items():
        if product == name:
            return int(number)
    raise KeyError(name)


def _software_version() -> float:
    """``"0.1.0"`` -> 0.1, ``"1.12.3"`` -> 1.12 (FIT keeps two decimals)."""
    parts = [p for p in __version__.split(".")[:2] if p.isdigit()]
    try:
        return round(float(".".join(parts[:2]) or "0"), 2)
    except ValueError:
        return 0.0


def _garmin(product: str, version: float = 1.0) -> DeviceIdentity:
    return DeviceIdentity("garmin", _garmin_product(product), None, version)


PRESETS: dict[str, DeviceIdentity] = {
    "honest": DeviceIdentity("development", 0, "peloton-export", _software_version()),
    "peloton": DeviceIdentity("peloton", 0, "peloton-export", _software_version()),
    "forerunner-945": _garmin("fr945", 20.0),
    "fenix-6": _garmin("fenix6", 20.0),
    "epix-2": _garmin("epix_gen2", 20.0),
    "forerunner-965": _garmin("fr965", 20.0),
    "edge-1040": _garmin("edge_1040", 20.0),
    "tacx-training-app": _garmin("tacx_training_app_win", 3.2),
}
_PER_FAMILY = {"cycling": "tacx-training-app", "rowing": "epix-2"}


def device_for(preset: str | None, family: str) -> DeviceIdentity:
    """Return the identity of ``preset`` (``None`` means ``honest``) for a sport family.

    :raises ConfigError: an unknown preset name (the message lists the known ones).
    """
    name = (preset or "honest").strip().lower()
    if name == "garmin":
        return PRESETS[_PER_FAMILY.get(family, "forerunner-945")]
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join([*PRESETS, "garmin"])
        raise ConfigError(f"unknown fit.device preset {preset!r}; known presets: {known}") from None
