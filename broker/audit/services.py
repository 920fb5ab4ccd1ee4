"""Record every view and change of a client record or referral, and every refused attempt."""
from __future__ import annotations

import datetime as dt
import json

from flask import g, has_request_context, request

from broker import unit_of_work
from broker.audit.models import AuditEvent
from broker.extensions import db


def _event(user, action: str, subject_type: str, subject_id, client_id, detail: dict) -> AuditEvent:
    api = has_request_context() and ("api_user" in g or request.path.startswith("/api/"))
    return AuditEvent(
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
    """Add an audit event to the current transaction; the caller commits it with its change."""
    db.session.add(_event(user, action, subject_type, subject_id, client_id, detail))


def record_view(user, action: str, subject_type: str, subject_id: int, client_id: int | None = None, **detail) -> None:
    """Audit that someone saw a record. Kept even if the request then fails and is rolled
    back (a form shown again with its errors still showed the record)."""
    event = _event(user, action, subject_type, subject_id, client_id, detail)
    unit_of_work.keep(lambda: db.session.add(event))


def record_denial(user, action: str, subject_type: str, subject_id: int | None, client_id: int | None = None, **detail) -> None:
    """Audit a refused attempt (a record someone may not see, a failed sign-in). The request
    that made it is rolled back, so the row is written in a transaction of its own."""
    event = _event(user, action, subject_type, subject_id, client_id, {"denied": True, **detail})
    unit_of_work.keep(lambda: db.session.add(event))
