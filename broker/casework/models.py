"""Casework around a young person: team leads' supervision, the plan and its reviews, and
case conferences with the actions they agree."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.directory.models import Organisation
from broker.extensions import NO_ID_REUSE, db


class Supervision(db.Model):
    """A team lead supervises a PA: the lead sees and manages the PA's caseload."""

    __tablename__ = "supervision"
    __table_args__ = (UniqueConstraint("lead_id", "pa_id", name="lead_pa"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    pa_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    pa: Mapped[User] = relationship(foreign_keys=[pa_id])


class SupervisionNote(db.Model):
    """What a lead and one of their PAs talked through in supervision."""

    __tablename__ = "supervision_note"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    pa_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)

    lead: Mapped[User] = relationship(foreign_keys=[lead_id])


class PlanAction(db.Model):
    """One step of the young person's plan: what, who does it, by when, and when it was done."""

    __tablename__ = "plan_action"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class Review(db.Model):
    """A review of the plan: when, what came of it, and when the next one is due."""

    __tablename__ = "plan_review"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text)
    next_review: Mapped[Optional[dt.date]] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    recorded_by: Mapped[User] = relationship()


class CaseConference(db.Model):
    """Professionals around one young person agreeing who does what."""

    __tablename__ = "case_conference"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    convened_by: Mapped[User] = relationship()
    attendees: Mapped[list[ConferenceAttendee]] = relationship(cascade="all, delete-orphan", order_by="ConferenceAttendee.id")
    actions: Mapped[list[ConferenceAction]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="ConferenceAction.id")


class ConferenceAttendee(db.Model):
    """Who came: one of our users, or an agency (organisation)."""

    __tablename__ = "conference_attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("case_conference.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"), index=True)

    user: Mapped[Optional[User]] = relationship()
    organisation: Mapped[Optional[Organisation]] = relationship()


class ConferenceAction(db.Model):
    """An action a conference agreed, owned by one user, due by a date."""

    __tablename__ = "conference_action"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("case_conference.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    due: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[Optional[dt.date]] = mapped_column(Date)

    conference: Mapped[CaseConference] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship()
