"""JSON API for PAs and providers: tokens, clients, suggestions and referrals.

Token auth only (no cookies), so no CSRF. Errors name the field:
`{"error": ..., "field": ..., "message": ...}`.
"""
import datetime as dt

from flask import Blueprint, g, jsonify, request
from werkzeug.datastructures import MultiDict

from broker.audit import services as audit
from broker.auth import services as auth
from broker.auth.models import ROLES
from broker.auth.services import api_roles_required
from broker.auth.views import sign_in_limit
from broker.clients import services as clients
from broker.clients.forms import ClientForm, NeedForm
from broker.clients.suggestions import suggestions_for
from broker.extensions import db
from broker.referrals import services as referrals
from broker.referrals.models import Referral

bp = Blueprint("api_people", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(self, status: int, field: str | None, message: str, error: str = "invalid"):
        self.status, self.field, self.message, self.error = status, field, message, error


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return jsonify(error=exc.error, field=exc.field, message=exc.message), exc.status


@bp.errorhandler(referrals.ReferralError)
def referral_error(exc: referrals.ReferralError):
    error = {409: "conflict", 403: "forbidden", 404: "not_found"}.get(exc.status, "invalid")
    return jsonify(error=error, field=exc.field, message=exc.message), exc.status


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, None, "send a JSON object with Content-Type: application/json")
    return body


def _form(form_class, body: dict):
    data = MultiDict({k: str(v) for k, v in body.items() if v is not None and not isinstance(v, (dict, list))})
    form = form_class(formdata=data, meta={"csrf": False})
    if not form.validate():
        field, errors = next(iter(form.errors.items()))
        raise ApiError(400, field, errors[0])
    return form


@bp.post("/auth/token")
@sign_in_limit
def token():
    body = _body()
    user = auth.authenticate(str(body.get("email", "")), str(body.get("password", "")))
    value, expires = auth.issue_token(user)
    return jsonify(token=value, expires_at=expires.isoformat(), user={"id": user.id, "role": user.role, "name": user.name})


@bp.delete("/auth/token")
@api_roles_required(*ROLES)
def revoke_token():
    """End the token this request carries (signing out of the web ends all of a user's tokens)."""
    auth.revoke_token(request.headers["Authorization"].partition(" ")[2].strip())
    return "", 204


def client_record(c, today) -> dict:
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "date_of_birth": c.date_of_birth.isoformat(),
        "age": c.age_on(today),
        "home_postcode": c.home_postcode,
        "available_from": c.available_from.isoformat(),
        "urgency": c.urgency,
        "max_travel_km": c.max_travel_km,
        "assessment_date": c.assessment_date.isoformat() if c.assessment_date else None,
        "review_date": c.review_date.isoformat() if c.review_date else None,
        "summary": c.summary,
        "risks": c.risks,
        "needs": [
            {"id": n.id, "category": n.category, "notes": n.notes, "status": n.status, "recorded_on": n.recorded_on.isoformat()}
            for n in c.needs
        ],
        "consents": [
            {"organisation_id": row["organisation"].id, "organisation": row["organisation"].name,
             "purpose": row["purpose"], "given": row["given"]}
            for row in clients.consents_by_agency(c)
        ],
    }


@bp.get("/clients")
@api_roles_required("pa")
def list_clients():
    today = dt.date.today()
    rows = clients.list_caseload(g.api_user)
    return jsonify(
        clients=[
            {"id": c.id, "name": c.display_name, "age": c.age_on(today), "urgency": c.urgency,
             "open_needs": [n.category for n in c.open_needs]}
            for c in rows
        ]
    )


@bp.post("/clients")
@api_roles_required("pa")
def create_client():
    form = _form(ClientForm, _body())
    client = clients.create_client(g.api_user, {k: form[k].data for k in clients.CLIENT_FIELDS}, form.resolved_place)
    return jsonify(client_record(client, dt.date.today())), 201


@bp.get("/clients/<int:client_id>")
@api_roles_required("pa")
def get_client(client_id: int):
    return jsonify(client_record(clients.client_for(g.api_user, client_id), dt.date.today()))


@bp.post("/clients/<int:client_id>/needs")
@api_roles_required("pa")
def add_need(client_id: int):
    client = clients.client_for(g.api_user, client_id, action="view")
    form = _form(NeedForm, _body())
    need = clients.add_need(g.api_user, client, form.category.data, form.notes.data)
    return jsonify(id=need.id, category=need.category, status=need.status), 201


@bp.post("/clients/<int:client_id>/consents")
@api_roles_required("pa")
def record_consent(client_id: int):
    client = clients.client_for(g.api_user, client_id, action="view")
    body = _body()
    if not isinstance(body.get("given"), bool):
        raise ApiError(400, "given", "must be true (consent given) or false (withdrawn or refused)")
    if not isinstance(body.get("organisation_id"), int):
        raise ApiError(400, "organisation_id", "must be the id of an agency")
    try:
        clients.record_consent(
            g.api_user, client, body["organisation_id"], str(body.get("purpose", "referral")), body["given"],
            str(body.get("note", "")),
        )
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise ApiError(400, field, message) from None
    return jsonify(consents=client_record(client, dt.date.today())["consents"]), 201


