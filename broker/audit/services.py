"""Record every view and change of a client record or referral, and every refused attempt."""
from __future__ import annotations

import datetime as dt
import json

from flask import g, has_request_context, request
from sqlalchemy import func, select

from broker import unit_of_work
from broker.audit.models import AuditEvent
from broker.extensions import db

# Reads are kept even when the request then fails and its changes are rolled back:
# what was shown was shown. Changes are audited only if they are committed.
READS = {"list", "view", "view_suggestions"}


def _values(user, action: str, subject_type: str, subject_id, client_id, detail: dict) -> dict:
    api = has_request_context() and ("api_user" in g or request.path.startswith("/api/"))
    return dict(
        at=dt.datetime.now(dt.timezone.utc),
        user_id=user.id if user is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        client_id=client_id,
        via="api" if api else "web",
        detail=json.dumps(detail, default=str, sort_keys=True) if detail else "",
    )


def record(user, action: str, subject_type: str, subject_id: int, client_id: int | None = None, **detail) -> None:
    """Add an audit event to the current unit of work; it is committed with the request's
    change, and a read (READS) is kept even if the request is rolled back."""
    values = _values(user, action, subject_type, subject_id, client_id, detail)
    if action in READS:
        unit_of_work.keep(lambda: db.session.add(AuditEvent(**values)))
    else:
        db.session.add(AuditEvent(**values))


def record_denial(user, action: str, subject_type: str, subject_id: int | None, client_id: int | None = None, **detail) -> None:
    """Audit a refused attempt (a record someone may not see, a failed sign-in). The request
    that made it is rolled back; the row is kept all the same."""
    values = _values(user, action, subject_type, subject_id, client_id, {"denied": True, **detail})
    unit_of_work.keep(lambda: db.session.add(AuditEvent(**values)))


def recent(limit: int = 10) -> list:
    """The latest audit events, newest first (the administrator's home page)."""
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def count_since(since: dt.datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.at >= since)) or 0
