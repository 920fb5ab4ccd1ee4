"""Directory services: searching provision and reading listings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from broker.directory import index_sync, search
from broker.directory.models import Intake, Location, Organisation, Provision
from broker.extensions import db


@dataclass(frozen=True)
class ProviderName:
    name: str


@dataclass(frozen=True)
class ListingSummary:
    """What a search result shows of a listing. Read with one Core query, not the ORM: a
    results page is read on every search, and loading 20 listings with their providers and
    intakes as ORM objects measured ~4 ms of the request (benchmarks/load.py)."""

    id: int
    name: str
    category: str
    kind: Optional[str]
    description: str
    last_confirmed: dt.date
    organisation: ProviderName
    # Who it is for (broker.eligibility.describe says it in words).
    min_age: Optional[int] = None
    max_age: Optional[int] = None
    areas: Optional[list[str]] = None
    requires: list[str] = field(default_factory=list)


@dataclass
class ProvisionResult:
    """One search result: a listing with what a PA needs to decide at a glance."""

    provision: ListingSummary
    distance_km: Optional[float]
    next_start: Optional[dt.date]
    next_places: int  # places left on the intake(s) starting at next_start
    places_left: int  # across every start date still to come
    stale: bool


def is_stale(provision, today: dt.date) -> bool:
    return (today - provision.last_confirmed).days > current_app.config["BROKER_STALE_DAYS"]


# Built once: composing a statement costs more than running this one (bound per call).
_PAGE_LISTINGS = (
    select(Provision.id, Provision.name, Provision.category, Provision.kind, Provision.description,
           Provision.last_confirmed, Organisation.name, Intake.start, Intake.rolling, Intake.places, Intake.places_taken,
           Provision.min_age, Provision.max_age, Provision.areas, Provision.requires)
    .join(Organisation, Organisation.id == Provision.organisation_id)
    .outerjoin(Intake, Intake.provision_id == Provision.id)
    .where(Provision.id.in_(bindparam("ids", expanding=True)), Provision.status == "active")
    .order_by(Provision.id, Intake.start, Intake.id)
)


def _page_listings(ids: list[int]) -> dict[int, tuple[ListingSummary, list[tuple[dt.date, bool, int]]]]:
    """The page's active listings with their providers and intakes ((start, rolling, places left)), in one round trip."""
    out: dict[int, tuple[ListingSummary, list]] = {}
    if not ids:
        return out
    for (pid, name, category, kind, description, confirmed, org, start, rolling, places, taken,
         lo, hi, areas, requires) in db.session.execute(_PAGE_LISTINGS, {"ids": ids}):
        if pid not in out:
            out[pid] = (ListingSummary(pid, name, category, kind, description or "", confirmed, ProviderName(org),
                                       lo, hi, areas, requires or []), [])
        if start is not None:
            out[pid][1].append((start, rolling, places - taken))
    return out


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
    if sq.criteria is not None:
        sq.excluded = frozenset(requiring_other_criteria(sq.criteria))
    page = index_sync.search_current(sq)
    hits = page.hits + [h for g in page.groups for h in g.hits]
    # A listing changed since the index was read (deleted, or no longer active) is left out.
    rows = _page_listings(list({h.provision_id for h in hits}))
    groups = [
        CategoryResults(g.category, g.total, [_result(rows[h.provision_id], h, sq) for h in g.hits if h.provision_id in rows])
        for g in page.groups
    ]
    results = [_result(rows[h.provision_id], h, sq) for h in page.hits if h.provision_id in rows]
    return SearchResults(page.total, results, page, groups)


def nearest_sites(provision_ids: list[int], near: Optional[tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Each listing's site nearest `near` (or its first site), for the map of a results page."""
    from broker.geography import distance_km

    sites: dict[int, tuple[float, float]] = {}
    rows = db.session.execute(select(Location.provision_id, Location.lat, Location.lon)
                              .where(Location.provision_id.in_(provision_ids), Location.lat.is_not(None))
                              .order_by(Location.id)).all()
    for pid, lat, lon in rows:
        best = sites.get(pid)
        if best is None or (near and distance_km(near[0], near[1], lat, lon) < distance_km(near[0], near[1], *best)):
            sites[pid] = (lat, lon)
    return sites


def listing_counts() -> dict[str, int]:
    """Active listings per category and per kind ("housing", "housing/emergency-bed")."""
    counts: dict[str, int] = {}
    rows = db.session.execute(select(Provision.category, Provision.kind, func.count()).where(Provision.status == "active")
                              .group_by(Provision.category, Provision.kind)).all()
    for category, kind, n in rows:
        counts[category] = counts.get(category, 0) + n
        if kind:
            counts[f"{category}/{kind}"] = n
    return counts


def requiring_other_criteria(meets: Iterable[str]) -> list[int]:
    """Listings that require a criterion beyond `meets`: a young person meeting only those
    cannot use them. Read from the database, which holds what each listing requires."""
    meets = set(meets)
    rows = db.session.execute(select(Provision.id, Provision.requires).where(Provision.status == "active")).all()
    return [pid for pid, requires in rows if set(requires or ()) - meets]


def search_provisions(sq: search.SearchQuery) -> tuple[int, list[ProvisionResult]]:
    """(total, one page of results): find_provisions without what the search did to the words."""
    found = find_provisions(sq)
    return found.total, found.results


def _result(row: tuple[ListingSummary, list[tuple[dt.date, bool, int]]], hit: search.Hit,
            sq: search.SearchQuery) -> ProvisionResult:
    listing, intakes = row
    next_start = search.next_joinable(intakes, sq)
    return ProvisionResult(
        provision=listing,
        distance_km=hit.distance_km,
        next_start=next_start,
        next_places=sum(
            left for (start, rolling, left) in intakes
            if next_start and search.next_joinable([(start, rolling, left)], sq) == next_start
        ),
        places_left=sum(left for (start, rolling, left) in intakes if rolling or start >= sq.today),
        stale=is_stale(listing, sq.today),
    )


def get_provision(provision_id: int) -> Optional[Provision]:
    """A listing with its provider, sites and intakes, in one round trip."""
    return db.session.scalars(
        select(Provision).where(Provision.id == provision_id).options(
            joinedload(Provision.organisation), joinedload(Provision.locations), joinedload(Provision.intakes))
    ).unique().one_or_none()


def rebuild_index(progress=None) -> int:
    """Rebuild the search index from every provision in the database (and note the change log's position)."""
    return index_sync.rebuild(current_app.config["BROKER_INDEX_DIR"], db.engine, progress)
