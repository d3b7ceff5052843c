"""Stage: the facts every writer shares, computed once from a normalized workout.

Laps (:mod:`.laps`, :mod:`.lap_spans`), sports (:mod:`.sports`), the per-second series
(:mod:`.series`), totals and stats (:mod:`.totals`, :mod:`.stats`), zones (:mod:`.zones`),
units and time (:mod:`.units`, :mod:`.timeutil`), disciplines, origin and file names
(:mod:`.disciplines`, :mod:`.origin`, :mod:`.filenames`), stacked classes
(:mod:`.stacking`) and the watch-recording merge (:mod:`.merge`).
"""
