"""Directory services: searching provision and reading listings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.directory import search
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


@dataclass
class CategoryResults:
    """Browsing near a place: one category's nearest listings and how many there are."""

    category: str
    total: int
    results: list[ProvisionResult]


@dataclass
class SearchResults:
    """A page of search results with what the search did to the words (search.SearchPage)."""

    total: int
    results: list[ProvisionResult]
    page: search.SearchPage
    groups: list[CategoryResults]


def find_provisions(sq: search.SearchQuery) -> SearchResults:
    """Search the index, then read the page's listings from the database (the source of truth)."""
    page = search.search(current_app.config["BROKER_INDEX_DIR"], sq)
    hits = page.hits + [h for g in page.groups for h in g.hits]
    ids = {h.provision_id for h in hits}
    rows = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.id.in_(ids)).options(*_with_details()))}
    # A listing changed since the index was read (deleted, or no longer active) is left out.
    rows = {pid: p for pid, p in rows.items() if p.status == "active"}
    groups = [
        CategoryResults(g.category, g.total, [_result(rows[h.provision_id], h, sq) for h in g.hits if h.provision_id in rows])
        for g in page.groups
    ]
    results = [_result(rows[h.provision_id], h, sq) for h in page.hits if h.provision_id in rows]
    return SearchResults(page.total, results, page, groups)


def search_provisions(sq: search.SearchQuery) -> tuple[int, list[ProvisionResult]]:
    """(total, one page of results): find_provisions without what the search did to the words."""
    found = find_provisions(sq)
    return found.total, found.results


def _result(p: Provision, hit: search.Hit, sq: search.SearchQuery) -> ProvisionResult:
    intakes = [(i.start, i.rolling, i.places_left) for i in p.intakes]
    next_start = search.next_joinable(intakes, sq)
    return ProvisionResult(
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


def get_provision(provision_id: int) -> Optional[Provision]:
    return db.session.scalars(
        select(Provision).where(Provision.id == provision_id).options(*_with_details())
    ).one_or_none()


def rebuild_index(progress=None) -> int:
    """Rebuild the search index from every provision in the database."""
    stmt = select(Provision).options(*_with_details()).execution_options(yield_per=1000)
    return search.rebuild(current_app.config["BROKER_INDEX_DIR"], db.session.scalars(stmt), progress)
