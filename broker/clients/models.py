"""Young people on a PA's caseload: the APIR record, needs and consent."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.directory.models import Organisation, Provision
from broker.extensions import NO_ID_REUSE, db

# What a young person can agree to share, agency by agency.
CONSENT_PURPOSES = {
    "referral": "Share name, age, home area, needs and the referral summary to make and manage a referral",
    "assessment": "Also share the assessment: risks and notes on each need",
}
NEED_STATUSES = ("open", "met", "closed")


class Client(db.Model):
    """A young person. Identity is kept to what a referral needs."""

    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_range"),
        CheckConstraint("max_travel_km > 0", name="travel_positive"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pa_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    home_postcode: Mapped[str] = mapped_column(String(10))
    # The council area (ONS code) whose services they can use: from the home postcode,
    # changed by the PA when they are placed elsewhere (e.g. in care out of area).
    area: Mapped[Optional[str]] = mapped_column(String(12), index=True)
    # What the assessment recorded (broker.taxonomy.CRITERIA codes), e.g. ["care_leaver"].
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    lat: Mapped[float]
    lon: Mapped[float]
    available_from: Mapped[dt.date] = mapped_column(Date)
    urgency: Mapped[int] = mapped_column(default=1)
    max_travel_km: Mapped[float] = mapped_column(default=25.0)
    assessment_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    # Acute or complex needs: like urgency 3, no referral without an assessment in the last 6 months (APIR).
    complex_needs: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    review_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    pa: Mapped[User] = relationship()
    needs: Mapped[list[ClientNeed]] = relationship(back_populates="client", cascade="all, delete-orphan", order_by="ClientNeed.id")
    consents: Mapped[list[Consent]] = relationship(back_populates="client", cascade="all, delete-orphan", order_by="Consent.id")
    preferences: Mapped[list[ClientPreference]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientPreference.rank"
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))

    @property
    def open_needs(self) -> list[ClientNeed]:
        return [n for n in self.needs if n.status == "open"]


class ClientNeed(db.Model):
    """A category of support the assessment calls for."""

    __tablename__ = "client_need"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    recorded_on: Mapped[dt.date] = mapped_column(Date)

    client: Mapped[Client] = relationship(back_populates="needs")


class Consent(db.Model):
    """One decision by the young person: given or withdrawn, for a purpose, for an agency.

    Rows are never edited: the latest row for (client, organisation, purpose) is the
    consent in force, and the history shows who recorded what and when.
    """

    __tablename__ = "consent"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool]
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # The last day a given consent is in force (BROKER_CONSENT_MONTHS after it was given,
    # unless the young person agreed another date); after it, it counts as no consent.
    expires_on: Mapped[Optional[dt.date]] = mapped_column(Date)

    client: Mapped[Client] = relationship(back_populates="consents")
    organisation: Mapped[Organisation] = relationship()
    recorded_by: Mapped[User] = relationship()


class ClientShare(db.Model):
    """A client explicitly shared with another PA (e.g. a specialist team)."""

    __tablename__ = "client_share"
    __table_args__ = (UniqueConstraint("client_id", "user_id", name="client_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    shared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # What the young person agreed the other PA may see the record for (their consent to this sharing).
    purpose: Mapped[str] = mapped_column(Text, default="", server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ShareRequest(db.Model):
    """A PA who was about to create a record that may already exist asks its PA to share it.

    The asking PA never learns which record matched; the record's own PA sees the request."""

    __tablename__ = "share_request"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | shared

    client: Mapped[Client] = relationship()
    requested_by: Mapped[User] = relationship()


class ClientPreference(db.Model):
    """The young person's own ranking of listings they would like, best first (rank 1)."""

    __tablename__ = "client_preference"
    __table_args__ = (UniqueConstraint("client_id", "provision_id", name="client_provision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"))
    rank: Mapped[int]

    client: Mapped[Client] = relationship(back_populates="preferences")
    provision: Mapped[Provision] = relationship()
