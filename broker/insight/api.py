"""API for managers: shortages by category, area and month; allocation runs as jobs (manager or admin token)."""
from __future__ import annotations

from flask import request, url_for
from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Instant, Month, computed
from broker.councils import areas
from broker.errors import InputError, NotFound
from broker.extensions import db
from broker.insight import allocation, shortages
from broker.jobs import enqueue
from broker.jobs.models import Job
from broker.insight.params import ShortageArgs

bp = ApiBlueprint("Shortages", __name__, description="Demand against supply, for managers (manager token).")


class Run(Schema):
    id = fields.Integer()
    started_at = Instant()
    as_of = fields.Date()
    area = fields.String(allow_none=True)


class Counts(Schema):
    open_needs = fields.Integer()
    declined_capacity = fields.Integer()
    empty_searches = fields.Integer()
    demand = fields.Integer()
    supply = fields.Integer()
    gap = fields.Integer()
    unmet = fields.Integer()
    placements = fields.Integer()
    mean_wait_days = fields.Float(allow_none=True)


class Row(Counts):
    """One group; only the dimensions asked for in `by` are present."""

    category = fields.String()
    area = fields.String()
    month = fields.String()


class Shortages(Schema):
    by = fields.List(fields.String())
    from_ = Month(data_key="from", attribute="start")
    to = Month(attribute="end")
    area = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    latest_run = computed(fields.Nested(Run, allow_none=True), lambda _q: allocation.latest_run())
    rows = fields.List(fields.Nested(Row))
    totals = fields.Nested(Counts)


@bp.get("/shortages")
@bp.token_required("manager", "admin")
@bp.arguments(ShortageArgs, location="query", as_kwargs=False)
@bp.response(200, Shortages)
def list_shortages(_args):
    """Rows grouped by `by` (default category,area) with demand, supply, unmet and mean_wait_days."""
    q = shortages.parse_query(request.args, default_by="category,area")
    rows = shortages.shortage_rows(q)
    return {
        "by": list(q.by), "start": q.start, "end": q.end, "area": q.area, "category": q.category,
        "rows": rows, "totals": shortages.totals(rows),
    }


class RunBody(Body):
    area = fields.String(load_default=None, allow_none=True, metadata={"description": "a council (e.g. Leeds); leave out for every area"})


class RunStarted(Schema):
    id = fields.Integer()
    status_url = fields.String()


class RunStatus(Schema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(("queued", "running", "done", "failed")))
    progress = computed(fields.Float(), lambda job: round(job.progress, 3))
    step = fields.String(allow_none=True)
    area = computed(fields.String(allow_none=True), lambda job: job.params.get("area"))
    created_at = Instant()
    started_at = Instant(allow_none=True)
    finished_at = Instant(allow_none=True)
    run_id = computed(fields.Integer(allow_none=True), lambda job: (job.result or {}).get("run_id"))
    needs = computed(fields.Integer(allow_none=True), lambda job: (job.result or {}).get("needs"))
    met = computed(fields.Integer(allow_none=True), lambda job: (job.result or {}).get("met"))
    unmet = computed(fields.Integer(allow_none=True), lambda job: (job.result or {}).get("unmet"))
    pinned = computed(fields.Integer(allow_none=True), lambda job: (job.result or {}).get("pinned"))
    mean_wait_days = computed(fields.Float(allow_none=True), lambda job: (job.result or {}).get("mean_wait_days"))
    seconds = computed(fields.Float(allow_none=True), lambda job: (job.result or {}).get("seconds"))
    error = fields.String(allow_none=True)


@bp.post("/allocation-runs")
@bp.token_required("manager", "admin")
@bp.arguments(RunBody)
@bp.response(202, RunStarted)
def start_allocation_run(body):
    """Start an allocation run as a background job: 202 with its id and where to ask how it is going."""
    area = body["area"]
    if area is not None and area not in areas():
        raise InputError("area", f"choose one of: {', '.join(areas())} (or leave it out for every area)")
    job = enqueue("allocation-run", caller(), area=area)
    status_url = url_for("Shortages.allocation_run_status", job_id=job.id, _external=True)
    return {"id": job.id, "status_url": status_url}, 202, {"Location": status_url}


@bp.get("/allocation-runs/<int:job_id>")
@bp.token_required("manager", "admin")
@bp.response(200, RunStatus)
@bp.errors(404)
def allocation_run_status(job_id: int):
    """How an allocation run started through the API (or the dashboard) is going, and its figures when done."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != "allocation-run":
        raise NotFound("id", f"no allocation run with id {job_id}")
    return job
