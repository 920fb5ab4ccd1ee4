"""PA pages: caseload, the client record (APIR), consent, suggestions and referring."""
import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from broker.auth.services import local_path, roles_required
from broker.casework.services import without_specialist
from broker.clients import find_provision, refer_from_listing, services
from broker.clients.forms import ClientForm, ConsentForm, NeedForm
from broker.clients.models import CONSENT_PURPOSES
from broker.clients.suggestion_words import in_words
from broker.clients.suggestions import suggestions_for
from broker.directory.models import Intake, Organisation, Provision
from broker.eligibility import broken_rules
from broker.errors import DomainError, Ineligible, InputError
from broker.extensions import db
from broker.form_fields import sentence, show_on_form
from broker.inputs import optional_id
from broker.referrals.forms import ReferFromListingForm, ReferralForm
from broker.referrals.models import STATUSES, Referral
from broker.referrals.services import latest_outcomes, send_referral
from broker.taxonomy import CATEGORIES

bp = Blueprint("clients", __name__, url_prefix="/clients")
# "Find provision for Jordan" on the record (templates/clients/_find_provision.html).
bp.add_app_template_global(find_provision.search_args, "provision_search_args")


def _form_data(form) -> dict:
    return {name: form[name].data for name in services.CLIENT_FIELDS}


