"""One unit of work per request, ended at the request boundary, and the few writes that
must outlive its rollback.

A request's changes are committed when its answer is < 400 and rolled back otherwise, so
an error never leaves anything half-written. Some records exist *because* of an error: the
audit row of a denied attempt, the count of failed sign-ins. `keep()` queues such a write;
`end()` runs the queue in a short transaction of its own after the request's own one has
ended. It uses the request's session after commit or rollback, so it never waits on a lock
the request still holds (a second connection would deadlock SQLite).
"""
from __future__ import annotations

import logging
from typing import Callable

from flask import g, has_request_context

from broker.extensions import db

log = logging.getLogger(__name__)


def keep(write: Callable[[], None]) -> None:
    """Have `write` (which adds to or updates through db.session) committed whatever the answer."""
    if has_request_context():
        g.setdefault("_kept_writes", []).append(write)
    else:  # a CLI command or a test outside a request: its own commit covers it
        write()


def end(status_code: int) -> None:
    """End the request's unit of work, then commit what `keep()` queued."""
    if status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    kept = g.pop("_kept_writes", [])
    if not kept:
        return
    try:
        for write in kept:
            write()
        db.session.commit()
    except Exception:  # the answer stands; a lost audit row must be visible in the log
        db.session.rollback()
        log.exception("could not write %d record(s) kept past the request's rollback", len(kept))
