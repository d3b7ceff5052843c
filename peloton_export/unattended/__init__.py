"""Stage: running without a person: ``watch`` (:mod:`.watch`, its cycle :mod:`.cycle` and
status file :mod:`.status`), ``schedule`` (:mod:`.schedule`), notifications
(:mod:`.notify`) and log lines (:mod:`.logformat`)."""