@bp.get("/")
@roles_required("pa", "lead")
def caseload_page():
    today = dt.date.today()
    query = services.CaseloadQuery.from_args(request.args)
    page = services.search_caseload(current_user, query, today)
    return render_template(
        "clients/caseload.html", page=page, query=query, referrals=services.referral_counts([c.id for c in page.items]),
        statuses=STATUSES, caseload_statuses=services.CASELOAD_STATUSES, sorts=services.CASELOAD_SORTS, today=today,
        outcomes=latest_outcomes([c.id for c in page.items]),
        no_specialist=without_specialist([c.id for c in page.items]),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("pa")
def new_client():
    form = ClientForm()
    duplicate = False
    if form.validate_on_submit():
        if request.form.get("ask_share") == "yes":
            services.request_share(current_user, form.first_name.data, form.last_name.data, form.date_of_birth.data)
            flash("If a record matches, its Personal Adviser has been asked to share it with you.")
            return redirect(url_for("clients.caseload_page"))
        try:
            client = services.create_client(current_user, {**_form_data(form), "confirm_new": form.confirm_new.data})
        except DomainError as exc:
            show_on_form(form, exc)
            duplicate = exc.error == "possible_duplicate"
            status = exc.status
        else:
            flash(f"Record created for {client.display_name}. Add their assessed needs next.")
            return redirect(url_for("clients.client_page", client_id=client.id))
    else:
        status = 400 if form.errors else 200
    return render_template("clients/edit.html", form=form, client=None, duplicate=duplicate), status


@bp.get("/<int:client_id>")
@roles_required("pa", "lead")
def client_page(client_id: int):
    return _record(services.client_for(current_user, client_id))


def _record(client, need_form=None, share_error=None, share_field="email", status=200, **casework_forms):
    """The young person's record; a need, share or casework form that failed comes back with its error."""
    from broker.casework.views import record_sections

    referrals = db.session.scalars(select(Referral).where(Referral.client_id == client.id).order_by(Referral.id.desc())).all()
    return render_template(
        "clients/client.html",
        client=client,
        today=dt.date.today(),
        need_form=need_form or NeedForm(formdata=None),
        share_error=share_error,
        share_field=share_field,
        consents=services.consents_by_agency(client),
        referrals=referrals,
        purposes=CONSENT_PURPOSES,
        shared_with=services.shared_with(client),
        **record_sections(client, current_user, **casework_forms),
        share_requests=services.share_requests(client) if client.pa_id == current_user.id else [],
    ), status


@bp.post("/<int:client_id>/share")
@roles_required("pa")
def share(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    try:
        other = services.share_client(current_user, client, request.form.get("email", ""), request.form.get("purpose", ""),
                                      request.form.get("consent") == "yes")
    except DomainError as exc:
        return _record(client, share_error=sentence("", exc.message), share_field=exc.field or "email", status=400)
    flash(f"Shared with {other.name}.")
    return redirect(url_for("clients.client_page", client_id=client.id) + "#sharing")


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required("pa")
def edit_client(client_id: int):
    client = services.client_for(current_user, client_id, action="view")
    form = ClientForm(obj=client if request.method == "GET" else None)
    if request.method == "GET":
        form.urgency.data = str(client.urgency)
        form.area.data = client.area or ""
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
                current_user, client, form.organisation_id.data, form.purpose.data, form.given.data == "yes", form.note.data,
                form.expires_on.data,
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash("Consent recorded.")
            return redirect(local_path(request.args.get("next")) or url_for("clients.client_page", client_id=client.id) + "#consent")
    return render_template(
        "clients/consent.html", client=client, form=form, consents=services.consents_by_agency(client), purposes=CONSENT_PURPOSES,
    ), 400 if form.errors else 200


@bp.get("/<int:client_id>/consent/statement")
@roles_required("pa")
def consent_statement(client_id: int):
    """A printable statement for the young person: what is shared with whom, for what, until when, how to withdraw."""
    client = services.client_for(current_user, client_id, action="view")
    rows = [row for row in services.consents_by_agency(client) if row["given"]]
    open_referrals = db.session.scalars(select(Referral).where(
        Referral.client_id == client.id, Referral.status.in_(("sent", "more_info", "accepted", "started", "paused")))).all()
    from broker.referrals.services import shared_needs

    needs_by_org: dict[int, set[str]] = {}
    for r in open_referrals:
        needs_by_org.setdefault(r.organisation_id, set()).update(n.category for n in shared_needs(r))
    return render_template("clients/consent_statement.html", client=client, rows=rows, purposes=CONSENT_PURPOSES,
                           needs_by_org=needs_by_org, today=dt.date.today())


@bp.get("/<int:client_id>/suggestions")
@roles_required("pa")
def suggestions_page(client_id: int):
    client = services.client_for(current_user, client_id, action="view_suggestions")
    today = dt.date.today()
    needs = in_words(client, suggestions_for(client, today, max_excluded=None), today)
    return render_template("clients/suggestions.html", client=client, needs=needs, today=today)


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
    form.other_needs(client, need)
    if request.method == "GET":
        form.intake_id.data, form.need_id.data = intake.id, need.id
        form.summary.data = client.summary
        form.risks.data = client.risks
    has_consent = services.consent_in_force(client.id, intake.provision.organisation_id, "referral")
    ineligible = broken_rules(intake.provision, client, max(intake.start, client.available_from, dt.date.today()))
    status = 200
    if form.validate_on_submit():
        try:
            referral = send_referral(
                current_user, client, need.id, intake.id, form.summary.data, form.risks.data, form.answer_by.data,
                share_need_ids=form.share_need_ids.data or (),
                override_reason=form.override_reason.data,
            )
        except Ineligible as exc:
            # The rules are listed above the form; the reason to refer anyway is what to give.
            form.override_reason.errors = list(form.override_reason.errors) + [
                "Say why you are referring anyway, or choose another listing"]
            status = exc.status
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
        today=dt.date.today(), ineligible=ineligible,
    ), status


@bp.route("/refer-from-listing/<int:provision_id>", methods=["GET", "POST"])
@roles_required("pa")
def refer_from_listing_page(provision_id: int):
    """Choose who and when for a listing; the referral itself is written on the refer page."""
    provision = db.session.get(Provision, provision_id)
    if provision is None or provision.status != "active":
        abort(404)
    today = dt.date.today()
    rows = refer_from_listing.who_can_be_referred(current_user, provision)
    form = ReferFromListingForm().for_listing(
        refer_from_listing.person_need_choices(rows), refer_from_listing.intake_choices(provision, today))
    if request.method == "GET" and optional_id(request.args, "intake_id"):
        form.intake_id.data = str(optional_id(request.args, "intake_id"))
    if form.validate_on_submit():
        try:
            client, need = refer_from_listing.chosen(rows, form.person_need.data)
            if form.intake_id.data not in {v for v, _ in refer_from_listing.intake_choices(provision, today)}:
                raise InputError("intake_id", "Choose a start date with a place left")
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            return redirect(url_for("clients.refer_page", client_id=client.id, need_id=need.id, intake_id=int(form.intake_id.data)))
    return render_template(
        "clients/refer_from_listing.html", provision=provision, form=form, rows=rows,
    ), 400 if form.errors else 200
