"""The manager's dashboard: shortages, waits, oversight, allocation runs and what-if.

Managers and administrators only; every figure is an aggregate (see waits.longest_waiting
for the one place a name can appear: the viewer's own caseload).
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from broker.auth.services import roles_required
from broker.insight import allocation, charts, oversight, shortages, waits
from broker.councils import areas
from broker.errors import BadParameter
from broker.extensions import db
from broker.inputs import add_months, format_month, months_between
from broker.insight.forms import RunForm, WhatIfForm
from broker.jobs import enqueue
from broker.jobs.models import Job
from broker.jobs.views import may_watch
from broker.taxonomy import CATEGORIES, category_label

bp = Blueprint("insight", __name__, url_prefix="/insight")
MANAGERS = ("manager", "admin")
TREND_PAST_MONTHS = 6


def _query_or_400():
    try:
        return shortages.parse_query(request.args), None
    except BadParameter as exc:
        return shortages.parse_query({}), exc


@bp.get("/")
@roles_required(*MANAGERS)
def dashboard():
    today = dt.date.today()
    q, error = _query_or_400()
    run = allocation.latest_run()
    months = q.months
    by_cat_month = shortages.shortage_rows(shortages.ShortageQuery(("category", "month"), q.start, q.end, q.area, q.category), today)
    by_category = shortages.shortage_rows(shortages.ShortageQuery(("category",), q.start, q.end, q.area, q.category), today)
    by_area = shortages.shortage_rows(shortages.ShortageQuery(("area",), q.start, q.end, q.area, q.category), today)
    # The trend shows the months before the range too (past supply from the listing change history).
    trend_start = add_months(q.start, -TREND_PAST_MONTHS)
    by_month = {r["month"]: r for r in shortages.shortage_rows(
        shortages.ShortageQuery(("month",), trend_start, q.end, q.area, q.category), today)}
    trend_months = [format_month(m) for m in months_between(trend_start, q.end)]
    where = q.area or "all areas"
    cells = shortages.grid(by_cat_month, months)
    if q.category:
        cells = {q.category: cells[q.category]}
    heatmap = charts.heatmap(
        cells, months, f"Shortage by need and month, {where}",
        "Each cell is demand minus free places for one need in one month: positive (red) means more "
        "demand than places, negative (blue) more places than demand. The table beside lists the same figures.",
    )
    trend_rows = [by_month.get(m, {"demand": 0, "supply": 0, "unmet": 0}) for m in trend_months]
    trend = charts.trend(
        trend_months,
        {"Demand": [r["demand"] for r in trend_rows], "Free places": [r["supply"] for r in trend_rows]},
        ("Unmet in latest run", [r["unmet"] for r in trend_rows]),
        f"Demand, free places and unmet needs by month, {where}",
        f"Lines show demand and free places each month, from {TREND_PAST_MONTHS} months back (past free places from the "
        "listing change history); bars show needs the latest allocation run could not meet.",
    )
    placed = waits.placement_waits()
    wait_by_category = waits.distribution("category", placed)
    wait_by_area = waits.distribution("area", placed)
    longest, waiting_counts = waits.longest_waiting(current_user, today)
    band_labels = [label for _lo, _hi, label in waits.BANDS]
    placed_bands = [sum(r["bands"][b] for r in wait_by_category) for b in band_labels]
    wait_chart = charts.bars(
        band_labels, placed_bands, "Placements by days from need recorded to placement start",
        "How many placements started within each band of days after the need was recorded.",
    )
    return render_template(
        "insight/dashboard.html",
        q=q, error=error, months=months, areas=areas(), categories=CATEGORIES,
        heatmap=heatmap, cells=cells, trend=trend, trend_rows=list(zip(trend_months, trend_rows)),
        by_category=by_category, by_area=by_area, totals=shortages.totals(by_category),
        wait_chart=wait_chart, wait_by_category=wait_by_category, wait_by_area=wait_by_area, band_labels=band_labels,
        longest=longest, waiting_counts=waiting_counts,
        stale=oversight.stale_providers(today), answers=oversight.answer_times(today),
        caseloads=oversight.caseloads(), specialist=oversight.specialist_reach(),
        run=run, unmet_words=shortages.unmet_in_words(run), place_values=allocation.where_places_help(run, limit=5),
        runs=allocation.recent_runs(), run_form=RunForm(),
        jobs_running=db.session.scalars(db.select(Job).where(Job.kind.in_(("allocation-run", "what-if")),
                                                             Job.status.in_(("queued", "running"))).order_by(Job.id)).all(),
        what_if_form=WhatIfForm(formdata=None, category="training", area=areas()[0], month=allocation.month_of(today), places=10),
        category_label=category_label,
    ), (400 if error else 200)


@bp.get("/shortages.csv")
@roles_required(*MANAGERS)
def shortages_csv():
    q, error = _query_or_400()
    if error:
        return Response(f"{error.field}: {error.message}\n", status=400, mimetype="text/plain")
    rows = shortages.shortage_rows(q)
    name = f"shortages-{'-'.join(q.by) or 'total'}-{q.from_month}-to-{q.to_month}.csv"
    return Response(shortages.to_csv(rows, q.by), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/runs")
@roles_required(*MANAGERS)
def start_run():
    form = RunForm()
    if not form.validate_on_submit():
        flash("; ".join(f"{form[k].label.text if k in form else k}: {' '.join(v)}" for k, v in form.errors.items()), "error")
        return redirect(url_for("insight.dashboard"))
    job = enqueue("allocation-run", current_user, area=form.area.data or None)
    return redirect(url_for("jobs.status", job_id=job.id))


@bp.get("/what-if")
@roles_required(*MANAGERS)
def what_if_page():
    """The question's form; with ?job=<id>, that what-if's answer (the form filled in as it was asked)."""
    job, result = None, None
    if request.args.get("job", "").isdigit():
        job = db.session.get(Job, int(request.args["job"]))
        if job is None or job.kind != "what-if" or not may_watch(current_user, job):
            abort(404)
        if not job.finished:
            return redirect(url_for("jobs.status", job_id=job.id))
        result = job.result
    params = job.params if job else dict(category="training", area=areas()[0],
                                         month=allocation.month_of(dt.date.today()), places=10)
    form = WhatIfForm(formdata=None, **params)
    return render_template("insight/what_if.html", form=form, result=result, job=job, category_label=category_label)


@bp.post("/what-if")
@roles_required(*MANAGERS)
def ask_what_if():
    form = WhatIfForm()
    if not form.validate_on_submit():
        return render_template("insight/what_if.html", form=form, result=None, job=None,
                               category_label=category_label), 400
    job = enqueue("what-if", current_user, category=form.category.data, area=form.area.data,
                  month=form.month.data, places=form.places.data)
    return redirect(url_for("jobs.status", job_id=job.id))


@bp.get("/providers")
@roles_required(*MANAGERS)
def providers_page():
    """How providers answer referrals (organisations, never young people)."""
    from broker.insight import responsiveness
    from broker.referrals.models import DECLINE_REASONS

    return render_template("insight/providers.html", rows=responsiveness.providers(), reasons=DECLINE_REASONS)


@bp.app_template_global()
def run_proposals(client):
    """For the young person's record (seen by their PA): the latest run's proposals for their open needs."""
    return allocation.proposals_for(client)
