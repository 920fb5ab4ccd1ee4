"""API: search the directory and read a listing (no token needed; outside checks use these shapes)."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from marshmallow import Schema, fields

from broker.api import ApiBlueprint
from broker.api.schemas import computed
from broker.eligibility import eligibility_text
from broker.directory import services
from broker.directory.params import SearchArgs
from broker.errors import NotFound
from broker.insight.searches import record_empty_search
from broker.weblinks import safe_url

bp = ApiBlueprint("Provisions", __name__, description="Search the directory of provision and read a listing.")


def _page_url(provision_id: int) -> str:
    return url_for("directory.provision_page", provision_id=provision_id, _external=True)


class SearchResult(Schema):
    id = fields.Integer(attribute="provision.id")
    name = fields.String(attribute="provision.name")
    provider = fields.String(attribute="provision.organisation.name")
    category = fields.String(attribute="provision.category")
    kind = fields.String(attribute="provision.kind", allow_none=True)
    # To the listing's nearest site.
    distance_km = computed(fields.Float(allow_none=True), lambda r: round(r.distance_km, 2) if r.distance_km is not None else None)
    next_start = fields.Date(allow_none=True)
    places_left = fields.Integer()
    last_confirmed = fields.Date(attribute="provision.last_confirmed")
    stale = fields.Boolean()
    url = computed(fields.String(), lambda r: _page_url(r.provision.id))


class CategoryGroup(Schema):
    category = fields.String()
    total = fields.Integer()
    results = fields.List(fields.Nested(SearchResult))


class SearchPage(Schema):
    total = fields.Integer()
    results = fields.List(fields.Nested(SearchResult))
    corrected_query = computed(fields.String(allow_none=True), lambda f: f.page.corrected_text)
    # What the search did to the words, each {"type": "corrected"|"expanded"|"relaxed", "message", ...}.
    notices = computed(fields.List(fields.Dict(keys=fields.String())), lambda f: f.page.notices)
    relaxed = computed(fields.List(fields.String()), lambda f: f.page.relaxed)
    radius_km = computed(fields.Float(allow_none=True), lambda f: f.page.radius_km)
    categories = computed(fields.Dict(keys=fields.String(), values=fields.Integer()), lambda f: f.page.category_counts)
    kinds = computed(fields.Dict(keys=fields.String(), values=fields.Integer()), lambda f: f.page.kind_counts)
    groups = fields.List(fields.Nested(CategoryGroup))


class Provider(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    # Stored links are checked again when given out: anything but http(s)/mailto is null.
    website = computed(fields.String(allow_none=True), lambda org: safe_url(org.website))


class HowToRefer(Schema):
    route = fields.String(attribute="referral_route")
    contact = fields.String(attribute="referral_contact", allow_none=True)
    form_url = computed(fields.String(allow_none=True), lambda p: safe_url(p.referral_form_url))


class Location(Schema):
    name = fields.String()
    address = fields.String()
    postcode = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class Intake(Schema):
    id = fields.Integer()
    start = fields.Date()
    places = fields.Integer()
    places_taken = fields.Integer()
    places_left = fields.Integer()
    rolling = fields.Boolean()


class ProvisionRecord(Schema):
    """The full public record of a listing, with its intakes."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    category = fields.String()
    kind = fields.String(allow_none=True, metadata={"description": "the kind within the category (taxonomy KINDS)"})
    status = fields.String()
    provider = fields.Nested(Provider, attribute="organisation")
    eligibility = computed(fields.String(metadata={
        "description": "who it is for, in words: the provider's text, else generated from the rules below"}),
        lambda p: eligibility_text(p))
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    areas = fields.List(fields.String(), allow_none=True, metadata={
        "description": "council areas served (ONS codes) for young people living there; null: anywhere"})
    requires = fields.List(fields.String(), metadata={
        "description": "criteria a young person must meet (taxonomy CRITERIA), e.g. care_leaver"})
    cost = fields.String()
    how_to_refer = computed(fields.Nested(HowToRefer), lambda p: p)
    locations = fields.List(fields.Nested(Location))
    intakes = fields.List(fields.Nested(Intake))
    places_left = computed(fields.Integer(), lambda p: p.places_left(dt.date.today()))
    last_confirmed = fields.Date()
    stale = computed(fields.Boolean(), lambda p: services.is_stale(p, dt.date.today()))
    url = computed(fields.String(), lambda p: _page_url(p.id))


@bp.get("/provisions")
@bp.arguments(SearchArgs, location="query", as_kwargs=False)
@bp.response(200, SearchPage)
def search(args):
    """Search provision: keywords, need, place, start window, age, free places."""
    sq, _near_label = args
    found = services.find_provisions(sq)
    # insight: searches that found nothing as asked (before any relaxing)
    record_empty_search(sq, found.total if found.page.found_as_asked else 0, "api")
    return found


@bp.get("/provisions/<int:provision_id>")
@bp.response(200, ProvisionRecord)
@bp.errors(404)
def get_provision(provision_id: int):
    """A listing with its locations, intakes and how to refer."""
    p = services.get_provision(provision_id)
    if p is None:
        raise NotFound("provision_id", f"no provision with id {provision_id}")
    return p
