"""Stage: one run.

The request and the run (:mod:`.run`), the plan (:mod:`.plan`), the exporter with its
stacks (:mod:`.exporter`), worker processes (:mod:`.workers`) and exporting while the
sync still fetches (:mod:`.streaming`).
"""
