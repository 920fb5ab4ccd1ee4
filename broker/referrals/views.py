"""Referral pages for both sides: the PA's referral and the provider's inbox and answer."""
import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from broker.auth.services import roles_required
from broker.errors import DomainError
from broker.form_fields import show_on_form
from broker.referrals import services
from broker.referrals.forms import AnswerForm, PaActionForm
from broker.referrals.models import DECLINE_REASONS, EVENT_WORDS, STATUSES

bp = Blueprint("referrals", __name__)


@bp.get("/inbox")
@roles_required("provider")
def inbox_page():
    today = dt.date.today()
    query = services.InboxQuery.from_args(request.args)
    page = services.search_inbox(current_user, query, today)
    return render_template("referrals/inbox.html", page=page, query=query, names=page.extra["short_names"], statuses=STATUSES,
                           due=services.INBOX_DUE, sorts=services.INBOX_SORTS, today=today,
                           listings=services.inbox_listings(current_user))


@bp.get("/referrals/<int:referral_id>")
@roles_required("pa", "provider")
def referral_page(referral_id: int):
    referral = services.referral_for(current_user, referral_id)
    return _render(referral)


def _render(referral, answer_form=None, pa_form=None, status=200):
    view = services.shown_to(current_user, referral)
    return render_template(
        "referrals/referral.html",
        referral=referral,
        view=view,
        answer_form=answer_form or AnswerForm(formdata=None),
        pa_form=(pa_form or PaActionForm(formdata=None)).for_status(referral.status),
        reasons=DECLINE_REASONS,
        event_words=EVENT_WORDS,
        today=dt.date.today(),
    ), status


@bp.post("/referrals/<int:referral_id>/answer")
@roles_required("provider")
def answer(referral_id: int):
    referral = services.referral_for(current_user, referral_id, action="view")
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer(current_user, referral, form.decision.data, form.reason.data, form.message.data)
        except DomainError as exc:
            show_on_form(form, exc)
            return _render(referral, answer_form=form, status=exc.status)
        flash("Your answer has been sent to the Personal Adviser.")
        return redirect(url_for("referrals.referral_page", referral_id=referral.id))
    return _render(referral, answer_form=form, status=400)


@bp.post("/referrals/<int:referral_id>/update")
@roles_required("pa")
def pa_update(referral_id: int):
    referral = services.referral_for(current_user, referral_id, action="view")
    form = PaActionForm().for_status(referral.status)
    if form.validate_on_submit():
        try:
            services.pa_update(current_user, referral, form.action.data, form.note.data, form.destination.data or "",
                               form.outcome_on.data)
        except DomainError as exc:
            show_on_form(form, exc)
            return _render(referral, pa_form=form, status=exc.status)
        flash("Referral updated.")
        return redirect(url_for("referrals.referral_page", referral_id=referral.id))
    return _render(referral, pa_form=form, status=400)