@bp.get("/clients/<int:client_id>/suggestions")
@api_roles_required("pa")
def suggestions(client_id: int):
    client = clients.client_for(g.api_user, client_id, action="view_suggestions")
    out = []
    for view in suggestions_for(client):
        out.append(
            {
                "need": {"id": view.need.id, "category": view.need.category},
                "note": view.note,
                "eligible": view.eligible_count,
                "options": [
                    {
                        "provision_id": o.provision.id,
                        "provision": o.provision.name,
                        "provider": o.provision.organisation.name,
                        "intake_id": o.intake.id,
                        "start": o.option.start.isoformat(),
                        "rolling": o.option.rolling,
                        "wait_days": o.option.wait_days,
                        "distance_km": round(o.option.km, 2),
                        "places_left": o.option.places_left,
                        "stale": o.stale,
                        "value": round(o.option.value, 2),
                        "breakdown": {
                            "urgency": round(o.option.urgency_part, 2),
                            "wait": -round(o.option.wait_cost, 2),
                            "travel": -round(o.option.km_cost, 2),
                        },
                    }
                    for o in view.options
                ],
                "excluded": [
                    {"provision_id": p.id, "provision": p.name, "reason": reason} for p, reason, _ in view.excluded
                ],
                "excluded_count": view.excluded_count,
            }
        )
    return jsonify(client_id=client.id, needs=out)


def referral_record(r: Referral, user) -> dict:
    view = referrals.visible_to(user, r)
    record = {
        "id": r.id,
        "status": r.status,
        "provision": {"id": r.provision_id, "name": r.provision.name, "provider": r.organisation.name},
        "intake": {"id": r.intake_id, "start": r.intake.start.isoformat(), "rolling": r.intake.rolling},
        "need": r.need.category,
        "answer_by": r.answer_by.isoformat(),
        "sent_at": r.sent_at.isoformat(),
        "decline_reason": r.decline_reason,
        "message": r.message,
        "history": [{"at": e["at"].isoformat(), "status": e["status"], "note": e["note"]} for e in view.history],
        "client": view.client,
    }
    if user.role != "provider":
        record.update(summary=view.summary, risks=view.risks)
    return record


@bp.get("/referrals")
@api_roles_required("pa", "provider")
def list_referrals():
    if g.api_user.role == "provider":
        rows = referrals.inbox(g.api_user)
    else:
        ids = [c.id for c in clients.caseload(g.api_user)]
        rows = db.session.scalars(db.select(Referral).where(Referral.client_id.in_(ids)).order_by(Referral.id.desc())).all()
    for r in rows:
        audit.record(g.api_user, "list", "referral", r.id, r.client_id)
    db.session.commit()
    return jsonify(referrals=[referral_record(r, g.api_user) for r in rows])


@bp.post("/referrals")
@api_roles_required("pa")
def create_referral():
    body = _body()
    for name in ("client_id", "need_id", "intake_id"):
        if not isinstance(body.get(name), int):
            raise ApiError(400, name, "must be a whole number id")
    answer_by = None
    if body.get("answer_by"):
        try:
            answer_by = dt.date.fromisoformat(str(body["answer_by"]))
        except ValueError:
            raise ApiError(400, "answer_by", "must be a date as YYYY-MM-DD") from None
    client = clients.client_for(g.api_user, body["client_id"], action="view")
    referral = referrals.send_referral(
        g.api_user, client, body["need_id"], body["intake_id"], str(body.get("summary", "")),
        str(body.get("risks", "")), answer_by,
    )
    return jsonify(referral_record(referral, g.api_user)), 201


@bp.get("/referrals/<int:referral_id>")
@api_roles_required("pa", "provider")
def get_referral(referral_id: int):
    return jsonify(referral_record(referrals.referral_for(g.api_user, referral_id), g.api_user))


@bp.post("/referrals/<int:referral_id>/answer")
@api_roles_required("provider")
def answer_referral(referral_id: int):
    body = _body()
    referral = referrals.referral_for(g.api_user, referral_id, action="view")
    referrals.answer(g.api_user, referral, str(body.get("decision", "")), str(body.get("reason", "")), str(body.get("message", "")))
    return jsonify(referral_record(referral, g.api_user))


@bp.post("/referrals/<int:referral_id>/update")
@api_roles_required("pa")
def update_referral(referral_id: int):
    body = _body()
    referral = referrals.referral_for(g.api_user, referral_id, action="view")
    referrals.pa_update(g.api_user, referral, str(body.get("action", "")), str(body.get("note", "")))
    return jsonify(referral_record(referral, g.api_user))
