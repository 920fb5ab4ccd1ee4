"""The audit log: who viewed or changed which client record or referral, and when."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.extensions import NO_ID_REUSE, db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # e.g. view, create, update, consent, send, answer
    subject_type: Mapped[str] = mapped_column(String(20))  # client | referral | account
    subject_id: Mapped[Optional[int]]  # None: a failed sign-in for an address with no account
    client_id: Mapped[Optional[int]] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(String(10), default="web")  # web | api
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[Optional[User]] = relationship()


# What each recorded action means, in words for the audit log's readers. An action not
# listed here is shown with its code's underscores as spaces.
ACTION_WORDS = {
    "view": "viewed",
    "view_suggestions": "viewed placement suggestions for",
    "list": "listed",
    "create": "created",
    "update": "changed",
    "add_need": "added a need to",
    "need_status": "changed a need on",
    "consent": "recorded consent on",
    "share": "shared",
    "send": "sent",
    "answer": "answered",
    "reply": "replied with more information on",
    "withdraw": "withdrew",
    "started": "marked as started",
    # casework
    "reassign": "reassigned to another Personal Adviser",
    "supervision_note": "wrote a supervision note about",
    "plan_action": "added a plan action to",
    "plan_action_done": "marked a plan action done on",
    "review": "recorded a review of",
    "conference": "recorded a case conference on",
    "action_done": "marked an action done from",
    "pause": "paused (consent withdrawn)",
    "resume": "resumed (consent given again)",
    "request_share": "asked to be shared",
}
SUBJECT_WORDS = {"client": "young person", "referral": "referral", "conference": "case conference"}
