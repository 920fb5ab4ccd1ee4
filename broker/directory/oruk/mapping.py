"""The field mapping between Open Referral UK (HSDS 3.0, UK profile; HSDS 3.1 capacities)
and our directory, in both directions, in one place. docs/oruk.md is the same table
for people; change both together.

Import (`map_service`): a feed's service as a nested HSDS 3.0 dict (read.py turns JSON,
CSV packages, HSDS 1.x and live APIs into that shape) becomes a `ServiceRecord` for
write.py, with every problem found. A problem with the service itself (no id or name,
no organisation, bad ages or status) leaves the service out; a problem with one part
(a location at latitude 100, a `javascript:` link, a capacity above its maximum)
leaves that part out and the rest comes in. Each problem names the record and field.

Publish (`service_json` and friends): a Provision and what hangs off it become the UK
profile's JSON, which publish.py serves and export.py flattens to CSV.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Optional

from broker import councils, geography
from broker.directory.models import REFERRAL_ROUTES
from broker.directory.oruk import vocabulary
from broker.directory.oruk.ids import KEY_PREFIX, MAX_PUBLISHER_ID, canonical_uuid, derived_id, public_id
from broker.errors import InputError
from broker.weblinks import clean_url, safe_url

NOT_STATED = "Not stated"
WITHDRAWN_STATUSES = ("inactive", "defunct", "temporarily closed")
PUBLISHED_STATUS = {"active": "active", "withdrawn": "inactive"}  # "needs-review" is not published
# Units of a capacity that count places a young person can take.
PLACE_UNITS = re.compile(r"^(places?|beds?|spaces?|seats?|rooms?|persons?|people|vacanc(y|ies)|slots?|)$", re.I)
PLACE_UNIT = {"id": derived_id("unit", "place"), "name": "place", "scheme": "broker", "identifier": "place"}
ONS_CODE = re.compile(r"\b([EWSN]\d{8})\b")
ONS_URI = "http://statistics.data.gov.uk/id/statistical-geography/{}"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
UK_FREQ = ("WEEKLY", "MONTHLY")
_SELF_REFERRAL = re.compile(r"self[- ]?refer|drop[- ]?in|walk[- ]?in", re.I)
_PROFESSIONAL_ONLY = re.compile(r"professional referral only|professionals only|referr\w* by a professional|"
                                r"must be referred by", re.I)
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
MAX_ITEMS = 50  # of each kind of sub-record a service keeps (schedules, contacts, ...)


# --- what the importer produces ---------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong in a feed: where (file, row or record), which field, and what was left out."""

    where: str
    field: str
    message: str
    left_out: Optional[str] = "service"

    def __str__(self):
        text = f"{self.where}, {self.field}: {self.message}" if self.where else f"{self.field}: {self.message}"
        return f"{text} ({self.left_out} left out)" if self.left_out else text


@dataclass
class OrganisationRecord:
    uid: str
    key: str
    name: str
    description: str = ""
    email: Optional[str] = None
    phone: Optional[str] = None
    website: Optional[str] = None


@dataclass
class LocationRecord:
    uid: str
    sal_uid: str
    name: str
    address: str
    postcode: str
    lat: float
    lon: float


@dataclass
class CapacityRecord:
    """An intake as a feed gives it: a capacity, with its start date when a schedule of the same id gives one."""

    uid: str
    where: str
    maximum: int
    available: int
    start: Optional[dt.date] = None  # None: no schedule; a rolling intake from the day it first comes in
    rolling: bool = True


@dataclass
class ServiceRecord:
    where: str
    uid: str
    key: str
    organisation: OrganisationRecord
    name: str
    description: str
    placement: vocabulary.Placement
    status: str  # as the feed says it: active | withdrawn
    min_age: Optional[int]
    max_age: Optional[int]
    cost: str
    eligibility: str
    application_process: str
    wait_time: str
    referral_route: str
    referral_contact: Optional[str]
    referral_form_url: Optional[str]
    last_confirmed: Optional[dt.date]  # None: the feed gave no date
    locations: list[LocationRecord]
    capacities: Optional[list[CapacityRecord]]  # None: the feed says nothing about places
    areas: Optional[list[str]]
    schedules: list[dict] = field(default_factory=list)
    required_documents: list[dict] = field(default_factory=list)
    languages: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    service_areas: list[dict] = field(default_factory=list)


