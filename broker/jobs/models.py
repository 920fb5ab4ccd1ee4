"""What the job queue keeps in the database, so any node can report a job's progress."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.auth.models import User
from broker.extensions import NO_ID_REUSE, db

STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """One piece of background work (an allocation run, a what-if, a feed pull) and how it went."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_created", "status", "created_at"), NO_ID_REUSE)  # ids are in job pages' addresses

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0 to 1
    step: Mapped[str] = mapped_column(String(200), default="")  # what it is doing now, in words
    result_json: Mapped[Optional[str]] = mapped_column(Text)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    # Written every few seconds while it runs: a job whose heartbeat stops was lost with its worker.
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[Optional[User]] = relationship()

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")

    @property
    def result(self) -> Optional[dict]:
        return json.loads(self.result_json) if self.result_json else None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class DueRun(db.Model):
    """When a due job (`broker run-due`) last ran, so several schedulers run it once per interval."""

    __tablename__ = "due_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str] = mapped_column(String(10), default="")
    last_note: Mapped[str] = mapped_column(Text, default="")
