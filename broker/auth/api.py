"""API: exchange an email and password for a bearer token."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from broker.api import ApiBlueprint
from broker.api.schemas import Body, Instant, Text
from broker.auth import services
from broker.errors import Unauthorised
from broker.extensions import limiter

bp = ApiBlueprint("Tokens", __name__, description="Bearer tokens for the API.")


class Credentials(Body):
    email = Text(required=True, validate=validate.Length(max=200))
    password = Text(required=True, validate=validate.Length(max=1000))


class TokenUser(Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()


class Token(Schema):
    token = fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    expires_at = Instant()
    user = fields.Nested(TokenUser)


@bp.post("/auth/token")
@limiter.limit(lambda: current_app.config["BROKER_LOGIN_LIMIT"])
@bp.arguments(Credentials)
@bp.response(200, Token)
@bp.errors(401, 429)
def issue_token(body):
    """A token for the account with this email and password (401 if they are not right)."""
    user = services.authenticate(body["email"], body["password"])
    if user is None:
        raise Unauthorised("password", "the email or password is not right")
    value, expires = services.issue_token(user)
    return {"token": value, "expires_at": expires, "user": user}