# --- small readers of feed values ----------------------------------------------------


def text(value, limit: Optional[int] = None) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    out = str(value).replace("\x00", "").strip()
    return out[:limit] if limit else out


def items(value) -> list[dict]:
    return [x for x in value if isinstance(x, dict)][:MAX_ITEMS * 4] if isinstance(value, list) else []


def _whole(where, value, fieldname, problems, low, high, left_out="service") -> Optional[int]:
    raw = text(value)
    if raw == "":
        return None
    try:
        number = float(raw)
        if not number.is_integer():
            raise ValueError
        n = int(number)
    except (ValueError, OverflowError):
        problems.append(Problem(where, fieldname, f"must be a whole number, got {raw!r}", left_out))
        return None
    if not low <= n <= high:
        problems.append(Problem(where, fieldname, f"must be between {low} and {high}, got {n}", left_out))
        return None
    return n


def _date(where, value, fieldname, problems, left_out) -> Optional[dt.date]:
    raw = text(value)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        problems.append(Problem(where, fieldname, f"must be a date as YYYY-MM-DD (or an ISO date-time), got {raw!r}", left_out))
        return None


def _link(where, value, fieldname, problems) -> Optional[str]:
    """A link to store, through the one check every channel uses; an unsafe one is left out."""
    raw = text(value)
    try:
        return clean_url(raw, fieldname) if raw else None
    except InputError as exc:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        problems.append(Problem(where, fieldname, f"{exc.message}; got {shown!r}", "link"))
        return None


def _email(where, value, fieldname, problems) -> Optional[str]:
    raw = text(value).removeprefix("mailto:")
    if not raw:
        return None
    if len(raw) > 200 or not _EMAIL.match(raw):
        problems.append(Problem(where, fieldname, f"is not an email address: {raw[:60]!r}", "email"))
        return None
    return raw


def _phone(value) -> str:
    return text(value).strip('"').strip()[:50]


def _phones(value) -> list[str]:
    return [n for n in (_phone(p.get("number")) for p in items(value)) if n]


# --- import: organisation -----------------------------------------------------------


def _publisher_id(where, record, problems, kind) -> Optional[str]:
    raw = text(record.get("id"))
    if not raw:
        problems.append(Problem(where, "id", f"missing; every HSDS {kind} needs an id"))
        return None
    if len(raw) > MAX_PUBLISHER_ID:
        problems.append(Problem(where, "id", f"is {len(raw)} characters; at most {MAX_PUBLISHER_ID}"))
        return None
    return raw


def _name(where, record, problems) -> Optional[str]:
    name = text(record.get("name"))
    if not name:
        problems.append(Problem(where, "name", "missing"))
        return None
    if len(name) > 200:
        problems.append(Problem(where, "name", f"is {len(name)} characters; at most 200"))
        return None
    return name


def map_organisation(where: str, org: dict, problems: list[Problem]) -> Optional[OrganisationRecord]:
    before = len(problems)
    oid, name = _publisher_id(where, org, problems, "organization"), _name(where, org, problems)
    if len(problems) > before:
        return None
    phones = _phones(org.get("phones"))
    return OrganisationRecord(
        uid=public_id("organization", oid), key=KEY_PREFIX + oid, name=name, description=text(org.get("description")),
        email=_email(where, org.get("email"), "email", problems), phone=phones[0] if phones else None,
        website=_link(where, org.get("website") or org.get("url"), "website" if org.get("website") else "url", problems),
    )


# --- import: service ---------------------------------------------------------------------


