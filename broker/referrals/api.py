"""API for referrals: PAs send and follow them; providers read and answer their own."""
from __future__ import annotations

import functools

from flask import request
from marshmallow import Schema, fields, missing, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Date, Id, Instant, Text, computed
from broker.audit import services as audit
from broker.clients import services as clients
from broker.extensions import db
from broker.referrals import services as referrals
from broker.referrals.models import DECLINE_REASONS, DESTINATIONS, Referral

bp = ApiBlueprint("Referrals", __name__, description="Referrals with consent, holding a place until answered.")


# ------------------------------------------------------------------------- input


class ReferralBody(Body):
    client_id = Id(required=True)
    need_id = Id(required=True, metadata={"description": "one of the young person's open needs"})
    intake_id = Id(required=True, metadata={"description": "the start date to refer to; a place is held on it"})
    summary = Text(required=True, validate=validate.Length(20, 5000, error="give the provider some background: 20 to 5000 characters"))
    risks = Text(load_default="", validate=validate.Length(max=5000))
    answer_by = Date(load_default=None, allow_none=True, metadata={"description": "default: in BROKER_ANSWER_DAYS days"})
    share_need_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50), metadata={
        "description": "need to know: the young person's other needs to share with the provider too (default none)"})
    override_reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "refer anyway although the listing's rules (age on the start day, area, criteria) exclude "
                       "the young person, saying why; shown to the provider. Without it such a referral is "
                       "refused with 422 ineligible"})


class AnswerBody(Body):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline", "more_info"), error="must be accept, decline or more_info"))
    reason = fields.String(load_default="", validate=validate.OneOf(("", *DECLINE_REASONS)), metadata={"description": "why it is declined"})
    message = Text(load_default="", validate=validate.Length(max=2000))


PA_ACTIONS = ("reply", "withdraw", "started", "completed", "left_early")


class PaUpdateBody(Body):
    action = fields.String(required=True, validate=validate.OneOf(PA_ACTIONS, error="must be " + ", ".join(PA_ACTIONS[:-1]) + " or left_early"))
    note = Text(load_default="", validate=validate.Length(max=2000),
                metadata={"description": "the reply; why they left early (needed for left_early)"})
    destination = fields.String(load_default="", validate=validate.OneOf(("", *DESTINATIONS)),
                                metadata={"description": "where the young person went next (needed for completed and left_early)"})
    outcome_on = Date(load_default=None, allow_none=True, metadata={"description": "when it ended; default today"})


# ------------------------------------------------------------------------- output


def _for_pa(value):
    """A member only the PA's side sees (left out for the provider)."""
    return value if caller().role != "provider" else missing


class ProvisionRef(Schema):
    id = fields.Integer()
    name = fields.String()
    provider = fields.String(attribute="organisation.name")


class IntakeRef(Schema):
    id = fields.Integer()
    start = fields.Date()
    rolling = fields.Boolean()


class Event(Schema):
    at = Instant()
    status = fields.String()
    note = fields.String()


class PaContact(Schema):
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    team = fields.String()


class ClientView(Schema):
    """The young person as this side may see them: the PA all; the provider only what consent covers."""

    id = fields.Integer()
    name = fields.String()
    consent = fields.Boolean()
    assessment = fields.Boolean()
    age = fields.Integer()
    area = fields.String()
    needs = fields.List(fields.String())
    summary = fields.String()
    risks = fields.String()
    need_notes = fields.Dict(keys=fields.String(), values=fields.String())


def _shown(r: Referral) -> referrals.ReferralView:
    """What the caller may see of the referral (referrals.shown_to, the one place that
    decides it for the page and the API), worked out once per referral per request."""
    # Kept on the request, not on `g`: an app context can outlive one request (tests share one).
    views = request.environ.setdefault("broker.referral_views", {})
    if r.id not in views:
        views[r.id] = referrals.shown_to(caller(), r)
    return views[r.id]


