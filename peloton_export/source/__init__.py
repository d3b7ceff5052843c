"""Stage: raw workout bodies come in.

The Peloton client (:mod:`.client`), the sync and its fetch policy (:mod:`.sync`,
:mod:`.fetch_policy`), the importers of local files (:mod:`.importers`) and the demo
workouts (:mod:`.demo`).
"""