def _cost(svc: dict, today: dt.date) -> str:
    parts = []
    for opt in items(svc.get("cost_options")):
        try:
            valid_to = text(opt.get("valid_to"))
            if valid_to and dt.date.fromisoformat(valid_to[:10]) < today:
                continue  # an expired price says nothing about today's
        except ValueError:
            pass
        amount, currency = text(opt.get("amount")), text(opt.get("currency")).upper()
        price = ""
        if amount:
            price = f"£{amount}" if currency in ("", "GBP") else f"{amount} {currency}"
        price = " ".join(x for x in (price, text(opt.get("amount_description"))) if x)
        label = text(opt.get("option"))
        parts.append(f"{label}: {price}" if label and price else label or price)
    out = "; ".join(p for p in parts if p) or text(svc.get("fees_description")) or text(svc.get("fees")) or NOT_STATED
    return out if len(out) <= 200 else out[:199].rsplit(" ", 1)[0] + "…"


def route_sentence(route: str, contact: Optional[str]) -> str:
    """How to refer, in words, as we publish it in `application_process` when the listing has no text of its own."""
    label = REFERRAL_ROUTES.get(route, route)
    return f"{label}: {contact}" if contact else label


def _referral(svc: dict, org: OrganisationRecord, url, email, phones, application_process: str):
    """(route, contact, form link): from our own wording when the feed is another instance of this service, else
    the first channel the service, then its organisation, gives (docs/oruk.md, "How to refer")."""
    for route, label in REFERRAL_ROUTES.items():
        if application_process == label or application_process.startswith(label + ": "):
            contact = application_process[len(label) + 2:].strip() or None
            return route, (contact[:200] if contact else None), (url if route == "form" else None)
    channels = [("form", url), ("email", email), ("phone", phones[0] if phones else None),
                ("form", org.website), ("email", org.email), ("phone", org.phone)]
    route = next((r for r, v in channels if v), "form")
    contact = next((v for r, v in channels if v and r in ("email", "phone")), None)
    form_url = next((v for r, v in channels if v and r == "form"), None)
    if _SELF_REFERRAL.search(application_process):
        route = "self-referral"
    elif _PROFESSIONAL_ONLY.search(application_process):
        route = "professional-only"
    return route, (contact[:200] if contact else None), (form_url if route == "form" else None)


def _coordinate(where, value, fieldname, limit, problems) -> Optional[float]:
    raw = text(value)
    try:
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError
    except ValueError:
        problems.append(Problem(where, fieldname, f"must be a number, got {raw!r}", "location"))
        return None
    if not -limit <= number <= limit:
        problems.append(Problem(where, fieldname, f"must be between -{limit} and {limit}, got {raw}", "location"))
        return None
    return round(number, 6)


def map_location(where: str, sal: dict, service_uid: str, n: int, problems: list[Problem]) -> Optional[LocationRecord]:
    """One service_at_location with its location; None (and a problem) when it cannot be placed."""
    loc = sal.get("location") if isinstance(sal.get("location"), dict) else {}
    if text(loc.get("location_type")).lower() == "virtual":
        return None  # no place to be near; not a problem
    where = loc.get("_where") or where
    addresses = items(loc.get("addresses"))
    # A physical address places the service; a postal one is better than none.
    addresses.sort(key=lambda a: text(a.get("address_type")).lower() not in ("", "physical"))
    addr = addresses[0] if addresses else {}
    raw_postcode = text(addr.get("postal_code"))
    try:
        postcode = geography.normalise_postcode(raw_postcode) if raw_postcode else ""
    except ValueError:
        postcode = ""
    lines = [text(addr.get(k)) for k in ("address_1", "address_2", "address_3", "address_4", "city")]
    address = ", ".join(x for x in lines if x)[:300]
    has_lat, has_lon = text(loc.get("latitude")) != "", text(loc.get("longitude")) != ""
    if has_lat or has_lon:
        if not (has_lat and has_lon):
            missing = "longitude" if has_lat else "latitude"
            problems.append(Problem(where, missing, f"missing while {'latitude' if has_lat else 'longitude'} is given", "location"))
            return None
        lat = _coordinate(where, loc.get("latitude"), "latitude", 90, problems)
        lon = _coordinate(where, loc.get("longitude"), "longitude", 180, problems)
        if lat is None or lon is None:
            return None
    elif postcode:
        try:
            place = geography.resolve_place(postcode)
        except geography.UnknownPlace as exc:
            problems.append(Problem(where, "postal_code", f"no latitude/longitude and the postcode cannot be placed: {exc}", "location"))
            return None
        lat, lon = round(place.lat, 6), round(place.lon, 6)
    else:
        shown = f"postcode {raw_postcode!r} is not a UK postcode" if raw_postcode else "no postcode"
        problems.append(Problem(where, "latitude", f"missing, and {shown}; give latitude and longitude or a UK postcode", "location"))
        return None
    if not postcode:
        district, km = geography.nearest_district(lat, lon)
        postcode = district if km <= geography.REVERSE_MAX_KM else ""
    loc_id = text(loc.get("id"))[:MAX_PUBLISHER_ID]
    uid = public_id("location", loc_id) if loc_id else derived_id(service_uid, "location", str(n))
    sal_id = text(sal.get("id"))[:MAX_PUBLISHER_ID]
    return LocationRecord(
        uid=uid, sal_uid=public_id("service_at_location", sal_id) if sal_id else derived_id(service_uid, "at", uid),
        name=text(loc.get("name"), 200), address=address, postcode=postcode[:10], lat=lat, lon=lon,
    )