class ReferralRecord(Schema):
    id = fields.Integer()
    status = fields.String()
    provision = fields.Nested(ProvisionRef)
    intake = fields.Nested(IntakeRef)
    need = fields.String(attribute="need.category")
    shared_needs = computed(fields.List(fields.String()), lambda r: _shown(r).shared_needs)
    answer_by = fields.Date()
    sent_at = Instant()
    decline_reason = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    destination = fields.String(allow_none=True, metadata={"description": "after completed or left_early: " + ", ".join(DESTINATIONS)})
    outcome_on = fields.Date(allow_none=True)
    pa = computed(fields.Nested(PaContact), lambda r: r.pa if caller().role == "provider" else missing)
    override_reason = computed(fields.String(allow_none=True, metadata={
        "description": "why the PA referred although the listing's rules exclude the young person (null: they meet "
                       "them); the provider sees it while referral consent is in force, as the background"}),
        lambda r: r.override_reason if caller().role != "provider" or _shown(r).consent else None)
    history = computed(fields.List(fields.Nested(Event)), lambda r: _shown(r).history)
    client = computed(fields.Nested(ClientView), lambda r: _shown(r).client)
    summary = computed(fields.String(), lambda r: _for_pa(_shown(r).summary))
    risks = computed(fields.String(), lambda r: _for_pa(_shown(r).risks))


class ReferralList(Schema):
    referrals = fields.List(fields.Nested(ReferralRecord))


# ------------------------------------------------------------------------- endpoints


def with_referral(action: str = "view"):
    """Look the referral up (audited; 404 unless this side may see it) before the body is read."""

    def decorator(view):
        @functools.wraps(view)
        def inner(*args, referral_id: int, **kwargs):
            return view(*args, referral=referrals.referral_for(caller(), referral_id, action=action), **kwargs)

        return inner

    return decorator


@bp.get("/referrals")
@bp.token_required("pa", "provider")
@bp.response(200, ReferralList)
def list_referrals():
    """A provider's inbox, or the referrals of a PA's young people; newest first."""
    user = caller()
    if user.role == "provider":
        rows = referrals.inbox(user)
    else:
        ids = [c.id for c in clients.caseload(user)]
        rows = db.session.scalars(db.select(Referral).where(Referral.client_id.in_(ids)).order_by(Referral.id.desc())).all()
    for r in rows:
        audit.record(user, "list", "referral", r.id, r.client_id)
    return {"referrals": rows}


@bp.post("/referrals")
@bp.token_required("pa")
@bp.arguments(ReferralBody)
@bp.response(201, ReferralRecord)
@bp.errors(403, 404, 409, 422)
def send_referral(body):
    """Send a referral for an open need to an intake, with consent; it holds a place (409 when none is left).

    422 `ineligible` (field `intake_id`, `rules` naming them) when the listing's rules exclude
    the young person on the intake's start day, unless `override_reason` says why to refer anyway.

    422 `assessment_date`: urgent or complex needs and no assessment in the last 6 months."""
    client = clients.client_for(caller(), body["client_id"], action="view")
    return referrals.send_referral(
        caller(), client, body["need_id"], body["intake_id"], body["summary"], body["risks"], body["answer_by"],
        share_need_ids=body["share_need_ids"],
        override_reason=body["override_reason"],
    )


@bp.get("/referrals/<int:referral_id>")
@bp.token_required("pa", "provider")
@with_referral()
@bp.response(200, ReferralRecord)
@bp.errors(404)
def get_referral(referral):
    """A referral, as this side may see it."""
    return referral


@bp.post("/referrals/<int:referral_id>/answer")
@bp.token_required("provider")
@with_referral()
@bp.arguments(AnswerBody)
@bp.response(200, ReferralRecord)
@bp.errors(404, 409)
def answer_referral(body, referral):
    """The provider's answer: accept, decline with a reason (frees the place) or ask for more information."""
    return referrals.answer(caller(), referral, body["decision"], body["reason"], body["message"])


@bp.post("/referrals/<int:referral_id>/update")
@bp.token_required("pa")
@with_referral()
@bp.arguments(PaUpdateBody)
@bp.response(200, ReferralRecord)
@bp.errors(404, 409)
def update_referral(body, referral):
    """The PA's side: reply with more information, withdraw (frees the place), mark as started, or
    record the outcome: completed or left_early (with a note), each with a destination."""
    return referrals.pa_update(caller(), referral, body["action"], body["note"], body["destination"], body["outcome_on"])
