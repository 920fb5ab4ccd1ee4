"""Due jobs of the directory: keep this node's search index caught up, prune the change log."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from broker.directory import index_sync
from broker.extensions import db
from broker.jobs import due_job


@due_job("index-catch-up", every=dt.timedelta(minutes=1), title="Apply the listing change log to this node's search index")
def index_catch_up() -> str:
    return index_sync.catch_up(current_app.config["BROKER_INDEX_DIR"], db.engine) or "index busy; next time"


@due_job("prune-listing-changes", every=dt.timedelta(days=1), title="Delete listing changes older than BROKER_CHANGE_LOG_DAYS")
def prune_listing_changes() -> str:
    return f"{index_sync.prune(db.session, current_app.config['BROKER_CHANGE_LOG_DAYS'])} old changes deleted"
