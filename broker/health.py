"""Is the service able to answer? `/healthz` for load balancers and monitoring, and a
clear 503 (page or JSON) instead of a generic 500 whenever the database is unreachable.

The health answer names no person and no record: only whether the database answers and
the search index can be read, with its document count.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from whoosh import index as whoosh_index

from broker.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

# What a database that is down, unreachable, or out of connections raises. SQLite's
# "database is locked" is one too: the answer is the same, try again shortly.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
RETRY_AFTER_SECONDS = 30


def reason(exc: Exception) -> str:
    """The database driver's own first line, e.g. 'connection refused'."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except UNAVAILABLE as exc:
        db.session.rollback()
        return {"ok": False, "message": "the database does not answer"} | ({"detail": reason(exc)} if current_app.debug else {})


def _search_index() -> dict:
    index_dir = current_app.config["BROKER_INDEX_DIR"]
    try:
        if not whoosh_index.exists_in(index_dir):
            return {"ok": False, "message": "there is no search index: run `broker reindex`"}
        return {"ok": True, "documents": whoosh_index.open_dir(index_dir).doc_count()}
    except Exception:  # noqa: BLE001 - a corrupt or unreadable index is what this reports
        log.exception("search index at %s cannot be read", index_dir)
        return {"ok": False, "message": "the search index cannot be read: run `broker reindex`"}


@bp.get("/healthz")
def healthz():
    checks = {"database": _database(), "search_index": _search_index()}
    ok = all(check["ok"] for check in checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


def register(app) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_unavailable(exc):
        log.error("database unavailable answering %s %s: %s", request.method, request.path, reason(exc))
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        message = "The service cannot reach its database just now. Nothing has been changed; try again in a minute."
        if request.path.startswith("/api/"):
            return jsonify(error="unavailable", field=None, message=message), 503, headers
        # A page of its own, rendered without the context processors: they (and the usual
        # layout) ask the database who is signed in.
        page = current_app.jinja_env.get_template("unavailable.html").render(message=message)
        return page, 503, headers
