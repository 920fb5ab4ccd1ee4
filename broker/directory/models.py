"""The directory: organisations, their provision, where it is and when it starts.

The shape follows Open Referral UK (HSDS 3.0) so that a local authority's directory
maps straight on: organization -> Organisation, service -> Provision,
location (via service_at_location) -> Location. Intakes (start dates with places)
are what HSDS lacks and brokerage needs most.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.extensions import NO_ID_REUSE, db

REFERRAL_ROUTES = {
    "form": "Referral form",
    "email": "Email referral",
    "phone": "Phone referral",
    "self-referral": "Young person can self-refer",
    "professional-only": "Professional referral only",
}
STATUSES = ("active", "withdrawn")  # what a provider can set
# Imported, but its need could not be placed in our taxonomy with confidence: hidden
# from search, suggestions and the published feed (every one of them lists only
# "active") until an administrator categorises it (broker.directory.oruk.review).
NEEDS_REVIEW = "needs-review"


def new_uid() -> str:
    return str(uuid.uuid4())


class Organisation(db.Model):
    """A provider organisation (HSDS organization)."""

    __tablename__ = "organisation"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # The stable public id (a UUID) of Open Referral feeds; an imported one keeps its publisher's.
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[Optional[str]] = mapped_column(String(200))
    phone: Mapped[Optional[str]] = mapped_column(String(50))
    website: Mapped[Optional[str]] = mapped_column(String(300))

    provisions: Mapped[list[Provision]] = relationship(back_populates="organisation")


class Provision(db.Model):
    """A service or opportunity a provider offers (HSDS service)."""

    __tablename__ = "provision"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"),
        CheckConstraint("status <> 'active' OR category IS NOT NULL", name="active_has_category"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # None only for an imported listing waiting for review (status "needs-review" or withdrawn).
    category: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    # The kind within the category (broker.taxonomy.KINDS), e.g. housing: emergency-bed.
    kind: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    min_age: Mapped[Optional[int]]
    max_age: Mapped[Optional[int]]
    # Structured eligibility (docs/eligibility.md): council areas served as ONS codes
    # (None: anywhere) and criteria a young person must meet (broker.taxonomy.CRITERIA).
    areas: Mapped[Optional[list[str]]] = mapped_column(JSON)
    requires: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    cost: Mapped[str] = mapped_column(String(200), default="Free")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    referral_route: Mapped[str] = mapped_column(String(30), default="form")
    referral_contact: Mapped[Optional[str]] = mapped_column(String(200))
    referral_form_url: Mapped[Optional[str]] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    # Why an import could not place the listing in our taxonomy; None once placed or reviewed.
    review_reason: Mapped[Optional[str]] = mapped_column(Text)
    # What Open Referral feeds say beyond our own fields, kept to show and publish back
    # (field by field in docs/oruk.md): how to apply, the wait, opening times
    # (HSDS schedules that are not intakes), documents to bring, languages, named
    # contacts, and areas served described in words rather than council codes.
    application_process: Mapped[str] = mapped_column(Text, default="", server_default="")
    wait_time: Mapped[str] = mapped_column(String(300), default="", server_default="")
    schedules: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    required_documents: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    languages: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    contacts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    service_areas: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    last_confirmed: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    organisation: Mapped[Organisation] = relationship(back_populates="provisions")
    locations: Mapped[list[Location]] = relationship(
        back_populates="provision", cascade="all, delete-orphan", order_by="Location.id"
    )
    intakes: Mapped[list[Intake]] = relationship(
        back_populates="provision", cascade="all, delete-orphan", order_by="Intake.start"
    )

    def is_stale(self, today: dt.date, stale_days: int) -> bool:
        return (today - self.last_confirmed).days > stale_days

    def upcoming_intakes(self, today: dt.date) -> list[Intake]:
        """Intakes a young person could still join: rolling ones, or ones not yet started."""
        return [i for i in self.intakes if i.rolling or i.start >= today]

    def next_intake(self, today: dt.date, with_places: bool = False) -> Optional[Intake]:
        options = [i for i in self.upcoming_intakes(today) if not with_places or i.places_left > 0]
        return min(options, key=lambda i: i.joinable_from(today), default=None)

    def places_left(self, today: dt.date) -> int:
        return sum(i.places_left for i in self.upcoming_intakes(today))


class Location(db.Model):
    """Where a provision is delivered (HSDS location via service_at_location)."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    # The place's public id; several listings may share one place (HSDS location), so not unique.
    uid: Mapped[str] = mapped_column(String(36), index=True, default=new_uid)
    # The public id of this listing at this place (HSDS service_at_location).
    sal_uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]

    provision: Mapped[Provision] = relationship(back_populates="locations")


class Intake(db.Model):
    """A start date with a number of places; a rolling intake can be joined any day from its start."""

    __tablename__ = "intake"
    __table_args__ = (
        CheckConstraint("places >= 0", name="places_not_negative"),
        CheckConstraint("places_taken >= 0 AND places_taken <= places", name="taken_within_places"),
        CheckConstraint("places_taken_outside >= 0", name="outside_not_negative"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), index=True)
    start: Mapped[dt.date] = mapped_column(Date)
    places: Mapped[int]
    # Every place taken, by referrals made here (each holds one) and, for a listing kept
    # by a feed, the places its publisher says went elsewhere (`places_taken_outside`).
    # So places held by referrals = places_taken - places_taken_outside, which a feed can
    # never free (broker.directory.oruk.write).
    places_taken: Mapped[int] = mapped_column(default=0)
    places_taken_outside: Mapped[int] = mapped_column(default=0, server_default="0")
    rolling: Mapped[bool] = mapped_column(default=False)
    # Bumped by every UPDATE, the conditional place holds included (published as the
    # capacity's `updated`).
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    provision: Mapped[Provision] = relationship(back_populates="intakes")

    @property
    def places_left(self) -> int:
        return self.places - self.places_taken

    @property
    def places_held(self) -> int:
        """Places held by referrals made here."""
        return max(self.places_taken - self.places_taken_outside, 0)

    def joinable_from(self, today: dt.date) -> dt.date:
        return max(self.start, today) if self.rolling else self.start


class ListingChange(db.Model):
    """One change to a listing, written in the same transaction as the change itself.

    The search index follows this log (see broker.directory.index_sync): each process
    reindexes the listings named by rows it has not yet applied, so a process that dies
    between commit and indexing loses nothing. No foreign keys: a deleted listing's
    change must still be logged. `everything` marks a bulk load (rebuild the whole index);
    `organisation_id` a change to an organisation (reindex all its listings).
    """

    __tablename__ = "listing_change"
    # Ids are never reused on SQLite either, so a watermark never points past a reset log.
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    provision_id: Mapped[Optional[int]]
    organisation_id: Mapped[Optional[int]]
    everything: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
