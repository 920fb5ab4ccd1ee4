"""API for PAs: their young people's records, needs, consent and placement suggestions."""
from __future__ import annotations

import datetime as dt
import functools

from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Date, Flag, Id, Instant, Text, Whole, computed
from broker.clients import services as clients
from broker.clients.models import CONSENT_PURPOSES
from broker.clients.suggestions import suggestions_for
from broker.councils import COUNCIL_CODES
from broker.eligibility import client_area
from broker.taxonomy import CATEGORIES, CRITERIA

bp = ApiBlueprint("Clients", __name__, description="A Personal Adviser's young people (PA token).")


def _age(c) -> int:
    return c.age_on(dt.date.today())


# ------------------------------------------------------------------------- input


class ClientBody(Body):
    """A young person's record, as the APIR assessment found it."""

    first_name = Text(required=True, validate=validate.Length(1, 100, error="must be 1 to 100 characters"))
    last_name = Text(required=True, validate=validate.Length(1, 100, error="must be 1 to 100 characters"))
    date_of_birth = Date(required=True, metadata={"description": "gives an age from 10 to 25"})
    home_postcode = Text(required=True, validate=validate.Length(max=20), metadata={"description": "a full UK postcode"})
    available_from = Date(required=True)
    urgency = Whole(load_default=1, validate=validate.OneOf([1, 2, 3], error="must be 1 (routine), 2 (soon) or 3 (urgent)"))
    max_travel_km = fields.Float(load_default=25.0, validate=validate.Range(1, 200, error="must be between 1 and 200 km"))
    assessment_date = Date(load_default=None, allow_none=True)
    review_date = Date(load_default=None, allow_none=True, metadata={"description": "on or after the assessment date"})
    summary = Text(load_default="", validate=validate.Length(max=5000))
    risks = Text(load_default="", validate=validate.Length(max=5000))
    area = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        sorted(COUNCIL_CODES), error="choose a council code: " + ", ".join(sorted(COUNCIL_CODES))), metadata={
        "description": "the council (ONS code) whose services they can use, when placed away from home; "
                       "null: their home postcode's"})
    criteria = fields.List(fields.String(validate=validate.OneOf(list(CRITERIA), error="choose from: " + ", ".join(CRITERIA))),
                           load_default=list, metadata={"description": "what services may require of them: " + ", ".join(CRITERIA)})
    preferences = fields.List(Id(), load_default=list, validate=validate.Length(max=20), metadata={
        "description": "provision ids the young person would like, best first (suggestions and allocation runs weigh them)"})

    complex_needs = Flag(load_default=False, metadata={
        "description": "acute or complex needs: referred only on an assessment from the last 6 months (as urgency 3)"})
    confirm_new = Flag(load_default=False, metadata={
        "description": "true: create it even though a record with this name and date of birth exists (409 possible_duplicate otherwise)"})


class ShareRequestBody(Body):
    """Who the PA was about to add, to ask the PA of a matching record to share it."""

    first_name = Text(required=True, validate=validate.Length(1, 100, error="must be 1 to 100 characters"))
    last_name = Text(required=True, validate=validate.Length(1, 100, error="must be 1 to 100 characters"))
    date_of_birth = Date(required=True)
    note = Text(load_default="", validate=validate.Length(max=500))


class ClientChanges(ClientBody):
    """Changes to a record (used partial: only the members given change)."""


class NeedBody(Body):
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES), error="choose one of: " + ", ".join(CATEGORIES)))
    notes = Text(load_default="", validate=validate.Length(max=2000))


class ConsentBody(Body):
    organisation_id = Id(required=True, metadata={"description": "the agency the young person consents to share with"})
    purpose = fields.String(load_default="referral", validate=validate.OneOf(list(CONSENT_PURPOSES)))
    given = Flag(required=True, metadata={"description": "true: consent given; false: withdrawn or refused"})
    note = Text(load_default="", validate=validate.Length(max=500))
    expires_on = Date(load_default=None, allow_none=True, metadata={
        "description": "the last day given consent is in force; default BROKER_CONSENT_MONTHS (12) months from today"})