def _intake_schedule(schedule: dict) -> tuple[Optional[dt.date], bool]:
    """(start, rolling) of a schedule that gives an intake's start (our feed's form; see service_json)."""
    start_raw = text(schedule.get("dtstart")) or text(schedule.get("valid_from"))
    try:
        start = dt.date.fromisoformat(start_raw[:10]) if start_raw else None
    except ValueError:
        start = None
    until = text(schedule.get("valid_to"))
    return start, not (start is not None and until[:10] == start.isoformat())


def map_capacities(svc: dict, where: str, service_uid: str, problems: list[Problem],
                   notes: list[str]) -> tuple[Optional[list[CapacityRecord]], set[str]]:
    """The feed's intakes (None: it says nothing of places), and the ids of the schedules that gave their starts."""
    linked: set[str] = set()
    if not isinstance(svc.get("capacities"), list):
        return None, linked
    schedules = {canonical_uuid(s.get("id")) or text(s.get("id")): s for s in items(svc.get("schedules"))}
    out: list[CapacityRecord] = []
    unscheduled = 0
    for n, cap in enumerate(items(svc.get("capacities"))):
        cwhere = cap.get("_where") or f"{where} capacities[{n}]"
        before = len(problems)
        unit = cap.get("unit") if isinstance(cap.get("unit"), dict) else {}
        unit_name = text(unit.get("name")) or text(cap.get("unit_name"))
        if not PLACE_UNITS.match(unit_name):
            problems.append(Problem(cwhere, "unit", f"{unit_name!r} does not count places a young person can take", "capacity"))
            continue
        available = _whole(cwhere, cap.get("available"), "available", problems, 0, 100_000, "capacity")
        maximum = _whole(cwhere, cap.get("maximum"), "maximum", problems, 0, 100_000, "capacity")
        if len(problems) > before:
            continue
        if available is None:
            problems.append(Problem(cwhere, "available", "missing", "capacity"))
            continue
        if maximum is None:
            maximum = available
        if available > maximum:
            problems.append(Problem(cwhere, "available", f"{available} is more than maximum {maximum}", "capacity"))
            continue
        cid = text(cap.get("id"))[:MAX_PUBLISHER_ID]
        key = canonical_uuid(cid) or cid
        schedule = schedules.get(key) if key else None
        start, rolling = _intake_schedule(schedule) if schedule else (None, True)
        if schedule is not None:
            linked.add(key)
        else:
            unscheduled += 1
            if unscheduled > 1:
                notes.append(f"{cwhere}: a second capacity with no start date; only the first is used")
                continue
        uid = public_id("capacity", cid) if cid else derived_id(service_uid, "capacity", str(n))
        out.append(CapacityRecord(uid=uid, where=cwhere, maximum=maximum, available=available, start=start, rolling=rolling))
    return out, linked


