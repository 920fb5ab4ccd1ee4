"""Referrals: a PA's structured request to a provider for a young person, holding a place."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text
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
    "lapsed": "Lapsed: not answered in time",
    "completed": "Completed",
    "left_early": "Left early",
    "paused": "Paused: consent withdrawn",
}
# Statuses in which the referral holds a place on its intake.
HOLDS_PLACE = {"sent", "more_info", "accepted", "started", "paused"}
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
    "completed": "Record that they completed it",
    "left_early": "Record that they left early",
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
    "lapsed": "Lapsed: not answered in time, place freed",
    "completed": "Completed",
    "left_early": "Left early",
    "paused": "Paused",
}
# Where the young person went after the placement (recorded with completed / left early).
DESTINATIONS = {
    "education": "Education",
    "employment": "Employment",
    "training": "Training",
    "neet": "Not in education, employment or training",
    "unknown": "Not known",
}
# Statuses that end a placement and record its outcome.
OUTCOMES = ("completed", "left_early")


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
    # What became of the young person: set when the placement completes or they leave early.
    destination: Mapped[Optional[str]] = mapped_column(String(20))
    outcome_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    outcome_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Need to know: the ids of the young person's other needs the PA chose to share with this
    # provider, beside the one the referral is for. The provider sees no other need.
    shared_need_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    # When consent to share with the provider was withdrawn (status paused); cleared on resuming.
    paused_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
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

    @property
    def destination_label(self) -> str:
        return DESTINATIONS.get(self.destination or "", "")


class ReferralEvent(db.Model):
    """Each step of a referral, shown to both sides as its history."""

    __tablename__ = "referral_event"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # None for the service's own steps (a hold lapsing).
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="events")
    user: Mapped[Optional[User]] = relationship()
