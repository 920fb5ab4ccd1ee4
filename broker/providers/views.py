"""Provider pages: own listings, confirm, edit with intakes, vacancy feed, tokens, history."""
import datetime as dt
import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from broker.auth.services import local_path, roles_required
from broker.errors import DomainError, NotFound
from broker.extensions import db
from broker.providers import feed, services
from broker.clients.forms import choices
from broker.providers.forms import FeedForm, ListingForm, TokenForm
from broker.eligibility import describe
from broker.taxonomy import KINDS
from broker.providers.models import FeedUpload, OrganisationToken, ProvisionChange

bp = Blueprint("providers", __name__, url_prefix="/provider")
EXTRA_INTAKE_ROWS = 3
# How a listing was changed, in words (ProvisionChange.source).
CHANGE_SOURCES = {"form": "Edited here", "feed": "Vacancy file", "api": "Your system (API)", "confirm": "Confirmed as correct"}


@bp.get("/listings")
@roles_required("provider")
def listings_page():
    today = dt.date.today()
    stale_days = current_app.config["BROKER_STALE_DAYS"]
    listings = services.own_provisions(current_user.organisation_id)
    stale = services.stale_listings(current_user.organisation_id, today, stale_days)
    return render_template("providers/listings.html", listings=listings, stale=stale, today=today, stale_days=stale_days)


@bp.post("/listings/<int:provision_id>/confirm")
@roles_required("provider")
def confirm(provision_id: int):
    p = services.provision_for(current_user, provision_id)
    services.confirm(p, current_user)
    flash(f"Thank you: “{p.name}” is confirmed as correct today.")
    return redirect(local_path(request.args.get("next")) or url_for("providers.listings_page"))


def _intake_inputs(form_data, count: int) -> list[dict]:
    return [
        {
            "start": (form_data.get(f"intake-{n}-start") or "").strip(),
            "places": (form_data.get(f"intake-{n}-places") or "").strip(),
            "rolling": form_data.get(f"intake-{n}-rolling") == "yes",
        }
        for n in range(count)
    ]


def _intake_count(raw, problems: list) -> int:
    """How many intake rows the form sent (its hidden `intake_count`), bounded so a
    tampered count cannot make the server build a million rows."""
    most = services.MAX_UPCOMING_INTAKES + EXTRA_INTAKE_ROWS
    text = (raw or "0").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > most:
        problems.append(services.Problem("", "intake_count", f"must be a whole number of rows from 0 to {most}, got {raw!r}"))
        return 0
    return int(text)


@bp.route("/listings/<int:provision_id>/edit", methods=["GET", "POST"])
@roles_required("provider")
def edit_listing(provision_id: int):
    p = services.provision_for(current_user, provision_id)
    today = dt.date.today()
    form = ListingForm(obj=p if request.method == "GET" else None)
    form.kind.choices = choices([("", "Not given"), *KINDS.get(p.category or "", {}).items()])
    problems: list[services.Problem] = []
    if request.method == "GET":
        form.kind.data = p.kind or ""
        form.areas.data = p.areas or []
        inputs = [
            {"start": i.start.isoformat(), "places": str(i.places), "rolling": i.rolling, "taken": i.places_taken}
            for i in p.upcoming_intakes(today)
        ]
        inputs += [{"start": "", "places": "", "rolling": False}] * EXTRA_INTAKE_ROWS
    else:
        count = _intake_count(request.form.get("intake_count"), problems)
        inputs = _intake_inputs(request.form, count)
        if form.validate_on_submit() and not problems:
            rows = []
            for n, item in enumerate(inputs):
                if not item["start"] and not item["places"]:
                    continue  # a blank row
                row = services.check_row(item["start"], item["places"], item["rolling"], f"Intake {n + 1}", today, problems)
                if row:
                    rows.append(row)
            if not problems:
                data = {name: form[name].data for name in services.LISTING_FIELDS}
                try:
                    services.update_listing(p, data, rows, current_user)
                except DomainError as exc:
                    problems = services.problems_of(exc)
                else:
                    flash("Listing saved; search and suggestions show it now.")
                    return redirect(url_for("providers.listings_page"))
    status = 400 if (form.errors or problems) else 200
    return render_template("providers/edit.html", p=p, form=form, inputs=inputs, problems=problems,
                           listing_rules=describe(p)), status


@bp.get("/listings/<int:provision_id>/history")
@roles_required("provider")
def history_page(provision_id: int):
    p = services.provision_for(current_user, provision_id)
    changes = db.session.scalars(
        select(ProvisionChange).where(ProvisionChange.provision_id == p.id).order_by(ProvisionChange.id.desc())
    ).all()
    rows = [(c, json.loads(c.before), json.loads(c.after)) for c in changes]
    return render_template("providers/history.html", p=p, rows=rows, sources=CHANGE_SOURCES)


@bp.route("/feed", methods=["GET", "POST"])
@roles_required("provider")
def feed_page():
    form = FeedForm()
    upload, plans, problems = None, [], []
    if form.validate_on_submit():
        f = form.file.data
        upload, plans, problems = feed.stage(current_user, f.filename or "upload", f.read())
    status = 400 if (problems or form.errors) else 200
    return render_template("providers/feed.html", form=form, upload=upload, plans=plans, problems=problems), status


@bp.post("/feed/<int:upload_id>/apply")
@roles_required("provider")
def apply_feed(upload_id: int):
    upload = db.session.get(FeedUpload, upload_id)
    if upload is None or upload.organisation_id != current_user.organisation_id:
        raise NotFound("upload_id", f"your organisation has no upload {upload_id}")
    try:
        plans = feed.apply_upload(current_user, upload)
    except DomainError as exc:
        problems = services.problems_of(exc)
        return render_template("providers/feed.html", form=FeedForm(), upload=None, plans=[], problems=problems), exc.status
    changed = sum(1 for plan in plans if plan.changes)
    flash(f"Vacancies updated for {changed} listing(s)." if changed else "Nothing to change: the file matches the directory.")
    return redirect(url_for("providers.listings_page"))


@bp.get("/feed/example.csv")
@roles_required("provider")
def example_csv():
    listings = services.own_provisions(current_user.organisation_id)
    today = dt.date.today()
    body = feed.EXAMPLE_CSV.format(
        pid=listings[0].id if listings else 1,
        d1=(today + dt.timedelta(days=30)).isoformat(),
        d2=today.isoformat(),
    )
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=vacancies-example.csv"})


@bp.get("/feed/export.csv")
@roles_required("provider")
def export_csv():
    body = feed.export_csv(current_user.organisation_id, dt.date.today())
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=vacancies.csv"})


@bp.route("/tokens", methods=["GET", "POST"])
@roles_required("provider")
def tokens_page():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.create_token(current_user, form.label.data)
    tokens = db.session.scalars(
        select(OrganisationToken).where(OrganisationToken.organisation_id == current_user.organisation_id).order_by(OrganisationToken.id)
    ).all()
    return render_template("providers/tokens.html", form=form, tokens=tokens, new_token=new_token)


@bp.post("/tokens/<int:token_id>/revoke")
@roles_required("provider")
def revoke_token(token_id: int):
    services.revoke_token(current_user, token_id)
    flash("Token revoked: it no longer works.")
    return redirect(url_for("providers.tokens_page"))
