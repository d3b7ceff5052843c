"""The Garmin login of the ``serve`` Logins page (``register_logins``, :mod:`.weblogin`):
a pasted garminconnect token store imported and checked against the loopback fake Connect
API with the real garminconnect, the state line, a paste that is no token store, logout;
the pasted text is never part of an answer."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from peloton_export.plugins import create_host
from peloton_export.specs import LoginRequest

from .conftest import DI_REFRESH, DI_TOKEN


def test_a_pasted_token_store_is_imported_checked_and_forgotten(
    fake_garmin: Any, real_library: None, section: dict[str, str], clock: Any
) -> None:
    host = create_host(allow=["garmin"])
    assert "garmin" in host.logins()

    def step(name: str, **fields: str) -> Any:
        return host.login_step(
            "garmin", name, LoginRequest(profile="default", section=section, fields=fields)
        )

    assert step("state").message == "not logged in"
    junk = step("submit", tokens="this is no token store")
    assert not junk.ok and "this is no token store" not in junk.message
    text = json.dumps({"di_token": DI_TOKEN, "di_refresh_token": DI_REFRESH, "di_client_id": "x"})
    done = step("submit", tokens=text)
    assert done.ok and "Garmin accepted" in done.message, done.message
    assert DI_TOKEN not in done.message and DI_REFRESH not in done.message
    token_file = Path(section["token_dir"]) / "garmin_tokens.json"
    assert json.loads(token_file.read_text())["di_token"] == DI_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert step("state").message == "logged in (a saved Garmin session)"
    out = step("logout")
    assert out.ok and not token_file.exists()
