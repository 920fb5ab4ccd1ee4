"""API for providers' own systems: replace a listing's upcoming intakes atomically.

`PUT /api/v1/provisions/<id>/intakes` with an organisation token (made on the provider's
Tokens page) or a provider staff member's token from `POST /api/v1/auth/token`.
"""
from __future__ import annotations

import datetime as dt
import functools

from marshmallow import fields, validate

from broker.api import ApiBlueprint, caller
from broker.api.schemas import Body, Date, Strict, Whole
from broker.auth.models import User
from broker.directory.api import ProvisionRecord
from broker.directory.models import Provision
from broker.errors import Forbidden, NotFound
from broker.extensions import db
from broker.providers import services

bp = ApiBlueprint("Intakes", __name__, description="Providers keep their listings' start dates and places current.")


class IntakeIn(Strict):
    error_messages = {"unknown": "is not a field of an intake"}

    start = Date(required=True, metadata={"description": "today or later, unless rolling; at most two years ahead"})
    places = Whole(required=True, validate=validate.Range(0, services.MAX_PLACES, error=f"must be between 0 and {services.MAX_PLACES}"))
    rolling = fields.Boolean(load_default=False, metadata={"description": "can be joined any day from its start"})


class IntakesBody(Body):
    intakes = fields.List(fields.Nested(IntakeIn), required=True, validate=validate.Length(max=500))


def with_own_provision(view):
    """Look the listing up (404; 403 if another organisation's) before the body is read."""

    @functools.wraps(view)
    def inner(*args, provision_id: int, **kwargs):
        p = db.session.get(Provision, provision_id)
        if p is None:
            raise NotFound("provision_id", f"no provision with id {provision_id}")
        if p.organisation_id != caller().organisation_id:
            raise Forbidden("provision_id", f"provision {provision_id} belongs to another organisation")
        return view(*args, provision=p, **kwargs)

    return inner


@bp.put("/provisions/<int:provision_id>/intakes")
@bp.token_required("provider", "organisation")
@with_own_provision
@bp.arguments(IntakesBody)
@bp.response(200, ProvisionRecord)
@bp.errors(400, 404, 409)
def replace_intakes(body, provision: Provision):
    """Replace the listing's upcoming intakes with exactly these; all or nothing.

    Places held by referrals stay held: an intake cannot drop below them (409 if one is
    taken meanwhile). Errors name the field, e.g. `intakes[1].places`.
    """
    who = caller()
    user, token_id = (who, None) if isinstance(who, User) else (None, who.id)
    today = dt.date.today()
    problems: list[services.Problem] = []
    rows = []
    for n, item in enumerate(body["intakes"]):
        row = services.check_row(item["start"], item["places"], item["rolling"], "", today, problems, prefix=f"intakes[{n}].")
        if row:
            row.row = f"intakes[{n}]"
            rows.append(row)
    if problems:
        raise services.refusal(problems)
    services.replace_intakes(provision, rows, "api", user, token_id)
    return provision