_SCHEDULE_FIELDS = ("valid_from", "valid_to", "dtstart", "until", "count", "wkst", "freq", "interval", "byday",
                    "bymonthday", "description", "opens_at", "closes_at", "attending_type", "notes")


def map_opening_times(svc: dict, where: str, linked: set[str], problems: list[Problem]) -> list[dict]:
    """Schedules that are not an intake's start: when the service is open, kept as HSDS says them."""
    out = []
    for n, s in enumerate(items(svc.get("schedules"))):
        sid = canonical_uuid(s.get("id")) or text(s.get("id"))
        if sid and sid in linked:
            continue
        swhere = s.get("_where") or f"{where} schedules[{n}]"
        kept = {k: text(s.get(k), 500) for k in _SCHEDULE_FIELDS if text(s.get(k))}
        if "weekday" in s and text(s.get("weekday")).isdigit() and 1 <= int(text(s["weekday"])) <= 7:  # HSDS 1.x
            kept.setdefault("byday", WEEKDAYS[int(text(s["weekday"])) - 1])
            kept.setdefault("freq", "WEEKLY")
        if "freq" in kept and kept["freq"].upper() not in UK_FREQ:
            problems.append(Problem(swhere, "freq", f"{kept['freq']!r} is not WEEKLY or MONTHLY (the UK profile's)", "freq"))
            kept.pop("freq")
        elif "freq" in kept:
            kept["freq"] = kept["freq"].upper()
        for k in ("interval", "count"):
            if k in kept:
                try:
                    kept[k] = int(float(kept[k]))
                except ValueError:
                    kept.pop(k)
        link = _link(swhere, s.get("schedule_link"), "schedule_link", problems)
        if link:
            kept["schedule_link"] = link
        if kept:
            out.append(kept)
    return out[:MAX_ITEMS]


def map_languages(svc: dict) -> list[dict]:
    out = []
    for lang in items(svc.get("languages")):
        kept = {"name": text(lang.get("name") or lang.get("language"), 100), "code": text(lang.get("code"), 20),
                "note": text(lang.get("note"), 300)}
        kept = {k: v for k, v in kept.items() if v}
        if kept.get("name") or kept.get("code"):
            out.append(kept)
    return out[:MAX_ITEMS]


def map_contacts(svc: dict, where: str, problems: list[Problem]) -> list[dict]:
    out = []
    for n, c in enumerate(items(svc.get("contacts"))):
        cwhere = c.get("_where") or f"{where} contacts[{n}]"
        kept = {k: text(c.get(k), 200) for k in ("name", "title", "department")}
        kept["email"] = _email(cwhere, c.get("email"), "email", problems) or ""
        phones = [{"number": _phone(p.get("number")), "extension": text(p.get("extension"), 20),
                   "type": text(p.get("type"), 20), "description": text(p.get("description"), 300)}
                  for p in items(c.get("phones")) if _phone(p.get("number"))]
        kept = {k: v for k, v in kept.items() if v}
        if phones:
            kept["phones"] = [{k: v for k, v in p.items() if v} for p in phones[:5]]
        if kept:
            out.append(kept)
    return out[:MAX_ITEMS]


def map_documents(svc: dict, where: str, problems: list[Problem]) -> list[dict]:
    out = []
    for n, d in enumerate(items(svc.get("required_documents"))):
        dwhere = d.get("_where") or f"{where} required_documents[{n}]"
        document = text(d.get("document"), 1000)
        if not document:
            continue
        kept = {"document": document}
        uri = _link(dwhere, d.get("uri"), "uri", problems)
        if uri:
            kept["uri"] = uri
        out.append(kept)
    return out[:MAX_ITEMS]


