"""``peloton-export serve``: a local web interface for one household (the ``serve`` extra).

* :mod:`.app`: the Starlette application (:func:`create_app`) and its pages and actions;
* :mod:`.guard`: the checks before every route (Host, login, cross-site writes, headers);
* :mod:`.auth`: the bind rule, the password hash, sessions, the login rate limit;
* :mod:`.forms`: posted forms (size cap, CSRF token);
* :mod:`.status`: the dashboard's facts (the same as ``peloton-export status``);
* :mod:`.rows`: the workouts table, read from the archive's raw bodies;
* :mod:`.jobs`: runs started from a page (``run_export`` in a thread, one per profile).

Templates (Jinja2, every value escaped) and the stylesheet and progress script are in
``templates/`` and ``static/``. Nothing is imported here: ``import peloton_export.web``
costs nothing and needs no extra.
"""
