"""Brokerage directory and placement matching service."""
from __future__ import annotations

import os

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from broker.config import PROJECT_ROOT, Config
from broker.extensions import db, migrate


def create_app(config: dict | None = None) -> Flask:
    """The app factory: config from the environment, overridden by `config` (tests)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("BROKER_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(Config(app.instance_path).as_dict())
    if config:
        app.config.from_mapping(config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.json.sort_keys = False  # keep API fields in the documented order

    db.init_app(app)
    migrate.init_app(app, db)

    # Import models so that metadata and migrations see every table.
    from broker.directory import index_sync, models  # noqa: F401

    index_sync.install()

    from broker.api.provisions import bp as api_provisions
    from broker.directory.views import bp as directory_views

    app.register_blueprint(directory_views)
    app.register_blueprint(api_provisions)

    from broker import template_helpers

    template_helpers.register(app)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code
        return render_template("error.html", error=exc), exc.code

    from broker.cli import register_commands

    register_commands(app)
    return app
