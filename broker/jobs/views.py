"""A job's status page: progress while it runs (refreshing itself, no JavaScript), then its result."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template
from flask_login import current_user, login_required

from broker.extensions import db
from broker.jobs.kinds import KINDS
from broker.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
REFRESH_S = 2


def may_watch(user, job: Job) -> bool:
    """Whoever started a job may watch it, and so may the roles its kind names."""
    kind = KINDS.get(job.kind)
    return job.created_by_id == user.id or (kind is not None and user.role in kind.roles)


@bp.get("/<int:job_id>")
@login_required
def status(job_id: int):
    job = db.session.get(Job, job_id)
    if job is None or not may_watch(current_user, job):
        abort(404)  # never say a job exists to someone who may not see it
    kind = KINDS.get(job.kind)
    if job.status == "done" and kind is not None and kind.result_url is not None:
        if kind.done_message is not None:
            flash(kind.done_message(job))
        return redirect(kind.result_url(job), 303)
    return render_template("jobs/status.html", job=job, title=kind.title if kind else job.kind,
                           refresh=None if job.finished else REFRESH_S)