def map_service_areas(svc: dict, where: str, problems: list[Problem]) -> tuple[Optional[list[str]], list[dict]]:
    """Council areas served as ONS codes (from an area's uri, extent or name), and the areas described only in words."""
    codes: list[str] = []
    described = []
    for n, area in enumerate(items(svc.get("service_areas"))):
        awhere = area.get("_where") or f"{where} service_areas[{n}]"
        words = [text(area.get(k)) for k in ("uri", "extent", "name", "service_area")]
        code = next((m.group(1) for w in words for m in [ONS_CODE.search(w)] if m), None)
        if code is None:
            code = next((councils.CODE_OF[w.title()] for w in words[2:] if w.title() in councils.CODE_OF), None)
        if code:
            if code not in codes:
                codes.append(code)
            continue
        kept = {"name": text(area.get("name") or area.get("service_area"), 500), "description": text(area.get("description"), 1000)}
        uri = _link(awhere, area.get("uri"), "uri", problems)
        if uri:
            kept["uri"] = uri
        kept = {k: v for k, v in kept.items() if v}
        if kept:
            described.append(kept)
    return (codes or None), described[:MAX_ITEMS]


def _terms(svc: dict) -> list[dict]:
    terms = []
    for attr in items(svc.get("attributes")):
        if isinstance(attr.get("taxonomy_term"), dict):
            terms.append(attr["taxonomy_term"])
    terms += items(svc.get("taxonomy_terms"))  # HSDS 2.x style
    return terms


def map_service(svc: dict, where: str, today: dt.date) -> tuple[Optional[ServiceRecord], list[Problem], list[str]]:
    """One feed service -> a ServiceRecord (None if the service is left out), its problems and notes."""
    problems: list[Problem] = []
    notes: list[str] = []
    name_shown = text(svc.get("name"))[:80]
    where = f"{where} ({name_shown})" if name_shown else where
    sid, name = _publisher_id(where, svc, problems, "service"), _name(where, svc, problems)
    org_raw = svc.get("organization") if isinstance(svc.get("organization"), dict) else None
    org = None
    if org_raw is None:
        ref = text(svc.get("organization_id"))
        message = f"no organization {ref!r} in {svc.get('_organizations_in') or 'the feed'}" if ref else \
            "missing; every service needs its organization"
        problems.append(Problem(where, "organization_id", message))
    else:
        org_problems: list[Problem] = []
        org = map_organisation(org_raw.get("_where") or f"{where} organization", org_raw, org_problems)
        problems += org_problems
    min_age = _whole(where, svc.get("minimum_age"), "minimum_age", problems, 0, 120)
    max_age = _whole(where, svc.get("maximum_age"), "maximum_age", problems, 0, 120)
    if min_age is not None and max_age is not None and min_age > max_age:
        problems.append(Problem(where, "maximum_age", f"{max_age} is below minimum_age {min_age}"))
    status_raw = text(svc.get("status")).lower()
    if status_raw not in ("", "active", *WITHDRAWN_STATUSES):
        problems.append(Problem(where, "status", f"must be active, inactive, defunct or temporarily closed, got {status_raw!r}"))
    if org is None or any(p.left_out == "service" for p in problems):
        return None, problems, notes

    uid = public_id("service", sid)
    confirmed = _date(where, svc.get("assured_date"), "assured_date", problems, "assured_date")
    if confirmed is None:
        confirmed = _date(where, svc.get("last_modified"), "last_modified", problems, "last_modified")
    if confirmed is not None and confirmed > today:
        problems.append(Problem(where, "assured_date", f"{confirmed} is in the future", "assured_date"))
        confirmed = None
    description = text(svc.get("description"))
    eligibility = "; ".join(x for x in [text(svc.get("eligibility_description")), *svc.get("_eligibility", [])] if x)
    application = text(svc.get("application_process"))
    url = _link(where, svc.get("url"), "url", problems)
    email = _email(where, svc.get("email"), "email", problems)
    route, contact, form_url = _referral(svc, org, url, email, _phones(svc.get("phones")), application)
    if application == route_sentence(route, contact):
        application = ""  # only what the route already says (our own feed's wording)

    locations = []
    for n, sal in enumerate(items(svc.get("service_at_locations"))):
        loc = map_location(sal.get("_where") or f"{where} service_at_locations[{n}].location", sal, uid, n, problems)
        if loc is not None and loc.sal_uid not in {x.sal_uid for x in locations}:
            locations.append(loc)
    capacities, linked = map_capacities(svc, where, uid, problems, notes)
    areas, described = map_service_areas(svc, where, problems)
    placement = vocabulary.place(_terms(svc), name, description, eligibility, min_age, max_age)
    record = ServiceRecord(
        where=where, uid=uid, key=KEY_PREFIX + sid, organisation=org, name=name, description=description,
        placement=placement, status="withdrawn" if status_raw in WITHDRAWN_STATUSES else "active",
        min_age=min_age, max_age=max_age, cost=_cost(svc, today), eligibility=eligibility,
        application_process=application, wait_time=text(svc.get("wait_time"), 300),
        referral_route=route, referral_contact=contact, referral_form_url=form_url, last_confirmed=confirmed,
        locations=locations, capacities=capacities, areas=areas,
        schedules=map_opening_times(svc, where, linked, problems),
        required_documents=map_documents(svc, where, problems), languages=map_languages(svc),
        contacts=map_contacts(svc, where, problems), service_areas=described,
    )
    return record, problems, notes


