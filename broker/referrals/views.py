"""Referral pages for both sides: the PA's referral and the provider's inbox and answer."""
import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from broker.auth.services import roles_required
from broker.referrals import services
from broker.referrals.forms import AnswerForm, PaActionForm
from broker.referrals.models import DECLINE_REASONS

bp = Blueprint("referrals", __name__)


@bp.get("/inbox")
@roles_required("provider")
def inbox_page():
    return render_template("referrals/inbox.html", referrals=services.inbox(current_user), today=dt.date.today())


@bp.get("/referrals/<int:referral_id>")
@roles_required("pa", "provider")
def referral_page(referral_id: int):
    referral = services.referral_for(current_user, referral_id)
    return _render(referral)


def _render(referral, answer_form=None, pa_form=None, status=200):
    view = services.visible_to(current_user, referral)
    return render_template(
        "referrals/referral.html",
        referral=referral,
        view=view,
        answer_form=answer_form or AnswerForm(),
        pa_form=pa_form or PaActionForm(),
        reasons=DECLINE_REASONS,
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
        except services.ReferralError as exc:
            (form[exc.field].errors if exc.field in form else form.form_errors).append(exc.message)
            return _render(referral, answer_form=form, status=exc.status)
        flash("Your answer has been sent to the Personal Adviser.")
        return redirect(url_for("referrals.referral_page", referral_id=referral.id))
    return _render(referral, answer_form=form, status=400)


@bp.post("/referrals/<int:referral_id>/update")
@roles_required("pa")
def pa_update(referral_id: int):
    referral = services.referral_for(current_user, referral_id, action="view")
    form = PaActionForm()
    if form.validate_on_submit():
        try:
            services.pa_update(current_user, referral, form.action.data, form.note.data)
        except services.ReferralError as exc:
            (form[exc.field].errors if exc.field in form else form.form_errors).append(exc.message)
            return _render(referral, pa_form=form, status=exc.status)
        flash("Referral updated.")
        return redirect(url_for("referrals.referral_page", referral_id=referral.id))
    return _render(referral, pa_form=form, status=400)
