"""The JSON API at /api/v1: one schema layer (flask-smorest with marshmallow), token auth
(Flask-HTTPAuth), the OpenAPI document at /api/v1/openapi.json and its docs page at /api/v1/docs.

Endpoints live beside their domain, in `broker/<domain>/api.py`, each module one
`ApiBlueprint` (see `broker.api.blueprint` and docs/api.md for how to add one).
"""
from __future__ import annotations

import flask_smorest
from flask import Flask

from broker.api.blueprint import SECURITY_SCHEME, ApiBlueprint, caller, token_auth
from broker.api.schemas import Error
from broker.inputs import MAX_ID, IdConverter


__all__ = ["ApiBlueprint", "caller", "token_auth", "init_app"]


class Api(flask_smorest.Api):
    """flask-smorest, answering errors through the app's own handlers (one shape, `Error`)."""

    ERROR_SCHEMA = Error

    def _register_error_handlers(self):
        pass  # broker.boundary answers every error, API or page


API_CONFIG = {
    "API_TITLE": "Broker API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}

def blueprints() -> list[ApiBlueprint]:
    """Every API blueprint, in the order the document lists them."""
    from broker.auth.api import bp as auth_api
    from broker.casework.api import bp as casework_api
    from broker.clients.api import bp as clients_api
    from broker.directory.api import bp as directory_api
    from broker.insight.api import bp as insight_api
    from broker.notifications.api import bp as notifications_api
    from broker.providers.api import bp as providers_api
    from broker.referrals.api import bp as referrals_api

    return [directory_api, providers_api, auth_api, clients_api, casework_api, referrals_api, insight_api, notifications_api]


# The OpenAPI document depends only on the code and the API_* settings, and building it
# (marshmallow schemas into JSON Schema) is two thirds of the time it takes to make an app.
# Apps made in one process (a test each, the CLI's) share the document built first; nothing
# changes a document once built, and each app still has its own Api, routes and handlers.
_documents: dict[tuple, object] = {}


def init_app(app: Flask, csrf) -> Api:
    """The API for this app, with the OpenAPI document for its settings."""
    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api = Api(
        app,
        spec_kwargs={
            "info": {
                "description": "Provision search for everyone; young people, referrals and shortages with a bearer "
                "token from POST /api/v1/auth/token (or an organisation token for its listings' intakes). "
                'Every error is {"error", "field", "message"}, plus "errors" when there are several.',
            },
        },
    )
    api.register_converter(IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    settings = tuple(str(app.config.get(key)) for key in sorted(app.config) if key.startswith(("API_", "OPENAPI_")))
    built = _documents.get(settings)
    if built is None:
        api.spec.components.security_scheme(
            SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "description": "a user's or an organisation's API token"}
        )
    # The API authenticates with bearer tokens, never cookies, so CSRF does not apply.
    for bp in blueprints():
        csrf.exempt(bp)
        if built is None:
            api.register_blueprint(bp)
        else:
            # Api.register_blueprint without documenting the views again (flask-smorest is pinned).
            app.extensions["flask-smorest"]["blp_name_to_api"][bp.name] = api
            app.register_blueprint(bp)
    if built is None:
        _documents[settings] = api.spec
    else:
        api.spec = built
    from broker.api.docs import bp as docs

    app.register_blueprint(docs)
    return api
