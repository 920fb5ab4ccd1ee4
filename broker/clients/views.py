"""PA pages: caseload, the client record (APIR), consent, suggestions and referring."""
import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from broker.auth.services import local_path, roles_required
from broker.clients import services
from broker.clients.forms import ClientForm, ConsentForm, NeedForm
from broker.clients.models import CONSENT_PURPOSES
from broker.clients.suggestions import suggestions_for
from broker.directory.models import Intake, Organisation
from broker.extensions import db
from broker.referrals.forms import ReferralForm
from broker.referrals.models import STATUSES, Referral
from broker.referrals.services import ReferralError, send_referral

bp = Blueprint("clients", __name__, url_prefix="/clients")


def _form_data(form) -> dict:
    return {name: form[name].data for name in services.CLIENT_FIELDS}


@bp.get("/")
@roles_required("pa")
def caseload_page():
    clients = services.list_caseload(current_user)
    referrals = services.referral_counts([c.id for c in clients])
    return render_template("clients/caseload.html", clients=clients, referrals=referrals, statuses=STATUSES, today=dt.date.today())


@bp.route("/new", methods=["GET", "POST"])
@roles_required("pa")
def new_client():
    form = ClientForm()
    if form.validate_on_submit():
        client = services.create_client(current_user, _form_data(form), form.resolved_place)
        flash("Client record created. Add their assessed needs next.")
        return redirect(url_for("clients.client_page", client_id=client.id))
    return render_template("clients/edit.html", form=form, client=None), 400 if form.errors else 200


@bp.get("/<int:client_id>")
@roles_required("pa")
def client_page(client_id: int):
    client = services.client_for(current_user, client_id)
    referrals = db.session.scalars(select(Referral).where(Referral.client_id == client.id).order_by(Referral.id.desc())).all()
    return render_template(
        "clients/client.html",
        client=client,
        today=dt.date.today(),
        need_form=NeedForm(),
        consents=services.consents_by_agency(client),
        referrals=referrals,
        purposes=CONSENT_PURPOSES,
        shared_with=services.shared_with(client),
    )


@bp.post("/<int:client_id>/share")
@roles_required("pa")
def share(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    try:
        other = services.share_client(current_user, client, request.form.get("email", ""))
    except ValueError as exc:
        flash("Share with: " + str(exc).split(": ", 1)[-1], "error")
    else:
        flash(f"Shared with {other.name}.")
    return redirect(url_for("clients.client_page", client_id=client.id) + "#sharing")


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required("pa")
def edit_client(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    form = ClientForm(obj=client if request.method == "GET" else None)
    if request.method == "GET":
        form.urgency.data = str(client.urgency)
    if form.validate_on_submit():
        services.update_client(current_user, client, _form_data(form), form.resolved_place)
        flash("Client record saved.")
        return redirect(url_for("clients.client_page", client_id=client.id))
    return render_template("clients/edit.html", form=form, client=client), 400 if form.errors else 200


@bp.post("/<int:client_id>/needs")
@roles_required("pa")
def add_need(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    form = NeedForm()
    if form.validate_on_submit():
        services.add_need(current_user, client, form.category.data, form.notes.data)
        flash("Need added.")
    else:
        flash("; ".join(f"{form[k].label.text}: {' '.join(v)}" for k, v in form.errors.items()), "error")
    return redirect(url_for("clients.client_page", client_id=client.id) + "#needs")


@bp.post("/<int:client_id>/needs/<int:need_id>/close")
@roles_required("pa")
def close_need(client_id: int, need_id: int):
    client = services.client_for(current_user, client_id, action="view")
    services.set_need_status(current_user, client, need_id, "closed")
    flash("Need closed.")
    return redirect(url_for("clients.client_page", client_id=client.id) + "#needs")


@bp.route("/<int:client_id>/consent", methods=["GET", "POST"])
@roles_required("pa")
def consent_page(client_id: int):
    client = services.client_for(current_user, client_id)
    form = ConsentForm()
    if request.method == "GET" and request.args.get("organisation_id", type=int):
        form.organisation_id.data = request.args.get("organisation_id", type=int)
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    if form.validate_on_submit():
        try:
            services.record_consent(
                current_user, client, form.organisation_id.data, form.purpose.data, form.given.data == "yes", form.note.data
            )
        except ValueError as exc:
            form.organisation_id.errors.append(str(exc).split(": ", 1)[-1])
        else:
            flash("Consent recorded.")
            return redirect(local_path(request.args.get("next")) or url_for("clients.client_page", client_id=client.id) + "#consent")
    return render_template(
        "clients/consent.html", client=client, form=form, organisations=organisations,
        consents=services.consents_by_agency(client),
    ), 400 if form.errors else 200


@bp.get("/<int:client_id>/suggestions")
@roles_required("pa")
def suggestions_page(client_id: int):
    client = services.client_for(current_user, client_id, action="view_suggestions")
    return render_template("clients/suggestions.html", client=client, needs=suggestions_for(client), today=dt.date.today())


@bp.route("/<int:client_id>/refer", methods=["GET", "POST"])
@roles_required("pa")
def refer_page(client_id: int):
    """The draft referral: prefilled from the record and the chosen suggestion; sending holds a place."""
    client = services.client_for(current_user, client_id, action="view")
    form = ReferralForm()
    intake_id = request.values.get("intake_id", type=int)
    need_id = request.values.get("need_id", type=int)
    intake = db.session.get(Intake, intake_id) if intake_id else None
    need = next((n for n in client.needs if n.id == need_id), None)
    if intake is None or need is None:
        abort(404)
    if request.method == "GET":
        form.intake_id.data, form.need_id.data = intake.id, need.id
        form.summary.data = client.summary
        form.risks.data = client.risks
    has_consent = services.consent_in_force(client.id, intake.provision.organisation_id, "referral")
    status = 200
    if form.validate_on_submit():
        try:
            referral = send_referral(
                current_user, client, need.id, intake.id, form.summary.data, form.risks.data, form.answer_by.data
            )
        except ReferralError as exc:
            target = form[exc.field] if exc.field in form else None
            (target.errors if target is not None else form.form_errors).append(exc.message)
            status = exc.status
        else:
            flash("Referral sent. A place is held for them until the provider answers.")
            return redirect(url_for("referrals.referral_page", referral_id=referral.id))
    elif form.errors:
        status = 400
    return render_template(
        "clients/refer.html", client=client, form=form, intake=intake, need=need, has_consent=has_consent,
        today=dt.date.today(),
    ), status
