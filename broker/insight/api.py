"""API for managers: shortages by category, area and month; allocation runs as jobs (manager or admin token)."""
from __future__ import annotations

from flask import request, url_for
from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Instant, Month, Query, computed
from broker.councils import areas
from broker.errors import InputError, NotFound
from broker.extensions import db
from broker.insight import allocation, responsiveness, shortages
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
    unmet = fields.Integer(metadata={"description": "needs the latest allocation run could not meet"})
    unmet_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "unmet counted by why: capacity (places ran out) or the matcher's blocked_by rule "
                       "(age, area, criteria, distance, category, exclude, start, wait); adds up to unmet"})
    placements = fields.Integer()
    mean_wait_days = fields.Float(allow_none=True)


class Row(Counts):
    """One group; only the dimensions asked for in `by` are present."""

    category = fields.String()
    area = fields.String()
    month = fields.String()
    age_band = fields.String(metadata={"description": "13-15, 16-17, 18-19 or Not given"})


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


class PlaceValue(Schema):
    provision_id = fields.Integer(allow_none=True)
    intake_id = fields.Integer(allow_none=True)
    category = fields.String()
    area = fields.String(metadata={"description": "the listing's area (its first site)"})
    month = fields.String(metadata={"description": "YYYY-MM the intake can be joined from"})
    marginal_value = fields.Float(metadata={"description": "how much the run's total value rises with one more place here"})
    extra_met = fields.Integer(allow_none=True, metadata={
        "description": "needs met with that one place more (the matcher re-run), for the top few rows; null otherwise"})


class PlacesHelp(Schema):
    run = fields.Nested(Run, allow_none=True)
    rows = fields.List(fields.Nested(PlaceValue))


class PlacesHelpArgs(Query):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 500))


@bp.get("/shortages/where-places-help")
@bp.token_required("manager", "admin")
@bp.arguments(PlacesHelpArgs, location="query")
@bp.response(200, PlacesHelp)
def where_places_help(args):
    """Where one more place helps most, from the latest allocation run's marginal values, highest first."""
    run = allocation.latest_run()
    return {"run": run, "rows": allocation.where_places_help(run, limit=args["limit"])}


class WhatIfArgs(Query):
    category = fields.String(required=True, metadata={"description": "a need category"})
    area = fields.String(required=True, metadata={"description": "a council area"})
    month = fields.String(required=True, metadata={"description": "YYYY-MM the added places can be joined from (this month or later)"})
    places = fields.Integer(required=True, validate=validate.Range(1, 1000))


class NeedMet(Schema):
    category = fields.String()
    area = fields.String()
    month = fields.String()
    urgency = fields.Integer()


class WhatIf(Schema):
    category = fields.String()
    area = fields.String()
    month = fields.String()
    places = fields.Integer()
    targets = fields.List(fields.String(), metadata={"description": "listing ids given the places (empty: a new listing at the area's centre)"})
    extra_met = fields.Integer(metadata={"description": "needs met with the places added, less needs met without"})
    mean_wait_change_days = fields.Float(allow_none=True, metadata={"description": "change in the run's mean wait over placements it makes"})
    delta_urgency_met = fields.Integer()
    would_meet = fields.List(fields.Nested(NeedMet), metadata={"description": "the needs met only with the added places (no one named)"})
    why_none = fields.List(fields.String(), metadata={"description": "when no extra need is met: why, in words"})
    before = fields.Dict(metadata={"description": "the run's figures on today's places"})
    after = fields.Dict(metadata={"description": "the run's figures with the added places"})


@bp.get("/what-if")
@bp.token_required("manager", "admin")
@bp.arguments(WhatIfArgs, location="query")
@bp.response(200, WhatIf)
def what_if(args):
    """What `places` more places in a need and area from a month would change: the matcher re-run with them
    (the same as the dashboard's what-if, answered now rather than as a job)."""
    return allocation.what_if(args["category"], args["area"], args["month"], args["places"])


class ProviderRow(Schema):
    provider = fields.String()
    referrals = fields.Integer()
    answered = fields.Integer()
    answered_on_time = fields.Integer(metadata={"description": "answered on or before the answer-by date"})
    answered_late = fields.Integer()
    overdue = fields.Integer(metadata={"description": "still unanswered after the answer-by date"})
    declined = fields.Integer()
    decline_reasons = fields.Dict(keys=fields.String(), values=fields.Integer())
    declined_capacity_with_places = fields.Integer(metadata={
        "description": "declined for lack of places while the intake showed free places (flagged, not counted as shortage)"})
    median_answer_days = fields.Float(allow_none=True, metadata={"description": "median days from sending to the answer"})
    lapsed = fields.Integer()
    completed = fields.Integer()


class Providers(Schema):
    rows = fields.List(fields.Nested(ProviderRow))


@bp.get("/insight/providers")
@bp.token_required("manager", "admin")
@bp.response(200, Providers)
def provider_responsiveness():
    """Per provider: referrals, answered on time, declined and why, median days to answer, lapsed and completed."""
    return {"rows": responsiveness.providers()}