# ------------------------------------------------------------------------- output


class Need(Schema):
    id = fields.Integer()
    category = fields.String()
    notes = fields.String()
    status = fields.String()
    recorded_on = fields.Date()


class ShareRequestOut(Schema):
    id = fields.Integer()
    requested_by = fields.String(attribute="requested_by.name")
    email = fields.String(attribute="requested_by.email")
    requested_at = Instant()
    note = fields.String()


class Asked(Schema):
    message = fields.String()


class ConsentRow(Schema):
    organisation_id = computed(fields.Integer(), lambda row: row["organisation"].id)
    organisation = computed(fields.String(), lambda row: row["organisation"].name)
    purpose = fields.String()
    given = fields.Boolean(metadata={"description": "in force now: given and not expired"})
    expired = fields.Boolean()
    expires_on = fields.Date(allow_none=True)


class Consents(Schema):
    consents = computed(fields.List(fields.Nested(ConsentRow)), clients.consents_by_agency)


class ClientRecord(Schema):
    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    date_of_birth = fields.Date()
    age = computed(fields.Integer(), _age)
    home_postcode = fields.String()
    available_from = fields.Date()
    urgency = fields.Integer()
    max_travel_km = fields.Float()
    assessment_date = fields.Date(allow_none=True)
    complex_needs = fields.Boolean()
    review_date = fields.Date(allow_none=True)
    summary = fields.String()
    risks = fields.String()
    area = computed(fields.String(allow_none=True, metadata={
        "description": "the council (ONS code) whose services they can use: as recorded, else the home postcode's "
                       "(null outside the councils served)"}), client_area)
    area_recorded = computed(fields.Boolean(metadata={"description": "true: area was set (placed away from home)"}),
                             lambda c: c.area is not None)
    criteria = fields.List(fields.String())
    preferences = computed(fields.List(fields.Integer(), metadata={"description": "provision ids, best first"}),
                           lambda c: [p.provision_id for p in c.preferences])
    needs = fields.List(fields.Nested(Need))
    consents = computed(fields.List(fields.Nested(ConsentRow)), clients.consents_by_agency)
    share_requests = computed(fields.List(fields.Nested(ShareRequestOut)), lambda c: (
        clients.share_requests(c) if c.pa_id == caller().id else []))


class ClientSummary(Schema):
    id = fields.Integer()
    name = fields.String(attribute="display_name")
    age = computed(fields.Integer(), _age)
    urgency = fields.Integer()
    open_needs = computed(fields.List(fields.String()), lambda c: [n.category for n in c.open_needs])


class Caseload(Schema):
    clients = fields.List(fields.Nested(ClientSummary))


class NeedAdded(Schema):
    id = fields.Integer()
    category = fields.String()
    status = fields.String()


class Breakdown(Schema):
    """The terms of `value` (docs/matching-problem-v2.md): it is their sum."""

    urgency = computed(fields.Float(), lambda o: round(o.urgency_part, 2))
    waited = computed(fields.Float(metadata={"description": "for the days the need has waited since recorded"}),
                      lambda o: round(o.waited_part, 2))
    preference = computed(fields.Float(metadata={"description": "for the young person's own ranking of the listing"}),
                          lambda o: round(o.preference_part, 2))
    wait = computed(fields.Float(metadata={"description": "urgency x days until the start"}), lambda o: -round(o.wait_cost, 2))
    travel = computed(fields.Float(), lambda o: -round(o.km_cost, 2))


class Option(Schema):
    provision_id = fields.Integer(attribute="provision.id")
    provision = fields.String(attribute="provision.name")
    provider = fields.String(attribute="provision.organisation.name")
    intake_id = fields.Integer(attribute="intake.id")
    start = fields.Date(attribute="option.start")
    rolling = fields.Boolean(attribute="option.rolling")
    wait_days = fields.Integer(attribute="option.wait_days")
    distance_km = computed(fields.Float(), lambda o: round(o.option.km, 2))
    places_left = fields.Integer(attribute="option.places_left")
    stale = fields.Boolean()
    value = computed(fields.Float(), lambda o: round(o.option.value, 2))
    breakdown = computed(fields.Nested(Breakdown), lambda o: o.option)


