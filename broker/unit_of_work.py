"""One unit of work per request, ended at the request boundary (broker.boundary), and the
few writes that must outlive its rollback.

A request's changes are committed when its answer is < 400 and rolled back otherwise, so
an error never leaves anything half-written. Some records stand whatever the answer: the
audit row of a record shown or of a refused attempt, the count of failed sign-ins.
`keep(write)` does the write in the request's unit of work and, if that is rolled back,
does it again just after in a short transaction of its own. That uses the request's own
session after its rollback, so it never waits on a lock the request still holds (a second
connection would deadlock SQLite).
"""
from __future__ import annotations

import logging
from typing import Callable

from flask import g, has_request_context

from broker.extensions import db

log = logging.getLogger(__name__)


def keep(write: Callable[[], None]) -> None:
    """Do `write` (adds or updates through db.session) now, and again if the request's unit
    of work is rolled back, so it is committed whatever the answer."""
    write()
    if has_request_context():
        g.setdefault("_kept_writes", []).append(write)


def end(status_code: int) -> None:
    """End the request's unit of work: commit it, or roll it back and commit what `keep()` kept."""
    kept = g.pop("_kept_writes", [])
    if status_code < 400:
        db.session.commit()
        return
    db.session.rollback()
    if not kept:
        return
    try:
        for write in kept:
            write()
        db.session.commit()
    except Exception:  # the answer stands; a lost audit row must at least be in the log
        db.session.rollback()
        log.exception("could not write %d record(s) kept past the request's rollback", len(kept))
