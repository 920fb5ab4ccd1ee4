"""Turn search input from a form or query string into a SearchQuery, naming any bad field."""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Mapping

from flask import current_app, has_app_context

from broker.councils import CODE_OF, COUNCIL_CODES, area_centre
from broker.directory.search import SearchQuery
from broker.geography import UnknownPlace, make_geocoder, resolve_place
from broker.taxonomy import CATEGORIES, KINDS

SORTS = ("relevance", "distance", "start")
MAX_PER_PAGE = 100
MAX_RADIUS_KM = 500
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
KIND_CATEGORY = {kind: category for category, kinds in KINDS.items() for kind in kinds}
# An ONS GSS code: a letter for the nation, two digits for the type, six for the area.
_GSS = re.compile(r"^[EWSN]\d{8}$")


class ParamError(ValueError):
    """A search parameter that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _int(args, name, lo, hi, default=None):
    raw = (args.get(name) or "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(name, f"must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ParamError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _bool(args, name) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in TRUE:
        return True
    if raw not in FALSE:
        raise ParamError(name, f"must be true or false, got {raw!r}")
    return False


def _area(raw: str) -> str:
    """An ONS council code, from a code or a council's name ("Leeds" -> "E08000035")."""
    raw = raw.strip()
    by_name = {name.lower(): code for name, code in CODE_OF.items()}
    if raw.lower() in by_name:
        return by_name[raw.lower()]
    if _GSS.match(raw.upper()):
        return raw.upper()
    known = ", ".join(f"{code} ({name})" for code, name in COUNCIL_CODES.items())
    raise ParamError("area", f"must be a council's ONS code or name, got {raw!r}; known here: {known}")


def _date(args, name):
    raw = (args.get(name) or "").strip()
    if raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ParamError(name, f"must be a date as YYYY-MM-DD, got {raw!r}") from None


@functools.cache
def _geocoder(name: str):
    return make_geocoder(name)


def locate(text: str) -> tuple[float, float, str]:
    """(lat, lon, label) of a place: the shipped geography first, then the online geocoder
    named by BROKER_GEOCODER, if one is configured."""
    centre = area_centre(text.strip().title()) if text.strip().title() in CODE_OF else None
    if centre is not None:  # a council's name ("Kirklees"): its middle
        return centre[0], centre[1], text.strip().title()
    try:
        place = resolve_place(text)
        return place.lat, place.lon, place.label
    except UnknownPlace as exc:
        name = current_app.config.get("BROKER_GEOCODER") if has_app_context() else None
        found = _geocoder(name).geocode(text) if name else None
        if found is None:
            raise ParamError("near", str(exc)) from None
        return found.latitude, found.longitude, found.address


def parse_search(args: Mapping[str, str], today: dt.date | None = None) -> tuple[SearchQuery, str | None]:
    """Validate search parameters; returns the query and the resolved place's label."""
    sq = SearchQuery(today=today or dt.date.today())
    sq.text = (args.get("q") or "").strip()
    if len(sq.text) > 200:
        raise ParamError("q", "must be at most 200 characters")

    category = (args.get("category") or "").strip()
    if category:
        if category not in CATEGORIES:
            raise ParamError("category", f"unknown category {category!r}; use one of: {', '.join(CATEGORIES)}")
        sq.category = category

    kind = (args.get("kind") or "").strip()
    if kind:
        if kind not in KIND_CATEGORY:
            kinds = KINDS.get(sq.category) or {k: None for k in KIND_CATEGORY}
            raise ParamError("kind", f"unknown kind {kind!r}; use one of: {', '.join(kinds)}")
        if sq.category and KIND_CATEGORY[kind] != sq.category:
            raise ParamError("kind", f"{kind!r} is a kind of {KIND_CATEGORY[kind]}, not of {sq.category}")
        sq.kind, sq.category = kind, KIND_CATEGORY[kind]

    area = (args.get("area") or "").strip()
    if area:
        sq.area = _area(area)
    sq.exact = _bool(args, "exact")

    near_label = None
    near = (args.get("near") or "").strip()
    if near:
        lat, lon, near_label = locate(near)
        sq.near = (lat, lon)

    raw_radius = (args.get("radius_km") or "").strip()
    if raw_radius:
        try:
            radius = float(raw_radius)
        except ValueError:
            raise ParamError("radius_km", f"must be a number of kilometres, got {raw_radius!r}") from None
        if not 0 < radius <= MAX_RADIUS_KM:
            raise ParamError("radius_km", f"must be more than 0 and at most {MAX_RADIUS_KM}")
        if sq.near is None:
            raise ParamError("radius_km", "needs near (a postcode, district, town or lat,lon)")
        sq.radius_km = radius

    sq.starts_after = _date(args, "starts_after")
    sq.starts_before = _date(args, "starts_before")
    if sq.starts_after and sq.starts_before and sq.starts_after > sq.starts_before:
        raise ParamError("starts_before", "must be on or after starts_after")

    sq.has_places = _bool(args, "has_places")

    sq.age = _int(args, "age", 0, 120)

    sort = (args.get("sort") or "").strip() or ("relevance" if sq.text or sq.near is None else "distance")
    if sort not in SORTS:
        raise ParamError("sort", f"must be one of {', '.join(SORTS)}, got {sort!r}")
    if sort == "distance" and sq.near is None:
        raise ParamError("sort", "sorting by distance needs near")
    sq.sort = sort

    sq.page = _int(args, "page", 1, 10_000, 1)
    sq.per_page = _int(args, "per_page", 1, MAX_PER_PAGE, 20)
    return sq, near_label
