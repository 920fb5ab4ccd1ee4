"""Running one job: claim it, run its function in its own transaction, keep the outcome."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading

from sqlalchemy import update

from broker.errors import DomainError
from broker.extensions import db
from broker.jobs.kinds import KINDS, JobContext
from broker.jobs.models import Job

log = logging.getLogger(__name__)
HEARTBEAT_S = 10.0

# Set by `broker worker` before it starts RQ, so RQ's work horses use that app.
worker_app = None
_engine_pid = os.getpid()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def run_job(job_id: int) -> str:
    """Run a queued job to done or failed (in an app context); returns its status, or
    "skipped" if it was not queued (another worker took it, or it already ran)."""
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=_now(), heartbeat_at=_now(), step="Started")
        ).rowcount
    if claimed != 1:
        return "skipped"
    job = db.session.get(Job, job_id)
    kind = KINDS.get(job.kind)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(db.engine, job_id, stop), name=f"job-{job_id}-heartbeat", daemon=True)
    beat.start()
    try:
        if kind is None:
            raise DomainError("kind", f"this worker does not know jobs of kind {job.kind!r}")
        result = kind.func(JobContext(job_id, job.created_by, db.engine), **job.params)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="done", progress=1.0, step="Done", finished_at=_now(),
            result_json=json.dumps(result if result is not None else {}),
        ))
        db.session.commit()
        return "done"
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        db.session.rollback()
        if isinstance(exc, DomainError):
            message = exc.message
        else:
            log.exception("job %s (%s) failed", job_id, job.kind)
            message = f"It failed unexpectedly ({type(exc).__name__}); the error is in the worker's log."
        with db.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == job_id).values(status="failed", finished_at=_now(), error=message))
        return "failed"
    finally:
        stop.set()


def _heartbeat(engine, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            with engine.begin() as conn:
                conn.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(heartbeat_at=_now()))
        except Exception:  # noqa: BLE001 - a missed beat is retried; lost-jobs waits two minutes
            log.warning("job %s: heartbeat not written", job_id, exc_info=True)


def run_in_app(app, job_id: int) -> str:
    """The in-process runner's entry (a thread of the web app)."""
    with app.app_context():
        try:
            return run_job(job_id)
        except Exception:  # noqa: BLE001 - a thread has nobody to raise to
            log.exception("job %s could not be run", job_id)
            return "failed"
        finally:
            db.session.remove()


def rq_run_in_app(fn):
    """Call fn() in the worker's app context, in a work horse forked from `broker worker`."""
    global _engine_pid
    from broker import create_app

    app = worker_app or create_app()
    with app.app_context():
        if os.getpid() != _engine_pid:
            # A forked child must not share the parent's pooled database connections.
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        try:
            return fn()
        finally:
            db.session.remove()


def rq_run(job_id: int) -> str:
    """RQ's entry for one job."""
    return rq_run_in_app(lambda: run_job(job_id))
