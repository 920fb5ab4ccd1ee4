"""PA pages: caseload, the client record (APIR), consent, suggestions and referring."""
import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from broker.auth.services import local_path, roles_required
from broker.clients import find_provision, services
from broker.clients.forms import ClientForm, ConsentForm, NeedForm
from broker.clients.models import CONSENT_PURPOSES
from broker.clients.suggestions import suggestions_for
from broker.directory.models import Intake, Organisation
from broker.errors import DomainError
from broker.extensions import db
from broker.form_fields import sentence, show_on_form
from broker.inputs import optional_id
from broker.referrals.forms import ReferralForm
from broker.referrals.models import STATUSES, Referral
from broker.referrals.services import send_referral
from broker.taxonomy import CATEGORIES

bp = Blueprint("clients", __name__, url_prefix="/clients")
# "Find provision for Jordan" on the record (templates/clients/_find_provision.html).
bp.add_app_template_global(find_provision.search_args, "provision_search_args")


def _form_data(form) -> dict:
    return {name: form[name].data for name in services.CLIENT_FIELDS}


@bp.get("/")
@roles_required("pa")
def caseload_page():
    today = dt.date.today()
    query = services.CaseloadQuery.from_args(request.args)
    page = services.search_caseload(current_user, query, today)
    return render_template(
        "clients/caseload.html", page=page, query=query, referrals=services.referral_counts([c.id for c in page.items]),
        statuses=STATUSES, caseload_statuses=services.CASELOAD_STATUSES, sorts=services.CASELOAD_SORTS, today=today,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("pa")
def new_client():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = services.create_client(current_user, _form_data(form))
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(f"Record created for {client.display_name}. Add their assessed needs next.")
            return redirect(url_for("clients.client_page", client_id=client.id))
    return render_template("clients/edit.html", form=form, client=None), 400 if form.errors else 200


@bp.get("/<int:client_id>")
@roles_required("pa")
def client_page(client_id: int):
    return _record(services.client_for(current_user, client_id))


def _record(client, need_form=None, share_error=None, status=200):
    """The young person's record; a need or share that failed comes back with its error."""
    referrals = db.session.scalars(select(Referral).where(Referral.client_id == client.id).order_by(Referral.id.desc())).all()
    return render_template(
        "clients/client.html",
        client=client,
        today=dt.date.today(),
        need_form=need_form or NeedForm(formdata=None),
        share_error=share_error,
        consents=services.consents_by_agency(client),
        referrals=referrals,
        purposes=CONSENT_PURPOSES,
        shared_with=services.shared_with(client),
    ), status


@bp.post("/<int:client_id>/share")
@roles_required("pa")
def share(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    try:
        other = services.share_client(current_user, client, request.form.get("email", ""))
    except DomainError as exc:
        return _record(client, share_error=sentence("", exc.message), status=400)
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
        try:
            services.update_client(current_user, client, _form_data(form))
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash("Record saved.")
            return redirect(url_for("clients.client_page", client_id=client.id))
    return render_template("clients/edit.html", form=form, client=client), 400 if form.errors else 200


@bp.post("/<int:client_id>/needs")
@roles_required("pa")
def add_need(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    form = NeedForm()
    if not form.validate_on_submit():
        return _record(client, need_form=form, status=400)
    services.add_need(current_user, client, form.category.data, form.notes.data)
    flash(f"Need added: {CATEGORIES[form.category.data]}.")
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
    form.agencies(db.session.scalars(select(Organisation).order_by(Organisation.name)).all())
    if request.method == "GET" and optional_id(request.args, "organisation_id"):
        form.organisation_id.data = optional_id(request.args, "organisation_id")
    if form.validate_on_submit():
        try:
            services.record_consent(
                current_user, client, form.organisation_id.data, form.purpose.data, form.given.data == "yes", form.note.data
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash("Consent recorded.")
            return redirect(local_path(request.args.get("next")) or url_for("clients.client_page", client_id=client.id) + "#consent")
    return render_template(
        "clients/consent.html", client=client, form=form, consents=services.consents_by_agency(client), purposes=CONSENT_PURPOSES,
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
    intake_id = optional_id(request.values, "intake_id")
    need_id = optional_id(request.values, "need_id")
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
        except DomainError as exc:
            show_on_form(form, exc)
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