# --- publish -------------------------------------------------------------------------------


def _compact(d: dict) -> dict:
    """Drop empty values: the UK profile types every field, and null is no string."""
    return {k: v for k, v in d.items() if v is not None and v != ""}


def timestamp(value: Optional[dt.datetime]) -> Optional[str]:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back UTC without a zone
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def last_modified(p) -> Optional[dt.datetime]:
    stamps = [s for s in [p.updated_at, *(i.updated_at for i in p.intakes)] if s is not None]
    stamps = [s if s.tzinfo else s.replace(tzinfo=dt.timezone.utc) for s in stamps]
    return max(stamps, default=None)


def organization_json(o, services: Optional[list[dict]] = None) -> dict:
    out = _compact({"id": o.uid, "name": o.name, "description": o.description or "", "email": o.email,
                    "website": safe_url(o.website)})  # checked again on the way out
    out["description"] = o.description or ""
    if o.phone:
        out["phones"] = [{"id": derived_id(o.uid, "phone"), "organization_id": o.uid, "number": o.phone}]
    if services is not None:
        out["services"] = services
    return out


def address_json(loc) -> dict:
    *lines, last = [part.strip() for part in (loc.address or "").split(",")] or [""]
    first = ", ".join(lines) if lines else last
    city = last if lines else ""
    return {
        "id": derived_id(loc.uid, "address"), "location_id": loc.uid, "address_1": first, "city": city,
        "state_province": "West Yorkshire" if councils.code_for_postcode(loc.postcode) else "",
        "postal_code": loc.postcode or "", "country": "GB", "address_type": "physical",
    }


def location_json(loc) -> dict:
    return _compact({"id": loc.uid, "location_type": "physical", "name": loc.name, "latitude": loc.lat,
                     "longitude": loc.lon}) | {"addresses": [address_json(loc)]}


def sal_json(loc, p, *, with_service: Optional[dict] = None) -> dict:
    out = {"id": loc.sal_uid, "service_id": p.uid, "location_id": loc.uid, "location": location_json(loc)}
    if with_service is not None:
        out["service"] = with_service
    return out


def intake_schedule_json(p, i) -> dict:
    """An intake's start date as a schedule; its id is the intake's capacity's, which is how an importer pairs them."""
    start = i.start.isoformat()
    if i.rolling:
        return {"id": i.uid, "service_id": p.uid, "valid_from": start, "dtstart": start,
                "description": f"Rolling intake: join any day from {start}"}
    return {"id": i.uid, "service_id": p.uid, "valid_from": start, "valid_to": start, "dtstart": start,
            "description": f"Intake starting {start}"}


def capacity_json(p, i) -> dict:
    return {"id": i.uid, "service_id": p.uid, "unit": PLACE_UNIT, "available": i.places_left, "maximum": i.places,
            "description": f"Places on the intake {'from' if i.rolling else 'starting'} {i.start.isoformat()}",
            "updated": timestamp(i.updated_at) or timestamp(p.updated_at)}


