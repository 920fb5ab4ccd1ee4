"""API for managers: shortages by category, area and month (manager or admin token)."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields

from broker.api import ApiBlueprint
from broker.api.schemas import Instant, Month, computed
from broker.insight import allocation, shortages
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
