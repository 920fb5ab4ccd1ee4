"""API for casework: case conferences and the actions people own."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Date, Id, Text, computed
from broker.casework import services as casework
from broker.clients.api import with_client

bp = ApiBlueprint("Casework", __name__, description="Case conferences about a young person and the actions they agree.")


class ActionBody(Body):
    what = Text(required=True, validate=validate.Length(1, 1000, error="must be 1 to 1000 characters"))
    owner_user_id = Id(required=True, metadata={"description": "the user who owns the action"})
    due = Date(required=True, metadata={"description": "on or after the conference"})


class ConferenceBody(Body):
    held_on = Date(required=True)
    attendee_user_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    attendee_organisation_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50),
                                            metadata={"description": "agencies who attended; they see only what consent covers"})
    notes = Text(load_default="", validate=validate.Length(max=5000))
    decisions = Text(load_default="", validate=validate.Length(max=5000))
    actions = fields.List(fields.Nested(ActionBody), load_default=list, validate=validate.Length(max=50))


class Attendee(Schema):
    user_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    name = computed(fields.String(), lambda a: a.user.name if a.user else a.organisation.name)


class Action(Schema):
    id = fields.Integer()
    conference_id = fields.Integer()
    what = fields.String()
    owner_user_id = fields.Integer()
    due = fields.Date()
    done_on = fields.Date(allow_none=True)


class Conference(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    held_on = fields.Date()
    convened_by_id = fields.Integer()
    attendees = fields.List(fields.Nested(Attendee))
    notes = fields.String()
    decisions = fields.String()
    actions = fields.List(fields.Nested(Action))


class ConferenceSeen(Schema):
    """What the caller may see: an attending agency without assessment consent gets no notes."""

    id = computed(fields.Integer(), lambda s: s["conference"].id)
    client_id = computed(fields.Integer(), lambda s: s["client"].id)
    client_name = computed(fields.String(), lambda s: s["client"].display_name)
    held_on = computed(fields.Date(), lambda s: s["conference"].held_on)
    attendees = computed(fields.List(fields.Nested(Attendee)), lambda s: s["conference"].attendees)
    notes = computed(fields.String(allow_none=True), lambda s: s["conference"].notes if s["show_notes"] else None)
    decisions = computed(fields.String(), lambda s: s["conference"].decisions)
    actions = computed(fields.List(fields.Nested(Action)), lambda s: s["conference"].actions)


class OwnedAction(Action):
    client_name = fields.String(allow_none=True, metadata={"description": "when the owner may see the young person's name"})


class Actions(Schema):
    actions = fields.List(fields.Nested(OwnedAction))


@bp.post("/clients/<int:client_id>/conferences")
@bp.token_required("pa")
@with_client()
@bp.arguments(ConferenceBody)
@bp.response(201, Conference)
@bp.errors(404)
def convene(body, client):
    """Record a case conference for one of the PA's young people, with the actions agreed."""
    return casework.convene(caller(), client, body)


@bp.get("/conferences/<int:conference_id>")
@bp.token_required("pa", "lead", "provider")
@bp.response(200, ConferenceSeen)
@bp.errors(404)
def get_conference(conference_id: int):
    """A case conference as the caller may see it (attending agencies: what consent covers)."""
    return casework.conference_view(caller(), conference_id)


@bp.get("/actions")
@bp.token_required("pa", "lead", "provider", "manager", "admin")
@bp.response(200, Actions)
def my_actions():
    """The case conference actions the caller owns and has not done, soonest due first."""
    user = caller()
    rows = casework.my_actions(user)
    return {"actions": [dict(id=a.id, conference_id=a.conference_id, what=a.what, owner_user_id=a.owner_user_id, due=a.due,
                             done_on=a.done_on, client_name=casework.action_client_name(user, a)) for a in rows]}
