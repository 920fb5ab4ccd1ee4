"""Record every view and change of a client record or referral."""
from __future__ import annotations

import datetime as dt
import json

from flask import g, has_request_context
from sqlalchemy import func, select

from broker.audit.models import AuditEvent
from broker.extensions import db

# Reads are kept even when the request then fails and its changes are rolled back:
# what was shown was shown. Changes are audited only if they are committed.
READS = {"list", "view", "view_suggestions"}


def record(user, action: str, subject_type: str, subject_id: int, client_id: int | None = None, **detail) -> None:
    """Add an audit event to the current unit of work; it is committed with the request's change."""
    via = "api" if has_request_context() and "api_user" in g else "web"
    values = dict(
        at=dt.datetime.now(dt.timezone.utc),
        user_id=user.id if user is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        client_id=client_id,
        via=via,
        detail=json.dumps(detail, default=str, sort_keys=True) if detail else "",
    )
    db.session.add(AuditEvent(**values))
    if action in READS and has_request_context():
        g.setdefault("audit_reads", []).append(values)


def keep_reads_after_rollback() -> bool:
    """After the request's unit of work was rolled back, add its reads again, on their own
    (the request boundary commits them); False if there were none."""
    reads = g.pop("audit_reads", None) if has_request_context() else None
    if reads:
        db.session.add_all(AuditEvent(**values) for values in reads)
    return bool(reads)


def recent(limit: int = 10) -> list:
    """The latest audit events, newest first (the administrator's home page)."""
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def count_since(since: dt.datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.at >= since)) or 0
