"""Referrals: a PA's structured request to a provider for a young person, holding a place."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake, Organisation, Provision
from broker.extensions import NO_ID_REUSE, db

STATUSES = {
    "sent": "Sent, awaiting answer",
    "more_info": "Asked for more information",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "started": "Started",
}
# Statuses in which the referral holds a place on its intake.
HOLDS_PLACE = {"sent", "more_info", "accepted", "started"}
DECLINE_REASONS = {
    "capacity": "No places left",
    "eligibility": "Does not meet eligibility",
    "unsuitable": "Not suitable for this young person's needs",
    "no_response": "Young person did not respond",
    "other": "Other (see message)",
}
# What the PA can do next with a referral, in words.
PA_ACTIONS = {
    "reply": "Reply with more information",
    "started": "Mark as started",
    "withdraw": "Withdraw the referral (frees the place)",
}
# Each step in a referral's history, as both sides read it.
EVENT_WORDS = {
    "sent": "Sent",
    "more_info": "Asked for more information",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "started": "Started",
}


class Referral(db.Model):
    __tablename__ = "referral"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("client_need.id"))
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    pa_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str] = mapped_column(Text)
    risks: Mapped[str] = mapped_column(Text, default="")
    answer_by: Mapped[dt.date] = mapped_column(Date)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[Optional[str]] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")  # latest message from the provider
    # Why the PA referred although the listing's rules exclude the young person (None: they did not need to).
    override_reason: Mapped[Optional[str]] = mapped_column(Text)

    client: Mapped[Client] = relationship()
    need: Mapped[ClientNeed] = relationship()
    provision: Mapped[Provision] = relationship()
    intake: Mapped[Intake] = relationship()
    organisation: Mapped[Organisation] = relationship()
    pa: Mapped[User] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(back_populates="referral", order_by="ReferralEvent.id")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class ReferralEvent(db.Model):
    """Each step of a referral, shown to both sides as its history."""

    __tablename__ = "referral_event"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="events")
    user: Mapped[User] = relationship()
