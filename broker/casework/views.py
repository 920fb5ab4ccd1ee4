"""Casework pages: a team lead's team, the plan and reviews on the record, case conferences
and the actions people own."""
import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from broker.auth.models import User
from broker.auth.services import roles_required
from broker.casework import services as casework
from broker.casework.forms import ConferenceForm, PlanActionForm, ReassignForm, ReviewForm, SupervisionNoteForm
from broker.clients import services as clients
from broker.directory.models import Organisation
from broker.errors import DomainError
from broker.extensions import db
from broker.form_fields import show_on_form

bp = Blueprint("casework", __name__)


def record_sections(client, user, **forms) -> dict:
    """What the record's casework partials show (templates/clients/_plan.html and friends);
    a form that failed comes back in `forms` with its errors."""
    sections = {
        "plan": casework.plan(client),
        "plan_reviews": casework.reviews(client),
        "case_conferences": casework.conferences(client),
        "plan_form": forms.get("plan_form") or PlanActionForm(formdata=None),
        "review_form": forms.get("review_form") or ReviewForm(formdata=None),
        "needs_specialist": bool(casework.without_specialist([client.id])),
    }
    if user.role == "lead":
        form = forms.get("reassign_form") or ReassignForm(formdata=None)
        form.team(casework.team(user), client.pa_id)
        sections["reassign_form"] = form
    return sections


def _record(client, status=400, **forms):
    from broker.clients.views import _record as record_page

    return record_page(client, status=status, **forms)


# ---------------------------------------------------------------- team leads


@bp.get("/team")
@roles_required("lead")
def team_page():
    pas = casework.team(current_user)
    counts = {pa.id: len(clients_of) for pa, clients_of in ((pa, casework.pa_caseload(current_user, pa)) for pa in pas)}
    return render_template("casework/team.html", pas=pas, counts=counts)


@bp.route("/team/<int:pa_id>", methods=["GET", "POST"])
@roles_required("lead")
def team_member_page(pa_id: int):
    pa = casework.team_member(current_user, pa_id)
    form = SupervisionNoteForm()
    status = 200
    if form.validate_on_submit():
        try:
            casework.add_supervision_note(current_user, pa, form.text.data)
        except DomainError as exc:
            show_on_form(form, exc)
            status = exc.status
        else:
            flash("Supervision note saved.")
            return redirect(url_for("casework.team_member_page", pa_id=pa.id) + "#notes")
    elif form.errors:
        status = 400
    today = dt.date.today()
    rows = casework.pa_caseload(current_user, pa)
    return render_template(
        "casework/team_member.html", pa=pa, caseload=rows, today=today, form=form,
        notes=casework.supervision_notes(current_user, pa), no_specialist=casework.without_specialist([c.id for c in rows]),
    ), status


@bp.post("/clients/<int:client_id>/reassign")
@roles_required("lead")
def reassign(client_id: int):
    client = clients.client_for(current_user, client_id)
    form = ReassignForm()
    form.team(casework.team(current_user), client.pa_id)
    if form.validate_on_submit():
        try:
            to = casework.reassign(current_user, client, form.pa_id.data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(f"{client.display_name} is now {to.name}'s.")
            return redirect(url_for("clients.client_page", client_id=client.id))
    return _record(client, reassign_form=form)


# ---------------------------------------------------------------- plan and reviews


@bp.post("/clients/<int:client_id>/plan")
@roles_required("pa")
def add_plan_action(client_id: int):
    client = clients.client_for(current_user, client_id)
    form = PlanActionForm()
    if form.validate_on_submit():
        try:
            casework.add_plan_action(current_user, client, form.what.data, form.who.data, form.due.data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash("Action added to the plan.")
            return redirect(url_for("clients.client_page", client_id=client.id) + "#plan")
    return _record(client, plan_form=form)


@bp.post("/clients/<int:client_id>/plan/<int:action_id>/done")
@roles_required("pa")
def plan_action_done(client_id: int, action_id: int):
    client = clients.client_for(current_user, client_id)
    casework.mark_plan_action_done(current_user, client, action_id)
    flash("Action marked as done.")
    return redirect(url_for("clients.client_page", client_id=client.id) + "#plan")


@bp.post("/clients/<int:client_id>/reviews")
@roles_required("pa")
def record_review(client_id: int):
    client = clients.client_for(current_user, client_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            casework.record_review(current_user, client, form.held_on.data, form.outcome.data, form.next_review.data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash("Review recorded.")
            return redirect(url_for("clients.client_page", client_id=client.id) + "#reviews")
    return _record(client, review_form=form)


# ---------------------------------------------------------------- case conferences


def _conference_form() -> ConferenceForm:
    form = ConferenceForm()
    form.people(db.session.scalars(select(User).where(User.active).order_by(User.name)).all())
    form.agencies(db.session.scalars(select(Organisation).order_by(Organisation.name)).all())
    return form


@bp.route("/clients/<int:client_id>/conferences/new", methods=["GET", "POST"])
@roles_required("pa")
def new_conference(client_id: int):
    client = clients.client_for(current_user, client_id)
    form = _conference_form()
    status = 200
    if form.validate_on_submit():
        try:
            conference = casework.convene(current_user, client, form.as_data())
        except DomainError as exc:
            field = exc.field or ""
            if field.startswith("actions["):  # the page's one action row
                exc.field = "action_" + field.split(".")[-1].replace("owner_user_id", "owner")
            show_on_form(form, exc)
            status = exc.status
        else:
            flash("Case conference recorded.")
            return redirect(url_for("casework.conference_page", conference_id=conference.id))
    elif form.errors:
        status = 400
    return render_template("casework/new_conference.html", client=client, form=form), status


@bp.get("/conferences/<int:conference_id>")
@roles_required("pa", "lead", "provider")
def conference_page(conference_id: int):
    seen = casework.conference_view(current_user, conference_id)
    return render_template("casework/conference.html", **seen)


# ---------------------------------------------------------------- actions


@bp.get("/actions")
@login_required
def actions_page():
    rows = casework.my_actions(current_user)
    return render_template("casework/actions.html", actions=rows, today=dt.date.today(),
                           action_names={a.id: casework.action_client_name(current_user, a) for a in rows})


@bp.post("/actions/<int:action_id>/done")
@login_required
def action_done(action_id: int):
    casework.mark_action_done(current_user, action_id)
    flash("Action marked as done.")
    return redirect(url_for("casework.actions_page"))
