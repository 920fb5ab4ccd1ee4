"""Keep the search index in step with the database, commit by commit.

Every flush notes which provisions it touched; after the transaction commits, their
index documents are rewritten from what the database now holds. Changes made with
bulk SQL (which the ORM cannot see) call `touch()` so they are reindexed too.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from broker.directory import search
from broker.directory.models import Intake, Location, Organisation, Provision

log = logging.getLogger(__name__)
_KEY = "reindex_provisions"
_ORG_KEY = "reindex_organisations"


def touch(session: Session, provision_ids) -> None:
    """Mark provisions for reindexing when the session's transaction commits."""
    session.info.setdefault(_KEY, set()).update(provision_ids)


@contextmanager
def paused(session: Session):
    """Skip reindexing for a bulk load that rebuilds the whole index afterwards."""
    session.info["index_sync_paused"] = True
    try:
        yield
    finally:
        session.info.pop("index_sync_paused", None)


def _after_flush(session, flush_context):
    if session.info.get("index_sync_paused"):
        return
    pids, orgs = session.info.setdefault(_KEY, set()), session.info.setdefault(_ORG_KEY, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Provision):
            pids.add(obj.id)
        elif isinstance(obj, (Intake, Location)):
            pids.add(obj.provision_id)
        elif isinstance(obj, Organisation):
            orgs.add(obj.id)


def _after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction (and what it touched) goes on
    pids = session.info.pop(_KEY, set())
    orgs = session.info.pop(_ORG_KEY, set())
    pids.discard(None)
    if not (pids or orgs) or not has_app_context():
        return
    try:
        reindex(session.get_bind(), pids, orgs)
    except Exception:
        # The database (the source of truth) has committed; `broker reindex` repairs the index.
        log.exception("search index update failed for provisions %s", sorted(pids))


def _after_rollback(session):
    if session.in_nested_transaction():
        return  # a savepoint rolled back: reindexing what it touched too is harmless
    session.info.pop(_KEY, None)
    session.info.pop(_ORG_KEY, None)


def reindex(bind, pids: set[int], org_ids: set[int] = frozenset()) -> None:
    """Rewrite the index documents of these provisions (and all of these organisations')."""
    with Session(bind) as s:
        if org_ids:
            pids = pids | set(s.scalars(select(Provision.id).where(Provision.organisation_id.in_(org_ids))))
        found = s.scalars(
            select(Provision)
            .where(Provision.id.in_(pids))
            .options(
                selectinload(Provision.locations),
                selectinload(Provision.intakes),
                selectinload(Provision.organisation),
            )
        ).all()
        missing = pids - {p.id for p in found}
        search.update_provisions(current_app.config["BROKER_INDEX_DIR"], found, missing)


def install() -> None:
    """Listen on every Flask-SQLAlchemy session; safe to call more than once."""
    if not event.contains(FlaskSession, "after_flush", _after_flush):
        event.listen(FlaskSession, "after_flush", _after_flush)
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
