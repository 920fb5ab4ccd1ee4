"""Due jobs: housekeeping that runs every so often (`broker run-due`; `broker worker` every few minutes).

Register one in its domain's `jobs.py`:

    from broker.jobs import due_job

    @due_job("hold-lapses", every=dt.timedelta(hours=1), title="Free places held by unanswered referrals")
    def release_lapsed_holds() -> str:
        ...  # flush and raise as any service; committed after it returns
        return "3 places freed"  # a note kept with the run

Each run claims a due job with a conditional UPDATE on its `due_run` row (last started
long enough ago), so any number of schedulers run it once per interval. A failure is
rolled back and noted; the other due jobs still run.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from broker.extensions import db
from broker.jobs.models import DueRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueJob:
    name: str
    every: dt.timedelta
    title: str
    func: Callable[[], Optional[str]]


DUE: dict[str, DueJob] = {}


def due_job(name: str, *, every: dt.timedelta, title: str):
    """Register `fn() -> str | None` to run at most once per `every`."""

    def register(fn):
        DUE[name] = DueJob(name, every, title, fn)
        return fn

    return register


def _claim(job: DueJob, now: dt.datetime, force: bool) -> bool:
    # A tenth of the interval's slack, so a job due every minute on a one-minute tick never skips a tick.
    since = now - job.every * 0.9
    with db.engine.begin() as conn:
        exists = conn.scalar(select(DueRun.name).where(DueRun.name == job.name))
        if exists is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(DueRun).values(name=job.name, last_status="", last_note=""))
            except IntegrityError:
                pass  # another scheduler inserted it first
        cond = [DueRun.name == job.name, DueRun.last_status != "running"]
        if not force:
            cond.append(or_(DueRun.last_started_at.is_(None), DueRun.last_started_at <= since))
        claimed = conn.execute(update(DueRun).where(*cond).values(last_started_at=now, last_status="running")).rowcount
        if claimed != 1 and not force:
            # A run that died while "running" (its process killed) is taken over after the interval.
            claimed = conn.execute(update(DueRun).where(
                DueRun.name == job.name, DueRun.last_status == "running", DueRun.last_started_at <= now - job.every * 2,
            ).values(last_started_at=now, last_status="running")).rowcount
    return claimed == 1


def _finish(name: str, status: str, note: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(DueRun).where(DueRun.name == name).values(
            last_finished_at=dt.datetime.now(dt.timezone.utc), last_status=status, last_note=note[:2000]))


def run_due(only: Optional[list[str]] = None, force: bool = False) -> list[tuple[str, str, str]]:
    """Run every due job whose interval has passed (in an app context); returns (name, outcome, note).

    `only` limits it to these names; `force` runs them even if not due.
    """
    now = dt.datetime.now(dt.timezone.utc)
    out = []
    for name in sorted(only or DUE):
        job = DUE[name]
        if not _claim(job, now, force):
            out.append((name, "not due", ""))
            continue
        try:
            note = job.func() or ""
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - one failing due job must not stop the others
            db.session.rollback()
            log.exception("due job %s failed", name)
            _finish(name, "failed", f"{type(exc).__name__}: {exc}")
            out.append((name, "failed", str(exc)))
            continue
        _finish(name, "done", note)
        out.append((name, "done", note))
    return out


def rq_run_due() -> list[tuple[str, str, str]]:
    """RQ's entry for the scheduler's periodic run (see broker.jobs.worker)."""
    from broker.jobs.runner import rq_run_in_app

    return rq_run_in_app(lambda: run_due())
