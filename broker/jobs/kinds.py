"""The kinds of background job, and what a running job can tell its watchers."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import update
from sqlalchemy.engine import Engine

from broker.jobs.models import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    name: str
    func: Callable
    title: str
    roles: tuple[str, ...]  # who may watch any job of this kind (whoever started one may watch it)
    result_url: Optional[Callable[[Job], str]] = None  # where the status page sends the user when done
    done_message: Optional[Callable[[Job], str]] = None  # shown above the result when the status page sends the user on
    timeout_s: int = 3600


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, title: str, roles: tuple[str, ...] = ("admin",),
             result_url: Optional[Callable[[Job], str]] = None, done_message: Optional[Callable[[Job], str]] = None,
             timeout_s: int = 3600):
    """Register a function `fn(ctx: JobContext, **params) -> dict | None` as a kind of job."""

    def register(fn):
        KINDS[name] = JobKind(name, fn, title, tuple(roles), result_url, done_message, timeout_s)
        return fn

    return register


class JobContext:
    """Handed to a job function: who started it, and a way to report progress.

    Progress is written on its own connection, outside the job's transaction, so every
    node can show it while the job runs; writes are spaced at least PROGRESS_EVERY_S
    apart unless the step's words change. SQLite has one writer at a time: once the job
    itself has written, progress waits for its commit, so there report progress before
    the job's writes (PostgreSQL has no such limit).
    """

    PROGRESS_EVERY_S = 0.5

    def __init__(self, job_id: int, user, engine: Engine):
        self.job_id, self.user, self._engine = job_id, user, engine
        self.total: Optional[float] = None
        self._done = 0.0
        self._step = ""
        self._written_at = 0.0

    def progress(self, done: float, total: Optional[float] = None, step: Optional[str] = None) -> None:
        """`done` of `total` (or a fraction 0-1 when total is None), and what it is doing, in words."""
        if total is not None:
            self.total = total
        self._done = done
        fraction = done / self.total if self.total else done
        self._write(max(0.0, min(fraction, 1.0)), step)

    def advance(self, n: float = 1) -> None:
        """Count n more of `total`: pass as the `progress=` callback of a service (as tqdm's update)."""
        self.progress(self._done + n)

    def _write(self, fraction: float, step: Optional[str]) -> None:
        changed_step = step is not None and step != self._step
        now = time.monotonic()
        if not changed_step and now - self._written_at < self.PROGRESS_EVERY_S:
            return
        self._written_at = now
        values = {"progress": fraction, "heartbeat_at": dt.datetime.now(dt.timezone.utc)}
        if changed_step:
            self._step = values["step"] = step[:200]
        try:
            with self._engine.connect() as conn:
                sqlite = conn.dialect.name == "sqlite"
                if sqlite:  # never hold the job up for long (the pooled connection gets its timeout back)
                    conn.exec_driver_sql("PRAGMA busy_timeout = 200")
                try:
                    conn.execute(update(Job).where(Job.id == self.job_id).values(**values))
                    conn.commit()
                finally:
                    if sqlite:
                        conn.rollback()
                        conn.exec_driver_sql("PRAGMA busy_timeout = 5000")
        except Exception:  # noqa: BLE001 - progress is advisory: never fail the job over it
            log.warning("could not record progress of job %s", self.job_id, exc_info=True)
