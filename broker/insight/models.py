"""What insight keeps: allocation runs with their unmet needs, and searches that found nothing.

None of these rows holds a young person's name: an unmet need is kept as its need id,
category, area and month, so the figures can be counted without identifying anyone.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.directory.models import Provision
from broker.extensions import NO_ID_REUSE, db


class AllocationRun(db.Model):
    """One run of the matcher over every open need (in one area, or all) against current intakes."""

    __tablename__ = "allocation_run"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    area: Mapped[Optional[str]] = mapped_column(String(40))  # None: every area
    figures_json: Mapped[str] = mapped_column(Text, default="{}")

    started_by: Mapped[Optional[User]] = relationship()
    unmet: Mapped[list[AllocationUnmet]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="AllocationUnmet.id"
    )
    place_values: Mapped[list[AllocationPlaceValue]] = relationship(
        cascade="all, delete-orphan", order_by="AllocationPlaceValue.marginal_value.desc()"
    )

    @property
    def figures(self) -> dict:
        return json.loads(self.figures_json or "{}")

    @property
    def scope(self) -> str:
        return self.area or "All areas"


class AllocationUnmet(db.Model):
    """A need the run could not meet: which need, where, from when, and why (capacity or no eligible provision)."""

    __tablename__ = "allocation_unmet"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_run.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[Optional[int]] = mapped_column(ForeignKey("client_need.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM the young person could start from
    reason: Mapped[str] = mapped_column(String(30))
    # The matcher's first rule no intake passes (age, area, ...); None when places ran out (capacity).
    blocked_by: Mapped[Optional[str]] = mapped_column(String(20))
    age_band: Mapped[Optional[str]] = mapped_column(String(10))  # 13-15, 16-17, 18-19 on the day they can start

    run: Mapped[AllocationRun] = relationship(back_populates="unmet")

    @property
    def why(self) -> str:
        """One word per reason: `capacity`, or the rule that rules out every service."""
        return self.blocked_by or "capacity"


class AllocationPlaceValue(db.Model):
    """What one more place on an intake would add to a run's total value (the matcher's marginal value)."""

    __tablename__ = "allocation_place_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_run.id", ondelete="CASCADE"), index=True)
    provision_id: Mapped[Optional[int]] = mapped_column(ForeignKey("provision.id", ondelete="SET NULL"))
    intake_id: Mapped[Optional[int]] = mapped_column(ForeignKey("intake.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))  # when the intake can be joined
    marginal_value: Mapped[float] = mapped_column(Float)
    # Needs met with that one more place, by re-running the matcher (the top few only; None otherwise).
    extra_met: Mapped[Optional[int]] = mapped_column(Integer)


class EmptySearch(db.Model):
    """A directory search that found nothing: a signal of demand the directory cannot meet."""

    __tablename__ = "empty_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(10))  # page | api
    category: Mapped[Optional[str]] = mapped_column(String(40))
    area: Mapped[Optional[str]] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))


class CapacityDecline(db.Model):
    """A referral declined for lack of places, and how many free places its intake showed then
    (besides the referral's own held place): more than 0 is flagged rather than counted as shortage."""

    __tablename__ = "capacity_decline"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    places_free: Mapped[int] = mapped_column(Integer)


class AllocationProposal(db.Model):
    """A placement a run proposes for one need: shown to the young person's PA on their record,
    never listed to managers by name."""

    __tablename__ = "allocation_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_run.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("client_need.id", ondelete="CASCADE"), index=True)
    provision_id: Mapped[Optional[int]] = mapped_column(ForeignKey("provision.id", ondelete="SET NULL"))
    intake_id: Mapped[Optional[int]] = mapped_column(ForeignKey("intake.id", ondelete="SET NULL"))
    start: Mapped[dt.date] = mapped_column(Date)
    wait_days: Mapped[int] = mapped_column(Integer)

    run: Mapped[AllocationRun] = relationship()
    provision: Mapped[Optional["Provision"]] = relationship()
