"""Stage: what persists between runs.

The archive of raw bodies (:mod:`.archive`), the SQLite ledger (:mod:`.ledger`), the run
lock (:mod:`.runlock`) and atomic file writes (:mod:`.atomic`).
"""
