"""Search input, from the search page's form or the API's query string: one schema for both.

`SearchArgs` declares every parameter (the API documents it from here) and loads into a
`SearchQuery`; a bad value raises `BadParameter` naming the parameter.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Mapping

from flask import current_app, has_app_context
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from broker.api.blueprint import problems
from broker.api.schemas import Date, Query, Text, Whole
from broker.councils import CODE_OF, COUNCIL_CODES, area_centre
from broker.directory.search import SearchQuery
from broker.errors import BadParameter
from broker.geography import UnknownPlace, make_geocoder, resolve_place
from broker.taxonomy import CATEGORIES, CRITERIA, KINDS

SORTS = ("relevance", "distance", "start")
MAX_PER_PAGE = 100
MAX_RADIUS_KM = 500
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
KIND_CATEGORY = {kind: category for category, kinds in KINDS.items() for kind in kinds}
# An ONS GSS code: a letter for the nation, two digits for the type, six for the area.
_GSS = re.compile(r"^[EWSN]\d{8}$")


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
            raise ValidationError(str(exc), "near") from None
        return found.latitude, found.longitude, found.address


def council_code(raw: str) -> str:
    """An ONS council code, from a code or a council's name ("Leeds" -> "E08000035")."""
    raw = raw.strip()
    by_name = {name.lower(): code for name, code in CODE_OF.items()}
    if raw.lower() in by_name:
        return by_name[raw.lower()]
    if _GSS.match(raw.upper()):
        return raw.upper()
    known = ", ".join(f"{code} ({name})" for code, name in COUNCIL_CODES.items())
    raise ValidationError(f"must be a council's ONS code or name; known here: {known}", "area")


def _criteria(raw: str) -> tuple[str, ...]:
    """The criteria a young person meets, from "care_leaver,homeless" or "none"."""
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    unknown = [c for c in codes if c not in CRITERIA and c != "none"]
    if unknown:
        raise ValidationError(f"unknown criterion {unknown[0]!r}; use none or some of: " + ", ".join(CRITERIA), "criteria")
    return tuple(sorted({c for c in codes if c != "none"}))


class YesNo(fields.Boolean):
    truthy, falsy = TRUE, FALSE
    default_error_messages = {"invalid": "must be true or false"}


def _whole(lo: int, hi: int, **kwargs) -> Whole:
    return Whole(validate=validate.Range(lo, hi, error=f"must be between {lo} and {hi}"), **kwargs)


class SearchArgs(Query):
    """The directory search's parameters; loads as (SearchQuery, label of the place searched near)."""

    q = Text(validate=validate.Length(max=200, error="must be at most 200 characters"),
             metadata={"description": "keywords; every word must match (stemmed)"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES), error="unknown category; use one of: " + ", ".join(CATEGORIES)))
    kind = fields.String(validate=validate.OneOf(list(KIND_CATEGORY), error="unknown kind; use one of: " + ", ".join(KIND_CATEGORY)),
                         metadata={"description": "a kind within a need (e.g. emergency-bed); sets the need too"})
    area = Text(validate=validate.Length(max=60),
                metadata={"description": "listings serving this council (ONS code such as E08000035, or name), or anywhere"})
    exact = YesNo(metadata={"description": "search the words exactly as typed: no spelling correction or synonyms"})
    near = Text(validate=validate.Length(max=100), metadata={"description": "a postcode, district, town or lat,lon"})
    radius_km = fields.Float(
        validate=validate.Range(0, MAX_RADIUS_KM, min_inclusive=False, error=f"must be more than 0 and at most {MAX_RADIUS_KM}"),
        error_messages={"invalid": "must be a number of kilometres"}, metadata={"description": "needs near"},
    )
    starts_after = Date()
    starts_before = Date()
    has_places = YesNo(metadata={"description": "only listings with free places"})
    age = _whole(0, 120)
    criteria = Text(validate=validate.Length(max=300), metadata={"description": (
        "the criteria the young person meets, comma-separated (" + ", ".join(CRITERIA) + "), or none: "
        "listings that require any other criterion are left out")})
    sort = fields.String(validate=validate.OneOf(SORTS, error=f"must be one of {', '.join(SORTS)}"),
                         metadata={"description": "default: relevance, or distance when only near is given"})
    page = _whole(1, 10_000, load_default=1)
    per_page = _whole(1, MAX_PER_PAGE, load_default=20)

    @validates_schema
    def _together(self, data, **_kwargs):
        if "radius_km" in data and not data.get("near"):
            raise ValidationError("needs near (a postcode, district, town or lat,lon)", "radius_km")
        after, before = data.get("starts_after"), data.get("starts_before")
        if after and before and after > before:
            raise ValidationError("must be on or after starts_after", "starts_before")
        if data.get("sort") == "distance" and not data.get("near"):
            raise ValidationError("sorting by distance needs near", "sort")
        if data.get("criteria"):
            _criteria(data["criteria"])
        kind, category = data.get("kind"), data.get("category")
        if kind and category and KIND_CATEGORY[kind] != category:
            raise ValidationError(f"{kind!r} is a kind of {KIND_CATEGORY[kind]}, not of {category}", "kind")

    @post_load
    def _query(self, data, **_kwargs) -> tuple[SearchQuery, str | None]:
        sq = SearchQuery()
        sq.text = data.get("q", "")
        sq.category = data.get("category")
        if data.get("kind"):
            sq.kind, sq.category = data["kind"], KIND_CATEGORY[data["kind"]]
        if data.get("area"):
            sq.area = council_code(data["area"])
        sq.exact = bool(data.get("exact"))
        near_label = None
        if data.get("near"):
            lat, lon, near_label = locate(data["near"])
            sq.near = (lat, lon)
        sq.radius_km = data.get("radius_km")
        sq.starts_after, sq.starts_before = data.get("starts_after"), data.get("starts_before")
        sq.has_places = bool(data.get("has_places"))
        sq.age = data.get("age")
        if data.get("criteria"):
            sq.criteria = _criteria(data["criteria"])
        sq.sort = data.get("sort") or ("relevance" if sq.text or sq.near is None else "distance")
        sq.page, sq.per_page = data["page"], data["per_page"]
        return sq, near_label


def parse_search(args: Mapping[str, str], today: dt.date | None = None) -> tuple[SearchQuery, str | None]:
    """The search page's parameters as a query and the place's label; BadParameter names a bad one."""
    try:
        given = args.to_dict() if hasattr(args, "to_dict") else dict(args)
        if hasattr(args, "getlist") and len(args.getlist("criteria")) > 1:  # the page's checkboxes
            given["criteria"] = ",".join(args.getlist("criteria"))
        sq, near_label = SearchArgs().load(given)
    except ValidationError as exc:
        field, message = next(problems(exc.messages))
        raise BadParameter(field or None, message) from None
    sq.today = today or sq.today
    return sq, near_label
