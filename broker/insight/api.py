"""JSON API for managers: shortages by category, area and month; allocation runs as jobs (token auth)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for

from broker.auth.services import api_roles_required
from broker.insight import allocation, shortages

bp = Blueprint("api_insight", __name__, url_prefix="/api/v1")


@bp.errorhandler(shortages.ShortageParamError)
def bad_parameter(exc: shortages.ShortageParamError):
    return jsonify(error="bad_parameter", field=exc.field, message=exc.message), 400


@bp.get("/shortages")
@api_roles_required("manager", "admin")
def list_shortages():
    """Rows grouped by `by` (category, area, month) with demand, supply, unmet and mean_wait_days."""
    q = shortages.parse_query(request.args, default_by="category,area")
    rows = shortages.shortage_rows(q)
    run = allocation.latest_run()
    return jsonify(
        by=list(q.by), **{"from": q.start, "to": q.end},
        area=q.area, category=q.category,
        latest_run=None if run is None else {"id": run.id, "started_at": run.started_at.isoformat(), "as_of": run.as_of.isoformat(), "area": run.area},
        rows=rows,
        totals=shortages.totals(rows),
    )


def _iso(t):
    return t.isoformat() if t else None


@bp.post("/allocation-runs")
@api_roles_required("manager", "admin")
def start_allocation_run():
    """Start an allocation run as a background job: 202 with its id and where to ask how it is going."""
    from broker.councils import areas
    from broker.errors import InputError
    from broker.jobs import enqueue

    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise InputError(None, "send a JSON object, e.g. {\"area\": \"Leeds\"} or {} for every area")
    area = body.get("area")
    if area is not None and area not in areas():
        raise InputError("area", f"choose one of: {', '.join(areas())} (or leave it out for every area)")
    job = enqueue("allocation-run", g.api_user, area=area)
    status_url = url_for("api_insight.allocation_run_status", job_id=job.id, _external=True)
    return jsonify(id=job.id, status_url=status_url), 202, {"Location": status_url}


@bp.get("/allocation-runs/<int:job_id>")
@api_roles_required("manager", "admin")
def allocation_run_status(job_id: int):
    """How an allocation run started through the API (or the dashboard) is going, and its figures when done."""
    from broker.errors import NotFound
    from broker.extensions import db
    from broker.jobs.models import Job

    job = db.session.get(Job, job_id)
    if job is None or job.kind != "allocation-run":
        raise NotFound("id", f"no allocation run with id {job_id}")
    figures = job.result or {}
    return jsonify(
        id=job.id, status=job.status, progress=round(job.progress, 3), step=job.step,
        area=job.params.get("area"),
        created_at=_iso(job.created_at), started_at=_iso(job.started_at), finished_at=_iso(job.finished_at),
        run_id=figures.get("run_id"), needs=figures.get("needs"), met=figures.get("met"), unmet=figures.get("unmet"),
        pinned=figures.get("pinned"), mean_wait_days=figures.get("mean_wait_days"), seconds=figures.get("seconds"),
        error=job.error,
    )
