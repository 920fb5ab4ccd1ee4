"""Brokerage directory and placement matching service."""
from __future__ import annotations

import os

from flask import Flask

from broker import security
from broker.config import DEV_SECRET_KEY, PROJECT_ROOT, Config
from broker.extensions import cors, csrf, db, limiter, login_manager, migrate, server_sessions


def create_app(config: dict | None = None) -> Flask:
    """The app factory: config from the environment, overridden by `config` (tests)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("BROKER_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
        # Vendored GOV.UK Frontend and our own CSS/JS (scripts/refresh-frontend.sh builds them).
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(Config(app.instance_path).as_dict())
    if config:
        app.config.from_mapping(config)
    os.makedirs(app.instance_path, exist_ok=True)
    # Check a pooled connection before use (a restarted database is not an error), and give
    # up connecting to PostgreSQL after a few seconds so a page says 503 rather than hangs.
    engine_options = {"pool_pre_ping": True}
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        engine_options["connect_args"] = {"connect_timeout": app.config["BROKER_DB_CONNECT_TIMEOUT"]}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.config.get("TESTING"):
        app.logger.warning("SECRET_KEY is the development default: set SECRET_KEY before serving real users")
    app.json.sort_keys = False  # keep API fields in the documented order

    from broker import boundary

    boundary.install(app)  # before any blueprint, so every route's ids use its converter
    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # No flashed message: it would create a session for every anonymous visitor sent to
    # sign in. The sign-in page says "Sign in to see that page" when it has a `next`.
    login_manager.login_message = None
    csrf.init_app(app)
    server_sessions.init_app(app)
    limiter.init_app(app)
    # The Open Referral API is open to any web page (its compliance rules); nothing else is.
    cors.init_app(app, resources={r"/oruk/*": {"origins": "*", "send_wildcard": True, "methods": ["GET", "HEAD", "OPTIONS"]}})
    security.init_app(app)

    # Import models so that metadata and migrations see every table.
    from broker.audit import models as _audit  # noqa: F401
    from broker.auth import models as _auth  # noqa: F401
    from broker.casework import models as _casework  # noqa: F401
    from broker.clients import models as _clients  # noqa: F401
    from broker.directory import index_sync, models  # noqa: F401
    from broker.insight import models as _insight  # noqa: F401
    from broker.jobs import models as _jobs  # noqa: F401
    from broker.notifications import models as _notifications  # noqa: F401
    from broker.providers import models as _providers  # noqa: F401
    from broker.referrals import models as _referrals  # noqa: F401

    index_sync.install()
    from broker.jobs import queue as job_queue

    job_queue.install()
    # Kinds of job and due jobs, so web nodes and workers know the same ones.
    from broker.directory import jobs as _directory_jobs  # noqa: F401
    from broker.insight import jobs as _insight_jobs  # noqa: F401
    from broker.providers import jobs as _provider_jobs  # noqa: F401
    from broker.referrals import jobs as _referral_jobs  # noqa: F401
    from broker.notifications import mail

    mail.init_app(app)
    mail.install()
    from broker.referrals import pausing as _pausing_jobs  # noqa: F401

    from broker.audit.views import bp as admin_views
    from broker.auth.views import bp as auth_views
    from broker.casework.views import bp as casework_views
    from broker.clients.views import bp as client_views
    from broker.directory.oruk.publish import bp as oruk_api
    from broker.directory.oruk.review import bp as review_views
    from broker.directory.views import bp as directory_views
    from broker.home.views import bp as home_views
    from broker.insight.views import bp as insight_views
    from broker.jobs.views import bp as job_views
    from broker.notifications.views import bp as notification_views
    from broker.providers.views import bp as provider_views
    from broker.referrals.views import bp as referral_views

    for blueprint in (directory_views, home_views, auth_views, client_views, referral_views, admin_views, provider_views,
                      insight_views, job_views, review_views, oruk_api, notification_views, casework_views):
        app.register_blueprint(blueprint)

    from broker import api

    api.init_app(app, csrf)  # every JSON endpoint, its OpenAPI document and docs page

    from broker import health, template_helpers

    template_helpers.register(app)
    health.register(app)

    from broker.cli import register_commands

    register_commands(app)
    return app
