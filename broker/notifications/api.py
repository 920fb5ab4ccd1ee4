"""API for a user's own notifications."""
from __future__ import annotations

from marshmallow import Schema, fields

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Instant
from broker.notifications import services

bp = ApiBlueprint("Notifications", __name__, description="What the signed-in user has been told: referrals, answers, reminders.")


class NotificationRecord(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "e.g. referral-sent, referral-accepted, referral-lapsed, review-due"})
    subject = fields.String()
    body = fields.String()
    link = fields.String(metadata={"description": "the page it is about (a path), or empty"})
    created_at = Instant()
    read = fields.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})


class NotificationList(Schema):
    unread = fields.Integer()
    notifications = fields.List(fields.Nested(NotificationRecord))


@bp.get("/notifications")
@bp.token_required("pa", "provider", "manager", "admin")
@bp.response(200, NotificationList)
def list_notifications():
    """The caller's notifications, unread first, newest first (at most 100)."""
    user = caller()
    return {"unread": services.unread_count(user), "notifications": services.for_user(user)}
