"""HTTP plumbing shared by the Peloton client and the upload plugins.

Retries and rate limits (:mod:`.retry`), secret redaction (:mod:`.redaction`), token
storage (:mod:`.tokens`) and the login cooldown (:mod:`.cooldown`). Plugin authors import
these from :mod:`peloton_export.sinkkit`.
"""
