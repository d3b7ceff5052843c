"""Stage: every writer's code (the built-in plugins in ``default_plugins`` only register them).

FIT (:mod:`.fit`), TCX (:mod:`.tcx`), GPX (:mod:`.gpx`), CSV (:mod:`.csv`), JSON
(:mod:`.json`), the HTML report (:mod:`.report`), Parquet (:mod:`.parquet`), the summary
files (:mod:`.summaries`) and the XML helpers (:mod:`._xml`).
"""