class Excluded(Schema):
    provision_id = computed(fields.Integer(), lambda e: e[0].id)
    provision = computed(fields.String(), lambda e: e[0].name)
    reason = computed(fields.String(), lambda e: e[1])


class NeedRef(Schema):
    id = fields.Integer()
    category = fields.String()


class NeedSuggestions(Schema):
    need = fields.Nested(NeedRef)
    note = fields.String(allow_none=True)
    eligible = fields.Integer(attribute="eligible_count")
    options = fields.List(fields.Nested(Option))
    excluded = fields.List(fields.Nested(Excluded))
    excluded_count = fields.Integer()


class Suggestions(Schema):
    client_id = fields.Integer()
    needs = fields.List(fields.Nested(NeedSuggestions))


# ------------------------------------------------------------------------- endpoints


def with_client(action: str = "view"):
    """Look the young person up (audited; 404 if not on the PA's caseload) before the body is
    read, so a request about someone else's record is refused for access, not for its content."""

    def decorator(view):
        @functools.wraps(view)
        def inner(*args, client_id: int, **kwargs):
            return view(*args, client=clients.client_for(caller(), client_id, action=action), **kwargs)

        return inner

    return decorator


@bp.get("/clients")
@bp.token_required("pa", "lead")
@bp.response(200, Caseload)
def list_clients():
    """The PA's caseload: their own young people and those shared with them (a team lead: their PAs' young people)."""
    return {"clients": clients.list_caseload(caller())}


@bp.post("/clients")
@bp.token_required("pa")
@bp.arguments(ClientBody)
@bp.response(201, ClientRecord)
@bp.errors(409)
def create_client(body):
    """Add a young person to the PA's caseload (409 possible_duplicate: the same name and date of birth exist)."""
    return clients.create_client(caller(), body)


@bp.post("/clients/share-requests")
@bp.token_required("pa")
@bp.arguments(ShareRequestBody)
@bp.response(202, Asked)
def request_share(body):
    """Ask the PA of a record with this name and date of birth to share it; says nothing of whether one matched."""
    clients.request_share(caller(), body["first_name"], body["last_name"], body["date_of_birth"], body["note"])
    return {"message": "If a record matches, its Personal Adviser has been asked to share it with you."}


@bp.get("/clients/<int:client_id>")
@bp.token_required("pa", "lead")
@with_client()
@bp.response(200, ClientRecord)
@bp.errors(404)
def get_client(client):
    """A young person's record with needs and the consent in force per agency."""
    return client


@bp.patch("/clients/<int:client_id>")
@bp.token_required("pa")
@with_client(action="update")
@bp.arguments(ClientChanges(partial=True))
@bp.response(200, ClientRecord)
@bp.errors(404)
def update_client(body, client):
    """Change a young person's record: only the members given change."""
    return clients.update_client(caller(), client, body)


@bp.post("/clients/<int:client_id>/needs")
@bp.token_required("pa")
@with_client()
@bp.arguments(NeedBody)
@bp.response(201, NeedAdded)
@bp.errors(404)
def add_need(body, client):
    """Record an assessed need."""
    return clients.add_need(caller(), client, body["category"], body["notes"])


@bp.post("/clients/<int:client_id>/consents")
@bp.token_required("pa")
@with_client()
@bp.arguments(ConsentBody)
@bp.response(201, Consents)
@bp.errors(404)
def record_consent(body, client):
    """Record the young person's decision to share with an agency, for a purpose, until `expires_on`.

    Withdrawing referral consent pauses that agency's open referrals; giving it again resumes them."""
    clients.record_consent(caller(), client, body["organisation_id"], body["purpose"], body["given"], body["note"],
                           body["expires_on"])
    return client


@bp.get("/clients/<int:client_id>/suggestions")
@bp.token_required("pa")
@with_client(action="view_suggestions")
@bp.response(200, Suggestions)
@bp.errors(404)
def suggestions(client):
    """Placement suggestions per open need, with why each option ranks where it does."""
    return {"client_id": client.id, "needs": suggestions_for(client)}
