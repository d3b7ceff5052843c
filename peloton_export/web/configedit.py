"""The config file editor the Settings page uses: :mod:`peloton_export.store.configedit`
(moved there so that ``peloton-export config set`` uses the same one); the names stay here."""

from __future__ import annotations

from peloton_export.store.configedit import set_keys, write_config

__all__ = ["set_keys", "write_config"]
