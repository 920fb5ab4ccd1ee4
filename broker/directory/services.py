"""Directory services: searching provision and reading listings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.directory import index_sync, search
from broker.directory.models import Provision
from broker.extensions import db


@dataclass
class ProvisionResult:
    """One search result: a listing with what a PA needs to decide at a glance."""

    provision: Provision
    distance_km: Optional[float]
    next_start: Optional[dt.date]
    next_places: int  # places left on the intake(s) starting at next_start
    places_left: int  # across every start date still to come
    stale: bool


def _with_details():
    return (
        selectinload(Provision.locations),
        selectinload(Provision.intakes),
        selectinload(Provision.organisation),
    )


def is_stale(provision: Provision, today: dt.date) -> bool:
    return provision.is_stale(today, current_app.config["BROKER_STALE_DAYS"])


def search_provisions(sq: search.SearchQuery) -> tuple[int, list[ProvisionResult]]:
    """Search the index, then read the page's listings from the database (the source of truth)."""
    page = index_sync.search_current(sq)
    ids = [h.provision_id for h in page.hits]
    rows = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.id.in_(ids)).options(*_with_details()))}
    results = []
    for hit in page.hits:
        p = rows.get(hit.provision_id)
        if p is None:  # deleted since the index was read
            continue
        intakes = [(i.start, i.rolling, i.places_left) for i in p.intakes]
        next_start = search.next_joinable(intakes, sq)
        results.append(
            ProvisionResult(
                provision=p,
                distance_km=hit.distance_km,
                next_start=next_start,
                next_places=sum(
                    left for (start, rolling, left) in intakes
                    if next_start and search.next_joinable([(start, rolling, left)], sq) == next_start
                ),
                places_left=p.places_left(sq.today),
                stale=is_stale(p, sq.today),
            )
        )
    return page.total, results


def get_provision(provision_id: int) -> Optional[Provision]:
    return db.session.scalars(
        select(Provision).where(Provision.id == provision_id).options(*_with_details())
    ).one_or_none()


def rebuild_index(progress=None) -> int:
    """Rebuild the search index from every provision in the database (and note the change log's position)."""
    return index_sync.rebuild(current_app.config["BROKER_INDEX_DIR"], db.engine, progress)
