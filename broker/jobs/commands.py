"""`broker worker` (RQ worker plus the periodic scheduler) and `broker run-due`."""
from __future__ import annotations

import logging
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then stop (no scheduler).")
@with_appcontext
def worker_command(burst: bool):
    """Run background jobs from Redis (BROKER_REDIS_URL), and the due jobs every BROKER_DUE_SECONDS."""
    from rq import Queue, Worker

    from broker.extensions import db
    from broker.jobs import runner
    from broker.jobs.queue import QUEUE_NAME, redis_connection

    app = current_app._get_current_object()
    if not app.config.get("BROKER_REDIS_URL"):
        raise click.UsageError("broker worker needs BROKER_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
                               "without Redis, the web app runs jobs in a thread of its own")
    conn = redis_connection(app)
    runner.worker_app = app
    db.engine.dispose()  # work horses are forked from here: no connection may be shared with them
    if not burst:
        threading.Thread(target=_schedule, args=(conn, app.config["BROKER_DUE_SECONDS"]), name="due-scheduler",
                         daemon=True).start()
    click.echo(f"Worker on queue {QUEUE_NAME!r} at {conn.connection_pool.connection_kwargs.get('host')}"
               + ("" if burst else f"; due jobs every {app.config['BROKER_DUE_SECONDS']} s"))
    Worker([Queue(QUEUE_NAME, connection=conn)], connection=conn).work(burst=burst, logging_level="WARNING")


def _schedule(conn, every_s: int) -> None:
    """RQ's cron scheduler, ticked from a thread (its own loop wants the main thread's signals).

    Every worker runs one; due jobs claim their runs in the database, so extra ticks are harmless.
    """
    from rq.cron import CronScheduler

    from broker.jobs.due import rq_run_due
    from broker.jobs.queue import QUEUE_NAME

    cron = CronScheduler(connection=conn, logging_level=logging.WARNING)
    cron.register(rq_run_due, QUEUE_NAME, interval=every_s, job_timeout=max(every_s * 10, 600), result_ttl=600)
    while True:
        try:
            cron.register_birth()
            while True:
                cron.enqueue_jobs()
                cron.heartbeat()
                time.sleep(max(min(cron.calculate_sleep_interval(), 10), 0.5))
        except Exception:  # noqa: BLE001 - Redis away for a while: try again
            log.exception("due-job scheduler: Redis unreachable; retrying in 10 s")
            time.sleep(10)


@click.command("run-due")
@click.option("--only", multiple=True, help="Run only this due job (repeatable).")
@click.option("--force", is_flag=True, help="Run even if not yet due.")
@click.option("--list", "list_only", is_flag=True, help="List the due jobs and when each last ran.")
@with_appcontext
def run_due_command(only, force, list_only):
    """Run the due jobs whose interval has passed (reminders, index catch-up, lost jobs, ...)."""
    from sqlalchemy import select

    from broker.extensions import db
    from broker.jobs.due import DUE, run_due
    from broker.jobs.models import DueRun

    unknown = [n for n in only if n not in DUE]
    if unknown:
        raise click.BadParameter(f"no due job {unknown[0]!r}; choose from: {', '.join(sorted(DUE))}", param_hint="--only")
    if list_only:
        last = {r.name: r for r in db.session.scalars(select(DueRun))}
        for name in sorted(DUE):
            r = last.get(name)
            when = r.last_started_at.isoformat(timespec="seconds") if r and r.last_started_at else "never"
            click.echo(f"{name:<24} every {DUE[name].every}  last {when} {r.last_status if r else ''}  {DUE[name].title}")
        return
    failed = 0
    for name, outcome, note in run_due(list(only) or None, force):
        click.echo(f"{name:<24} {outcome}{': ' + note if note else ''}")
        failed += outcome == "failed"
    if failed:
        raise SystemExit(1)
