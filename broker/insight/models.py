"""What insight keeps: allocation runs with their unmet needs, and searches that found nothing.

None of these rows holds a young person's name: an unmet need is kept as its need id,
category, area and month, so the figures can be counted without identifying anyone.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
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

    run: Mapped[AllocationRun] = relationship(back_populates="unmet")


class EmptySearch(db.Model):
    """A directory search that found nothing: a signal of demand the directory cannot meet."""

    __tablename__ = "empty_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(10))  # page | api
    category: Mapped[Optional[str]] = mapped_column(String(40))
    area: Mapped[Optional[str]] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))
