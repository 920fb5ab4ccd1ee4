"""Machine API for providers' own systems: replace a listing's intakes atomically.

`PUT /api/v1/provisions/<id>/intakes` with `Authorization: Bearer <token>`, where the
token is an organisation token (made on the provider's Tokens page) or a provider staff
member's token from `POST /api/v1/auth/token`. Body:
`{"intakes": [{"start": "2027-01-12", "places": 12, "rolling": false}, ...]}`.
"""
import datetime as dt

from flask import Blueprint, abort, jsonify, request

from broker.api.provisions import provision_record
from broker.auth.services import user_for_token
from broker.directory.models import Provision
from broker.extensions import db
from broker.providers import services

bp = Blueprint("api_vacancies", __name__, url_prefix="/api/v1")


def _caller():
    """(organisation_id, user, token_id) for the bearer token, else 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        org_token = services.organisation_for_token(token)
        if org_token is not None:
            return org_token.organisation_id, None, org_token.id
        user = user_for_token(token)
        if user is not None and user.role == "provider":
            return user.organisation_id, user, None
    abort(401, description="send an organisation token or a provider's token: Authorization: Bearer <token>")


def _problems_response(problems, status=400):
    first = problems[0]
    return jsonify(
        error="invalid",
        field=first.field,
        message=str(first),
        errors=[{"row": p.row, "field": p.field, "message": p.message} for p in problems],
    ), status


@bp.put("/provisions/<int:provision_id>/intakes")
def replace_intakes(provision_id: int):
    organisation_id, user, token_id = _caller()
    p = db.session.get(Provision, provision_id)
    if p is None:
        abort(404, description=f"no provision with id {provision_id}")
    if p.organisation_id != organisation_id:
        abort(403, description=f"provision {provision_id} belongs to another organisation")
    body = request.get_json(silent=True)
    items = body.get("intakes") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return _problems_response([services.Problem("", "intakes", 'send JSON {"intakes": [{"start", "places", "rolling"}, ...]}')])
    today = dt.date.today()
    problems: list[services.Problem] = []
    rows = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(services.Problem("", f"intakes[{n}]", "must be an object with start, places, rolling"))
            continue
        unknown = set(item) - {"start", "places", "rolling"}
        if unknown:
            problems.append(services.Problem("", f"intakes[{n}].{sorted(unknown)[0]}", "is not a field of an intake"))
        row = services.check_row(item.get("start"), item.get("places"), item.get("rolling"), "", today, problems, prefix=f"intakes[{n}].")
        if row:
            row.row = f"intakes[{n}]"
            rows.append(row)
    if problems:
        return _problems_response(problems)
    try:
        services.replace_intakes(p, rows, "api", user, token_id)
    except services.PlaceConflict as exc:
        return _problems_response(exc.problems, 409)
    except services.InputProblems as exc:
        db.session.rollback()
        return _problems_response(exc.problems)
    return jsonify(provision_record(p, today))
