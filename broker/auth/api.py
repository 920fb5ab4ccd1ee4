"""API: exchange an email and password for a bearer token."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint
from broker.api.schemas import Body, Instant, Text
from broker.auth import services
from broker.auth.models import ROLES
from broker.auth.views import sign_in_limit

bp = ApiBlueprint("Tokens", __name__, description="Bearer tokens for the API.")


class Credentials(Body):
    email = Text(required=True, validate=validate.Length(max=200))
    password = Text(required=True, validate=validate.Length(max=1000))


class TokenUser(Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()
    organisation_id = fields.Integer(allow_none=True, metadata={
        "description": "the provider organisation a provider's staff work for (its listings, its referrals); null otherwise"})


class Token(Schema):
    token = fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    expires_at = Instant()
    user = fields.Nested(TokenUser)


@bp.post("/auth/token")
@sign_in_limit
@bp.arguments(Credentials)
@bp.response(200, Token)
@bp.errors(401, 429)
def issue_token(body):
    """A token for the account with this email and password (401 if they are not right; 429
    after too many failures from one address, or in a row for one account)."""
    user = services.authenticate(body["email"], body["password"])
    value, expires = services.issue_token(user)
    return {"token": value, "expires_at": expires, "user": user}


@bp.delete("/auth/token")
@bp.token_required(*ROLES)
@bp.response(204)
def revoke_token():
    """End the token this request carries, at once (signing out of the web ends all of a user's tokens)."""
    services.revoke_token(request.headers["Authorization"].partition(" ")[2].strip())
