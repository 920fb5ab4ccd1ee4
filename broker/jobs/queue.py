"""Putting jobs on a queue: RQ on Redis when BROKER_REDIS_URL is set, else a thread of this process.

The database row is the job's record; the queue only carries its id. A job is sent to
the queue after the transaction that created it commits (a worker must find the row,
and a rolled-back request must start nothing). If the process dies in between, or Redis
was down, the `lost-jobs` due job sends it again; running it twice is impossible, since
a worker claims a job with a conditional UPDATE (queued -> running) first.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select, update

from broker.extensions import db
from broker.jobs.due import due_job
from broker.jobs.kinds import KINDS
from broker.jobs.models import Job

log = logging.getLogger(__name__)

QUEUE_NAME = "broker"
LOST_AFTER = dt.timedelta(minutes=2)  # a running job's heartbeat is written every 10 s
RESEND_AFTER = dt.timedelta(minutes=1)
_DISPATCH = "jobs_to_dispatch"


def enqueue(kind: str, user=None, **params) -> Job:
    """Record a job of this kind (params must be JSON); it is queued when the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"no job kind {kind!r}; register it with @job_kind")
    job = Job(kind=kind, params_json=json.dumps(params), status="queued", progress=0.0, step="Waiting to start",
              created_by_id=user.id if user is not None else None, created_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_DISPATCH, []).append((job.id, kind))
    return job


def rq_job_id(job_id: int) -> str:
    return f"broker-job-{job_id}"


def runner_name(app) -> str:
    return app.config.get("BROKER_JOB_RUNNER") or ("rq" if app.config.get("BROKER_REDIS_URL") else "thread")


def redis_connection(app):
    import redis

    return redis.from_url(app.config["BROKER_REDIS_URL"])


def dispatch(app, jobs) -> None:
    """Send these (job id, kind) pairs to the queue; their rows are committed, status queued."""
    if runner_name(app) == "rq":
        from rq import Queue

        q = Queue(QUEUE_NAME, connection=redis_connection(app))
        for job_id, kind in jobs:
            timeout = KINDS[kind].timeout_s if kind in KINDS else 3600
            q.enqueue("broker.jobs.runner.rq_run", job_id, job_id=rq_job_id(job_id), job_timeout=timeout,
                      result_ttl=3600, failure_ttl=86400)
    else:
        for job_id, _kind in jobs:
            _submit_thread(app, job_id)


# In-process runner: one thread, so two large allocation runs never compete for memory.
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_submitted: set[int] = set()  # sent to this process's thread and not yet run


def _submit_thread(app, job_id: int) -> None:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="broker-job")
        _submitted.add(job_id)
        _executor.submit(_run_submitted, app, job_id)


def _run_submitted(app, job_id: int) -> None:
    from broker.jobs.runner import run_in_app

    try:
        run_in_app(app, job_id)
    finally:
        with _executor_lock:
            _submitted.discard(job_id)  # waiting in this process no longer


def _after_commit(session):
    ids = session.info.pop(_DISPATCH, None)
    if not ids:
        return
    app = current_app._get_current_object()
    try:
        dispatch(app, ids)
    except Exception:  # noqa: BLE001 - the job is recorded; lost-jobs sends it again
        log.exception("could not queue jobs %s; they will be sent again within minutes", ids)


def _after_rollback(session):
    session.info.pop(_DISPATCH, None)


def install() -> None:
    """Listen on every Flask-SQLAlchemy session; safe to call more than once."""
    for name, fn in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(FlaskSession, name, fn):
            event.listen(FlaskSession, name, fn)


@due_job("lost-jobs", every=dt.timedelta(minutes=1), title="Fail jobs whose worker stopped; queue jobs never sent")
def lost_jobs() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    lost = db.session.execute(
        update(Job).where(Job.status == "running", Job.heartbeat_at < now - LOST_AFTER)
        .values(status="failed", finished_at=now,
                error="The worker running this job stopped before it finished. Start it again.")
    ).rowcount
    waiting = db.session.execute(
        select(Job.id, Job.kind).where(Job.status == "queued", Job.created_at < now - RESEND_AFTER).order_by(Job.id)
    ).all()
    app = current_app._get_current_object()
    if runner_name(app) == "rq":
        from rq.job import Job as RqJob

        conn = redis_connection(app)
        resend = [(j, k) for j, k in waiting if not RqJob.exists(rq_job_id(j), connection=conn)]
    else:
        resend = [(j, k) for j, k in waiting if j not in _submitted]
    if resend:
        dispatch(app, resend)
    return f"{lost} lost, {len(resend)} sent again"
