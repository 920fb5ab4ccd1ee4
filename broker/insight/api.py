"""JSON API for managers: shortages by category, area and month (token auth)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

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
