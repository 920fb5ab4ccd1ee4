"""The Open Referral UK 3.0 API (UK profile) under one stub, /oruk/: open, keyless, CORS for all.

  GET /oruk/                               API details: version, profile, openapi_url
  GET /oruk/openapi.json                   the UK profile's OpenAPI document (docs/oruk/schema/openapi.json)
  GET /oruk/services[/{id}]                listings; the full record by id
  GET /oruk/service_at_locations[/{id}]    listings at each of their places
  GET /oruk/organizations[/{id}]           providers with a published listing
  GET /oruk/taxonomies[/{id}]              our taxonomies (vocabulary.py)
  GET /oruk/taxonomy_terms[/{id}]          their terms

Lists are pages (total_items, total_pages, page_number, size, first_page, last_page,
empty, contents) taking `page` and `per_page` (at most MAX_PER_PAGE). Listings take
`search` (every word in the name, description or provider's name), `taxonomy_term_id`,
`taxonomy_id`, `organization_id`, `minimum_age` (the listing's minimum age is at least
this), `maximum_age` (its maximum age is at most this) and `modified_after`;
service_at_locations also `postcode` (only places whose listing serves the postcode's
council, nearest first) with `proximity` (within this many metres of the postcode's
centre). A bad parameter gets 400 `{"error": "bad_parameter", "field", "message"}`.
Only what a member of the public may see is published: active listings, and withdrawn
ones as "inactive"; a listing waiting for review is not published at all.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from broker import councils, geography
from broker.config import PROJECT_ROOT
from broker.directory.models import Intake, Location, Organisation, Provision
from broker.directory.oruk import mapping, vocabulary
from broker.directory.oruk.ids import canonical_uuid
from broker.errors import DomainError, InputError, NotFound
from broker.extensions import db

bp = Blueprint("oruk", __name__, url_prefix="/oruk")
OPENAPI = PROJECT_ROOT / "docs" / "oruk" / "schema" / "openapi.json"
PROFILE_URL = "https://open-referral-uk-profile.readthedocs.io/en/latest/"
PUBLISHED = ("active", "withdrawn")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PROXIMITY_M = 500_000
# Filters of the ORUK API that this directory cannot answer truthfully: refuse, never ignore.
UNSUPPORTED = {
    "start_time": "opening times are not searchable here; listings have start dates (see schedules)",
    "end_time": "opening times are not searchable here; listings have start dates (see schedules)",
    "day": "opening days are not searchable here; listings have start dates (see schedules)",
}


def bad(field: str, message: str) -> InputError:
    return InputError(field, message, error="bad_parameter")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    return jsonify(exc.as_json()), exc.status


@bp.get("/")
def details():
    return jsonify(version="3.0", profile=PROFILE_URL, openapi_url=url_for("oruk.openapi", _external=True))


@bp.get("/openapi.json")
def openapi():
    return current_app.response_class(_openapi_text(), mimetype="application/json")


@lru_cache(maxsize=1)
def _openapi_text() -> str:
    return OPENAPI.read_text(encoding="utf-8")


@bp.get("/<path:anything>")
def unknown(anything):
    raise NotFound("path", f"/oruk/{anything} is not part of this API; GET /oruk/ describes it")


# --- parameters ------------------------------------------------------------------------


def _args(allowed: set[str]) -> dict:
    for name in request.args:
        if name in UNSUPPORTED and name in request.args and request.args.get(name, "") != "":
            raise bad(name, UNSUPPORTED[name])
    if request.args.get("format", "json") not in ("", "json"):
        raise bad("format", "only json is offered")
    return {k: v.strip() for k, v in request.args.items() if k in allowed and v.strip() != ""}


def _int(args, name, default, low, high) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw):
        raise bad(name, f"must be a whole number, got {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise bad(name, f"must be between {low} and {high}, got {value}")
    return value


def _number(args, name, high) -> float | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad(name, f"must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value) or not 0 <= value <= high:
        raise bad(name, f"must be between 0 and {high:g}, got {raw[:40]}")
    return value


def _uuid(args, name) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    found = canonical_uuid(raw)
    if found is None:
        raise bad(name, f"must be an id (a UUID), got {raw[:60]!r}")
    return found


def _since(args) -> dt.datetime | None:
    raw = args.get("modified_after")
    if raw is None:
        return None
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        raise bad("modified_after", f"must be a date or date-time (ISO 8601, e.g. 2025-01-31T09:00:00Z), got {raw[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _paging(args) -> tuple[int, int]:
    return _int(args, "page", 1, 1, 10**6), _int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def page_json(total: int, page: int, per_page: int, contents: list) -> dict:
    pages = math.ceil(total / per_page)
    return {
        "total_items": total, "total_pages": pages, "page_number": page, "size": len(contents),
        "first_page": page == 1, "last_page": page >= pages, "empty": len(contents) == 0, "contents": contents,
    }


# --- listings ------------------------------------------------------------------------------

LISTING_ARGS = {"search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "organization_id", "minimum_age",
                "maximum_age", "modified_after"}


def _stamp(column, since: dt.datetime):
    """`column >= since`, compared as times: SQLite keeps them as text, so normalise both sides there."""
    if db.engine.dialect.name == "sqlite":
        return func.datetime(column) >= func.datetime(since.replace(tzinfo=None).isoformat(sep=" "))
    return column >= since


def listing_filters(args) -> list:
    """SQL conditions on Provision (joined to Organisation) for the listing parameters."""
    conditions = [Provision.status.in_(PUBLISHED)]
    for word in (args.get("search") or "").lower().split()[:10]:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(func.lower(c).like(like, escape="\\")
                                for c in (Provision.name, Provision.description, Organisation.name))))
    term_id = _uuid(args, "taxonomy_term_id")
    if term_id is not None:
        term = vocabulary.TERMS_BY_ID.get(term_id)
        conditions.append(_term_condition(term) if term else False)
    taxonomy_id = _uuid(args, "taxonomy_id")
    if taxonomy_id is not None:
        if taxonomy_id == vocabulary.PROVISION_TAXONOMY["id"]:
            conditions.append(Provision.category.is_not(None))
        elif taxonomy_id == vocabulary.CRITERIA_TAXONOMY["id"]:
            conditions.append(cast(Provision.requires, String).like('%"%'))
        else:
            conditions.append(False)
    org_id = _uuid(args, "organization_id")
    if org_id is not None:
        conditions.append(Organisation.uid == org_id)
    minimum = _number(args, "minimum_age", 150)
    if minimum is not None:
        conditions.append(func.coalesce(Provision.min_age, 0) >= minimum)
    maximum = _number(args, "maximum_age", 150)
    if maximum is not None:
        conditions.append(and_(Provision.max_age.is_not(None), Provision.max_age <= maximum))
    since = _since(args)
    if since is not None:
        conditions.append(or_(_stamp(Provision.updated_at, since),
                              exists().where(Intake.provision_id == Provision.id, _stamp(Intake.updated_at, since))))
    return conditions


def _term_condition(term: vocabulary.Term):
    parts = term.code.split(":")
    if parts[0] == "category":
        return Provision.category == parts[1]
    if parts[0] == "kind":
        return and_(Provision.category == parts[1], Provision.kind == parts[2])
    return cast(Provision.requires, String).like(f'%"{parts[1]}"%')


def _details():
    return (selectinload(Provision.organisation), selectinload(Provision.intakes), selectinload(Provision.locations))


@bp.get("/services")
def services():
    args = _args(LISTING_ARGS)
    page, per_page = _paging(args)
    where = listing_filters(args)
    base = select(Provision).join(Provision.organisation).where(*where)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.scalars(base.options(*_details()).order_by(Provision.name, Provision.id)
                              .offset((page - 1) * per_page).limit(per_page)).all()
    today = dt.date.today()
    return jsonify(page_json(total, page, per_page, [mapping.service_json(p, today, full=False) for p in rows]))


def _published_service(uid: str) -> Provision:
    found = canonical_uuid(uid)
    p = db.session.scalars(select(Provision).where(Provision.uid == found, Provision.status.in_(PUBLISHED))
                           .options(*_details())).first() if found else None
    if p is None:
        raise NotFound("id", f"no published service with id {uid[:60]!r}")
    return p


@bp.get("/services/<uid>")
def service(uid):
    return jsonify(mapping.service_json(_published_service(uid), dt.date.today()))


# --- services at locations -------------------------------------------------------------


def _place(args):
    postcode, proximity = args.get("postcode"), _number(args, "proximity", MAX_PROXIMITY_M)
    if postcode is None:
        if proximity is not None:
            raise bad("proximity", "needs a postcode to measure from")
        return None, None, None
    try:
        normal = geography.normalise_postcode(postcode)
        place = geography.resolve_place(normal)
    except (ValueError, geography.UnknownPlace) as exc:
        raise bad("postcode", str(exc)) from None
    return place, councils.code_for_postcode(normal), proximity


@bp.get("/service_at_locations")
def services_at_locations():
    args = _args(LISTING_ARGS | {"postcode", "proximity"})
    page, per_page = _paging(args)
    place, area, proximity = _place(args)
    base = (select(Location, Provision).join(Location.provision).join(Provision.organisation)
            .where(*listing_filters(args)))
    today = dt.date.today()
    if place is None:
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        rows = db.session.execute(base.options(selectinload(Provision.organisation), selectinload(Provision.intakes))
                                  .order_by(Provision.name, Location.id).offset((page - 1) * per_page).limit(per_page)).all()
        return jsonify(page_json(total, page, per_page, [_sal_item(loc, p, today) for loc, p in rows]))
    if proximity is not None:  # a box around the circle first, so the database does most of the work
        dlat = proximity / 111_320
        dlon = proximity / (111_320 * max(math.cos(math.radians(place.lat)), 0.01))
        base = base.where(Location.lat.between(place.lat - dlat, place.lat + dlat),
                          Location.lon.between(place.lon - dlon, place.lon + dlon))
    found = []
    for loc, p in db.session.execute(base.options(selectinload(Provision.organisation), selectinload(Provision.intakes))).all():
        if area and p.areas is not None and area not in p.areas:
            continue  # the listing does not serve the postcode's council
        metres = geography.distance_km(place.lat, place.lon, loc.lat, loc.lon) * 1000
        if proximity is None or metres <= proximity:
            found.append((metres, p.name, loc.id, loc, p))
    found.sort(key=lambda row: row[:3])
    chosen = found[(page - 1) * per_page: page * per_page]
    return jsonify(page_json(len(found), page, per_page, [_sal_item(loc, p, today, round(m)) for m, _, _, loc, p in chosen]))


def _sal_item(loc, p, today, metres=None) -> dict:
    item = mapping.sal_json(loc, p, with_service=mapping.service_json(p, today, full=False))
    item["location"].pop("addresses", None)  # the list holds one-to-one fields only
    if metres is not None:
        item["distance"] = metres  # local: metres from the postcode's centre
    return item


@bp.get("/service_at_locations/<uid>")
def service_at_location(uid):
    found = canonical_uuid(uid)
    row = db.session.execute(
        select(Location, Provision).join(Location.provision)
        .where(Location.sal_uid == found, Provision.status.in_(PUBLISHED)).options(*_details())
    ).first() if found else None
    if row is None:
        raise NotFound("id", f"no published service at location with id {uid[:60]!r}")
    loc, p = row
    item = mapping.sal_json(loc, p, with_service=mapping.service_json(p, dt.date.today()))
    # The profile's OpenAPI document describes this answer as a service: carry its name and status too.
    item.update(name=p.name, status=item["service"]["status"])
    return jsonify(item)


# --- organisations ---------------------------------------------------------------------------


def _published_organisations():
    return select(Organisation).where(exists().where(Provision.organisation_id == Organisation.id,
                                                     Provision.status.in_(PUBLISHED)))


@bp.get("/organizations")
def organizations():
    args = _args({"search", "page", "per_page"})
    page, per_page = _paging(args)
    base = _published_organisations()
    for word in (args.get("search") or "").lower().split()[:10]:
        base = base.where(func.lower(Organisation.name).contains(word, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.scalars(base.order_by(Organisation.name, Organisation.id).offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify(page_json(total, page, per_page, [mapping.organization_json(o) for o in rows]))


@bp.get("/organizations/<uid>")
def organization(uid):
    found = canonical_uuid(uid)
    o = db.session.scalars(_published_organisations().where(Organisation.uid == found)).first() if found else None
    if o is None:
        raise NotFound("id", f"no organization with id {uid[:60]!r} publishes a service here")
    today = dt.date.today()
    listings = db.session.scalars(select(Provision).where(Provision.organisation_id == o.id, Provision.status.in_(PUBLISHED))
                                  .options(*_details()).order_by(Provision.name, Provision.id)).all()
    return jsonify(mapping.organization_json(o, [mapping.service_json(p, today, organization=False) for p in listings]))


# --- taxonomies ------------------------------------------------------------------------------


@bp.get("/taxonomies")
def taxonomies():
    args = _args({"page", "per_page"})
    page, per_page = _paging(args)
    rows = list(vocabulary.TAXONOMIES)
    chosen = rows[(page - 1) * per_page: page * per_page]
    return jsonify(page_json(len(rows), page, per_page, [mapping.taxonomy_json(t) for t in chosen]))


@bp.get("/taxonomies/<uid>")
def taxonomy(uid):
    found = next((t for t in vocabulary.TAXONOMIES if t["id"] == canonical_uuid(uid)), None)
    if found is None:
        raise NotFound("id", f"no taxonomy with id {uid[:60]!r}")
    return jsonify(mapping.taxonomy_json(found, with_terms=True))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    args = _args({"page", "per_page", "taxonomy_id", "search"})
    page, per_page = _paging(args)
    rows = vocabulary.TERMS
    taxonomy_id = _uuid(args, "taxonomy_id")
    if taxonomy_id is not None:
        rows = [t for t in rows if t.taxonomy["id"] == taxonomy_id]
    for word in (args.get("search") or "").lower().split():
        rows = [t for t in rows if word in t.name.lower() or word in t.description.lower()]
    chosen = rows[(page - 1) * per_page: page * per_page]
    return jsonify(page_json(len(rows), page, per_page, [mapping.term_json(t) for t in chosen]))


@bp.get("/taxonomy_terms/<uid>")
def taxonomy_term(uid):
    term = vocabulary.TERMS_BY_ID.get(canonical_uuid(uid) or "")
    if term is None:
        raise NotFound("id", f"no taxonomy term with id {uid[:60]!r}")
    return jsonify(mapping.term_json(term))