def attributes_json(p) -> list[dict]:
    out = []
    for term in vocabulary.terms_of(p.category, p.kind, p.requires or []):
        out.append({"id": derived_id(p.uid, "attribute", term.code), "link_id": p.uid, "link_type": "service",
                    "link_entity": "service", "taxonomy_term_id": term.id, "taxonomy_term": term_json(term)})
    return out


def term_json(term: vocabulary.Term) -> dict:
    return _compact({"id": term.id, "code": term.code, "name": term.name, "description": term.description,
                     "parent_id": term.parent_id, "taxonomy": term.taxonomy["name"], "taxonomy_id": term.taxonomy["id"],
                     "term": term.name})


def taxonomy_json(taxonomy: dict, with_terms: bool = False) -> dict:
    out = dict(taxonomy)
    if with_terms:
        out["taxonomy_terms"] = [term_json(t) for t in vocabulary.TERMS if t.taxonomy["id"] == taxonomy["id"]]
    return out


def service_areas_json(p) -> list[dict]:
    out = []
    for code in p.areas or []:
        name = councils.council_name(code)
        out.append({"id": derived_id(p.uid, "area", code), "service_id": p.uid, "name": name, "service_area": name,
                    "uri": ONS_URI.format(code)})
    for n, area in enumerate(p.service_areas or []):
        out.append(_compact({"id": derived_id(p.uid, "area", str(n)), "service_id": p.uid, **area}))
    return out


def service_json(p, today: dt.date, *, full: bool = True, organization: bool = True) -> dict:
    """A listing as a UK-profile service: the list form (one-to-one fields) or the full record."""
    email = p.referral_contact if p.referral_contact and "@" in p.referral_contact else None
    phone = p.referral_contact if p.referral_contact and not email else None
    out = _compact({
        "id": p.uid, "organization_id": p.organisation.uid, "name": p.name, "description": p.description or "",
        "url": safe_url(p.referral_form_url), "email": email, "status": PUBLISHED_STATUS.get(p.status, "inactive"),
        "fees": p.cost, "fees_description": p.cost, "eligibility_description": p.eligibility,
        "application_process": p.application_process or route_sentence(p.referral_route, p.referral_contact),
        "wait_time": p.wait_time, "minimum_age": p.min_age, "maximum_age": p.max_age,
        "assured_date": p.last_confirmed.isoformat() if p.last_confirmed else None,
        "last_modified": timestamp(last_modified(p)),
    })
    out["description"] = p.description or ""
    if organization:
        out["organization"] = organization_json(p.organisation)
    if not full:
        return out
    upcoming = p.upcoming_intakes(today)
    opening = [_compact({"id": derived_id(p.uid, "schedule", str(n)), "service_id": p.uid, **s})
               for n, s in enumerate(p.schedules or [])]
    return out | {
        "phones": [{"id": derived_id(p.uid, "phone"), "service_id": p.uid, "number": phone}] if phone else [],
        "schedules": [intake_schedule_json(p, i) for i in upcoming] + opening,
        "capacities": [capacity_json(p, i) for i in upcoming],
        "service_areas": service_areas_json(p),
        "service_at_locations": [sal_json(loc, p) for loc in p.locations],
        "languages": [_compact({"id": derived_id(p.uid, "language", str(n)), "service_id": p.uid, **lang})
                      for n, lang in enumerate(p.languages or [])],
        "contacts": [_contact_json(p, n, c) for n, c in enumerate(p.contacts or [])],
        "required_documents": [_compact({"id": derived_id(p.uid, "document", str(n)), "service_id": p.uid, **d})
                               for n, d in enumerate(p.required_documents or [])],
        "cost_options": [],
        "funding": [],
        "attributes": attributes_json(p),
    }


def _contact_json(p, n: int, c: dict) -> dict:
    cid = derived_id(p.uid, "contact", str(n))
    out = _compact({"id": cid, "service_id": p.uid, **{k: v for k, v in c.items() if k != "phones"}})
    if c.get("phones"):
        out["phones"] = [_compact({"id": derived_id(cid, "phone", str(m)), "contact_id": cid, **ph})
                         for m, ph in enumerate(c["phones"])]
    return out
