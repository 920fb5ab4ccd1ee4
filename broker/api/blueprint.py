"""What every API endpoint is built from: `ApiBlueprint`, its argument parser and token auth.

    bp = ApiBlueprint("clients", __name__, description="A PA's young people")

    @bp.post("/clients/<int:client_id>/needs")
    @bp.token_required("pa")
    @bp.arguments(NeedBody)
    @bp.response(201, NeedOut)
    @bp.errors(404)
    def add_need(body, client_id): ...

`arguments` parses and validates the input with a marshmallow schema (the JSON body through
`broker.inputs.read_json`, with its limits); a problem answers 400 naming the field
(`intakes[1].places`). `response` dumps the return value with its schema. Both, and the
token and errors, go into the OpenAPI document. Services raise `broker.errors` types; the
request boundary (`broker.boundary`) answers them in the one error shape and commits.
"""
from __future__ import annotations

import functools
from typing import Iterator

import flask_smorest
from flask import g
from flask_httpauth import HTTPTokenAuth
from webargs.flaskparser import FlaskParser, is_json_request

from broker import inputs
from broker.errors import BadParameter, Forbidden, InputError, Unauthorised

SECURITY_SCHEME = "bearerAuth"
HTTP_STATUS_NAMES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY", 429: "TOO_MANY_REQUESTS",
}


def problems(messages, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, message) for each of marshmallow's messages, e.g. ("intakes[1].places", ...)."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            yield from problems(value, sub)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                yield from problems(item, path)
            else:
                yield path, str(item)
    else:
        yield path, str(messages)


class Parser(FlaskParser):
    """webargs' Flask parser with the app's JSON reader and error type."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        if not is_json_request(req):
            raise InputError(None, "send a JSON object with Content-Type: application/json")
        return inputs.read_json(req.get_data(cache=True))

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        ((location, messages),) = error.messages.items()
        found = list(problems(messages))
        kind = BadParameter if location in ("query", "querystring") else InputError
        field, message = found[0]
        raise kind(
            field or None, message,
            errors=[{"field": f or None, "message": m} for f, m in found] if len(found) > 1 else None,
        )


token_auth = HTTPTokenAuth(scheme="Bearer")


@token_auth.verify_token
def _verify_token(token: str):
    """A user's token (POST /auth/token), else an organisation's token; None if neither."""
    from broker.auth.services import user_for_token
    from broker.providers.services import organisation_for_token

    if not token:
        return None
    user = user_for_token(token)
    if user is not None:
        g.api_user = user  # the audit records these requests as made through the API
        return user
    return organisation_for_token(token)


@token_auth.get_user_roles
def _roles(principal) -> str:
    from broker.auth.models import User

    return principal.role if isinstance(principal, User) else "organisation"


@token_auth.error_handler
def _refused(status: int):
    if status == 401:
        raise Unauthorised(None, "send a valid token: Authorization: Bearer <token> (POST /api/v1/auth/token)")
    from broker.auth.models import User
    from broker.auth.services import audit_role_denial

    if isinstance(token_auth.current_user(), User):
        audit_role_denial(token_auth.current_user())
    roles = g.get("required_roles", ())
    raise Forbidden(None, f"this needs a token of one of the roles: {', '.join(roles)}")


def caller():
    """Who the request's token belongs to: a User, or an OrganisationToken."""
    return token_auth.current_user()


class ApiBlueprint(flask_smorest.Blueprint):
    """A group of API endpoints under /api/v1, documented in the OpenAPI document."""

    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, **kwargs):
        kwargs.setdefault("url_prefix", "/api/v1")
        super().__init__(name, import_name, **kwargs)

    def token_required(self, *roles: str):
        """The endpoint needs `Authorization: Bearer <token>` of one of these roles (401/403 otherwise).
        Roles are the users' (pa, provider, manager, admin) and `organisation` for an organisation token."""

        def decorator(view):
            guarded = token_auth.login_required(role=list(roles))(view)

            @functools.wraps(guarded)
            def inner(*args, **kwargs):
                g.required_roles = roles
                return guarded(*args, **kwargs)

            documented = flask_smorest.Blueprint.doc(security=[{SECURITY_SCHEME: []}])(inner)
            return self.errors(401, 403)(documented)

        return decorator

    def errors(self, *statuses: int):
        """Document the error answers an endpoint can give (all in the one error shape)."""

        def decorator(view):
            for status in statuses:
                view = self.alt_response(status, response=HTTP_STATUS_NAMES[status])(view)
            return view

        return decorator
