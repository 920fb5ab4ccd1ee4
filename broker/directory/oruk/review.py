"""Listings an import could not place in our taxonomy, categorised by an administrator.

An imported service whose need is uncertain (vocabulary.place) waits with status
"needs review": hidden from search, suggestions, allocation and the published feed.
Administrators decide (they run imports and own the directory's taxonomy; providers
and PAs do not): give it a need and kind, which publishes it, or turn it down as not
for young people, which withdraws it. Either way it is recorded in the listing's
history, and later imports keep the decision.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from broker.auth.services import roles_required
from broker.directory.models import NEEDS_REVIEW, Provision
from broker.errors import InputError, NotFound
from broker.extensions import db
from broker.form_fields import GovSelect, show_on_form
from broker.taxonomy import CATEGORIES, KINDS

bp = Blueprint("review", __name__, url_prefix="/admin/review")


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ReviewForm(FlaskForm):
    category = SelectField("Need", default="", choices=_choices([("", "Choose a need"), *CATEGORIES.items()]), widget=GovSelect())
    kind = SelectField("Kind (optional)", default="", choices=_choices([("", "Not stated")] + [
        (f"{c}:{k}", f"{CATEGORIES[c]}: {label}") for c, kinds in KINDS.items() for k, label in kinds.items()]),
        widget=GovSelect())
    decision = SelectField("Decision", validators=[DataRequired()], choices=_choices(
        [("place", "Publish with this need"), ("reject", "Not for young people: withdraw")]), widget=GovSelect())


def waiting() -> list[Provision]:
    return list(db.session.scalars(select(Provision).where(Provision.status == NEEDS_REVIEW)
                                   .options(selectinload(Provision.organisation)).order_by(Provision.name, Provision.id)))


def categorise(p: Provision, decision: str, category: str, kind: str, user) -> None:
    """Place a listing waiting for review (publishing it), or turn it down (withdrawing it)."""
    from broker.providers.services import record_change, snapshot

    if p.status != NEEDS_REVIEW:
        raise InputError("decision", f"{p.name} is not waiting for review")
    before = snapshot(p)
    if decision == "reject":
        p.status, p.category, p.kind, p.requires, p.review_reason = "withdrawn", None, None, [], None
        record_change(p, before, "review", "Turned down at review: not for young people", user)
        return
    if category not in CATEGORIES:
        raise InputError("category", "choose the need this listing meets")
    kind_category, _, kind_code = kind.partition(":")
    if kind and (kind_category != category or kind_code not in KINDS.get(category, {})):
        raise InputError("kind", f"choose a kind within {CATEGORIES[category]}, or none")
    p.status, p.category, p.kind, p.review_reason = "active", category, kind_code or None, None
    record_change(p, before, "review", f"Placed at review: {CATEGORIES[category]}", user)


@bp.get("/")
@roles_required("admin")
def review_page():
    return _page()


def _page(posted: ReviewForm | None = None, posted_id: int | None = None):
    """Every listing waiting, each with its form; a form just posted with a problem keeps what was chosen."""
    listings = waiting()
    forms = {p.id: ReviewForm(formdata=None, prefix=f"p{p.id}", category=p.category or "",
                              kind=f"{p.category}:{p.kind}" if p.kind else "") for p in listings}
    if posted is not None:
        forms[posted_id] = posted
    return render_template("directory/review.html", listings=listings, forms=forms), 400 if posted else 200


@bp.post("/<int:provision_id>")
@roles_required("admin")
def review_listing(provision_id: int):
    p = db.session.get(Provision, provision_id)
    if p is None:
        raise NotFound("provision", f"no listing {provision_id}")
    form = ReviewForm(prefix=f"p{p.id}")
    if not form.validate():
        return _page(form, p.id)
    try:
        categorise(p, form.decision.data, form.category.data, form.kind.data, current_user)
    except InputError as exc:
        show_on_form(form, exc)
        return _page(form, p.id)
    flash(f"{p.name}: " + ("published as " + CATEGORIES[p.category] if p.status == "active" else "withdrawn"))
    return redirect(url_for("review.review_page"))
