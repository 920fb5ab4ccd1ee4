"""Import an Open Referral UK (HSDS 3.0) directory: a JSON file or a CSV data package.

What is read
  * JSON: one service (``service_full``), a list of services, a paginated service list
    (``{"contents": [...]}``), or an organisation with its services (``organization_full``).
  * A folder holding an HSDS CSV data package: organization(s).csv, service(s).csv and,
    when present, location(s).csv, service(s)_at_location.csv, physical_address(es).csv or
    address(es).csv, phones.csv, cost_options.csv, eligibility.csv, attribute(s).csv with
    taxonomy_term(s).csv, services_taxonomy.csv with taxonomy.csv (HSDS 1.x), and
    service_capacity.csv (HSDS 3.1). A datapackage.json, when there, names the files.

The mapping
  organization -> Organisation, key ``oruk:<id>``; name, description, email, first phone,
    website (``url`` in HSDS 1.x). Only organisations with an imported service are written.
  service -> Provision, key ``oruk:<id>``:
    status      active (or no status) -> active; inactive, defunct, temporarily closed ->
                withdrawn (nobody can be placed there).
    cost        the cost options still valid today ("option: £35 per 1 hour session", joined
                by "; "), else fees_description, else fees (HSDS 1.x / UK profile), else
                "Not stated" (HSDS saying nothing about cost does not make a service free).
                Cut to 200 characters with an ellipsis.
    ages        minimum_age / maximum_age (whole numbers 0-120, minimum <= maximum).
    eligibility eligibility_description (HSDS 1.x: eligibility.csv rows), then
                "How to apply: <application_process>" (our model has no separate field for
                it, and it is what a PA reads beside eligibility).
    referral    HSDS has no referral-form field. The route is self-referral when
                application_process says self-refer / drop in / walk in; otherwise the
                first channel found among the service's url (form), email, phone, then
                the organisation's website (form), email, phone. referral_contact is the
                first email or phone (service before organisation); referral_form_url the
                service url, else the organisation website, set only for the form route.
    last_confirmed  assured_date, else the date of last_modified, else (first import)
                today; a re-import without either keeps the date already held.
    category    scored from the service's taxonomy terms (weight 5), name (3) and
                description (1) against CATEGORY_WORDS; ties go to the more specific need
                (order of CATEGORY_WORDS). A service matching nothing is skipped and
                reported, never silently dropped.
  service_at_location + location + address -> Location: name, address lines and city,
    postcode (normalised; when it is not a UK postcode, the nearest postcode district to
    the position if within 50 km, else empty). Position is latitude/longitude from the
    location, else the postcode's centre (broker.geography.resolve_place, offline).
    A physical location with no usable position is an error. Virtual locations are
    not mapped (they have no place); a service with none is listed without a distance.
  service_capacity (HSDS 3.1) -> one rolling intake starting on the import day with
    places = maximum and places_taken = maximum - available (maximum absent: places =
    available, none taken). Only the first capacity of a service is used; the others are
    reported. Re-imports update that intake's places and keep its start.
  no capacity -> on first import one rolling intake with 0 places, so the listing is
    found but shows no vacancy until the provider adds places; re-imports leave the
    intakes alone (the feed says nothing about places). Dated (non-rolling) intakes,
    which HSDS cannot express, are never touched.

Importing is all or nothing: every record is checked first and any problem raises
OrukImportError listing them all (file, row or record, field), with the database
unchanged. Re-importing updates rows by key; unchanged rows are not written, so a
second import of the same data changes nothing. Provisions missing from a later file
are left as they are (a file may hold one service only).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from broker import geography
from broker.directory import index_sync
from broker.directory.models import Intake, Location, Organisation, Provision
from broker.taxonomy import CATEGORIES

KEY_PREFIX = "oruk:"
MAX_ID = 64 - len(KEY_PREFIX)
BULK_THRESHOLD = 500  # above this many provisions, pause per-commit reindexing and rebuild once
NOT_STATED = "Not stated"
WITHDRAWN_STATUSES = {"inactive", "defunct", "temporarily closed"}

# Most specific need first: on equal scores the earlier category wins, so a "youth
# justice clinic" is youth offending support, not health.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "youth-offending": (r"offend\w*", r"youth justice", r"youth offending", r"reoffend\w*", r"probation"),
    "anger-management": (r"anger", r"angry", r"aggression", r"violence"),
    "drugs-alcohol": (r"drugs?", r"alcohol\w*", r"substances?", r"drinking", r"addiction\w*"),
    "mental-health": (r"counsell?\w*", r"mental", r"wellbeing", r"anxiety", r"depression", r"therapy", r"cbt"),
    "housing": (r"hous\w*", r"homeless\w*", r"hostels?", r"accommodation", r"tenanc\w*"),
    "benefits": (r"benefits", r"welfare", r"money", r"debts?", r"universal credit", r"financial"),
    "employment": (r"jobs?", r"\w*employ\w*", r"work experience", r"careers?", r"vacanc\w*"),
    "training": (r"training", r"trainee\w*", r"courses?", r"apprentice\w*", r"skills?"),
    "education": (r"college", r"schools?", r"education\w*", r"gcses?", r"tuition", r"learning"),
    "health": (r"(?<!mental )health", r"clinics?", r"nhs", r"gp", r"sexual health", r"nurse"),
}
_CATEGORY_RES = {c: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I) for c, words in CATEGORY_WORDS.items()}
_SELF_REFERRAL = re.compile(r"self[- ]?refer|drop[- ]?in|walk[- ]?in", re.I)
assert set(CATEGORY_WORDS) == set(CATEGORIES)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input: where (file, row or record) and which field."""

    where: str
    field: str
    message: str

    def __str__(self):
        return f"{self.where}, {self.field}: {self.message}" if self.where else f"{self.field}: {self.message}"


class OrukImportError(ValueError):
    """The file cannot be imported; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class OrganisationRecord:
    key: str
    name: str
    description: str = ""
    email: Optional[str] = None
    phone: Optional[str] = None
    website: Optional[str] = None


@dataclass
class LocationRecord:
    name: str
    address: str
    postcode: str
    lat: float
    lon: float


@dataclass
class ProvisionRecord:
    """A service mapped onto our Provision; `where` names it in the source."""

    where: str
    key: str
    organisation_key: str
    name: str
    description: str
    category: str
    min_age: Optional[int]
    max_age: Optional[int]
    cost: str
    eligibility: str
    referral_route: str
    referral_contact: Optional[str]
    referral_form_url: Optional[str]
    status: str
    last_confirmed: Optional[dt.date]  # None: the feed gave no date
    locations: list[LocationRecord]
    capacity: Optional[tuple[int, int]]  # (places, places_taken)


@dataclass
class Skipped:
    where: str
    name: str
    reason: str

    def __str__(self):
        return f"{self.where} ({self.name}): {self.reason}"


@dataclass
class OrukDirectory:
    """What read_oruk found: mapped records, services skipped, notes and problems."""

    source: str
    organisations: dict[str, OrganisationRecord] = field(default_factory=dict)
    provisions: list[ProvisionRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportSummary:
    organisations_added: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    provisions_added: int = 0
    provisions_updated: int = 0
    provisions_unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False


# --- reading -------------------------------------------------------------------------


@dataclass
class _Service:
    """One HSDS service in source-neutral form, before mapping."""

    where: str
    data: dict
    org_id: Any
    org_ref_field: str
    org_ref_source: str
    locations: list[tuple[str, dict, list[dict]]]  # (where, location, addresses)
    terms: list[str]
    cost_options: list[dict]
    capacities: list[tuple[str, dict]]
    eligibility: list[str]
    phones: list[str]


def read_oruk(path, today: dt.date | None = None) -> OrukDirectory:
    """Read and check an HSDS JSON file or CSV data package; nothing is written."""
    today = today or dt.date.today()
    path = Path(path)
    out = OrukDirectory(source=str(path))
    if path.is_dir():
        orgs, services = _read_package(path, out.problems)
    elif path.is_file():
        orgs, services = _read_json(path, out.problems)
    else:
        out.problems.append(Problem(str(path), "path", "does not exist; give an HSDS JSON file or a folder of HSDS CSV files"))
        return out
    org_rows: dict[str, tuple[str, dict, list[str]]] = {}
    for where, org, phones in orgs:
        rec = _map_organisation(where, org, phones, out.problems)
        if _text(org.get("id")):  # even when broken, so its services do not also report it unknown
            org_rows.setdefault(_text(org.get("id")), (where, org, phones))
        if rec is not None:
            out.organisations.setdefault(rec.key, rec)
    seen: dict[str, str] = {}
    used_orgs: set[str] = set()
    for s in services:
        rec = _map_service(s, org_rows, out, today, seen)
        if rec is not None:
            out.provisions.append(rec)
            used_orgs.add(rec.organisation_key)
    out.organisations = {k: v for k, v in out.organisations.items() if k in used_orgs}
    out.problems = list(dict.fromkeys(out.problems))  # a location shared by services is reported once
    return out


def _read_json(path: Path, problems: list[Problem]):
    name = path.name
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, "file", f"is not UTF-8 text (bad byte at position {exc.start})"))
        return [], []
    except json.JSONDecodeError as exc:
        problems.append(Problem(name, "file", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"))
        return [], []
    if isinstance(body, dict) and isinstance(body.get("contents"), list):
        items, label = body["contents"], "contents"
    elif isinstance(body, list):
        items, label = body, ""
    elif isinstance(body, dict):
        items, label = [body], None
    else:
        problems.append(Problem(name, "file", "must hold an HSDS service, organization or a list of them"))
        return [], []
    orgs: list[tuple[str, dict, list[str]]] = []
    services: list[_Service] = []
    org_ids_seen: set[str] = set()

    def add_org(where, org):
        oid = str(org.get("id") or "").strip()
        if oid and oid in org_ids_seen:
            return
        org_ids_seen.add(oid)
        orgs.append((where, org, _phone_numbers(org.get("phones"))))

    for n, item in enumerate(items):
        where = name if label is None else f"{name} {label}[{n}]" if label else f"{name} [{n}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, "record", "must be an object (an HSDS service or organization)"))
            continue
        if isinstance(item.get("services"), list) and "organization" not in item:
            add_org(where, {k: v for k, v in item.items() if k != "services"})
            for m, svc in enumerate(item["services"]):
                swhere = f"{where} services[{m}]"
                if not isinstance(svc, dict):
                    problems.append(Problem(swhere, "service", "must be an object"))
                    continue
                services.append(_json_service(swhere, svc, item.get("id"), "organization", where))
            continue
        org = item.get("organization")
        if isinstance(org, dict):
            add_org(f"{where} organization", org)
            org_id, ref_field = org.get("id"), "organization.id"
        else:
            org_id, ref_field = item.get("organization_id"), "organization_id"
        services.append(_json_service(where, item, org_id, ref_field, name))
    return orgs, services


def _json_service(where: str, svc: dict, org_id, ref_field: str, ref_source: str) -> _Service:
    locations = []
    for n, sal in enumerate(_list(svc.get("service_at_locations"))):
        loc = sal.get("location") if isinstance(sal, dict) else None
        if isinstance(loc, dict):
            locations.append((f"service_at_locations[{n}].location", loc, _list(loc.get("addresses"))))
    terms = []
    for attr in _list(svc.get("attributes")):
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if isinstance(term, dict):
            terms += [str(term.get(k) or "") for k in ("name", "term", "code")]
    for term in _list(svc.get("taxonomy_terms")):  # HSDS 2.x style
        if isinstance(term, dict):
            terms += [str(term.get(k) or "") for k in ("name", "term", "code")]
    capacities = [(f"capacities[{n}]", c) for n, c in enumerate(_list(svc.get("capacities")))]
    phones = _phone_numbers(svc.get("phones"))
    return _Service(
        where=where, data=svc, org_id=org_id, org_ref_field=ref_field, org_ref_source=ref_source,
        locations=locations, terms=terms, cost_options=[c for c in _list(svc.get("cost_options")) if isinstance(c, dict)],
        capacities=capacities, eligibility=[], phones=phones,
    )


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _phone_numbers(phones) -> list[str]:
    numbers = []
    for ph in _list(phones):
        if isinstance(ph, dict) and _text(ph.get("number")):
            numbers.append(_text(ph.get("number")).strip('"').strip())
    return numbers


# Each table's usual file names across HSDS versions, when there is no datapackage.json.
_TABLES = {
    "organization": ("organizations.csv", "organization.csv"),
    "service": ("services.csv", "service.csv"),
    "location": ("locations.csv", "location.csv"),
    "service_at_location": ("service_at_location.csv", "services_at_location.csv", "service_at_locations.csv"),
    "physical_address": ("physical_addresses.csv", "physical_address.csv"),
    "address": ("addresses.csv", "address.csv"),
    "phone": ("phones.csv", "phone.csv"),
    "cost_option": ("cost_options.csv", "cost_option.csv"),
    "eligibility": ("eligibility.csv", "eligibilities.csv"),
    "attribute": ("attributes.csv", "attribute.csv"),
    "taxonomy_term": ("taxonomy_terms.csv", "taxonomy_term.csv"),
    "service_taxonomy": ("services_taxonomy.csv", "service_taxonomy.csv"),
    "taxonomy": ("taxonomy.csv", "taxonomies.csv"),
    "service_capacity": ("service_capacity.csv", "service_capacities.csv"),
}
_REQUIRED_COLUMNS = {
    "organization": ("id", "name"),
    "service": ("id", "name", "organization_id"),
    "location": ("id",),
    "service_at_location": ("service_id", "location_id"),
    "service_capacity": ("service_id", "available"),
}


def _table_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    package = folder / "datapackage.json"
    if package.is_file():
        try:
            for res in json.loads(package.read_text(encoding="utf-8")).get("resources", []):
                if isinstance(res.get("path"), str) and (folder / res["path"]).is_file():
                    files[res.get("name")] = folder / res["path"]
        except (ValueError, AttributeError):
            pass  # a broken descriptor: fall back to the usual names
    for table, names in _TABLES.items():
        if table not in files:
            found = next((folder / n for n in names if (folder / n).is_file()), None)
            if found:
                files[table] = found
    return files


def _read_csv(path: Path, table: str, problems: list[Problem]) -> list[tuple[str, dict]]:
    """Rows as (label, dict); the label counts the header as row 1, like a spreadsheet."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in _REQUIRED_COLUMNS.get(table, ()) if c not in header]
            if missing:
                problems.append(Problem(f"{path.name} row 1", "header", f"missing column(s) {', '.join(missing)}"))
                return []
            reader.fieldnames = header
            return [(f"{path.name} row {n}", {k: (v or "").strip() for k, v in r.items() if k}) for n, r in enumerate(reader, start=2)]
    except UnicodeDecodeError as exc:
        problems.append(Problem(path.name, "file", f"is not UTF-8 text (bad byte at position {exc.start}); save it as 'CSV UTF-8'"))
    except csv.Error as exc:
        problems.append(Problem(path.name, "file", f"is not readable CSV: {exc}"))
    return []


def _read_package(folder: Path, problems: list[Problem]):
    files = _table_files(folder)
    for table in ("organization", "service"):
        if table not in files:
            problems.append(Problem(str(folder), "file", f"no {' or '.join(_TABLES[table])} in the folder"))
    if problems:
        return [], []
    t = {table: _read_csv(path, table, problems) for table, path in files.items()}
    name = {table: path.name for table, path in files.items()}

    def by(table, column):
        grouped: dict[str, list[tuple[str, dict]]] = {}
        for where, row in t.get(table, []):
            grouped.setdefault(row.get(column, ""), []).append((where, row))
        return grouped

    phones_by_org, phones_by_service = by("phone", "organization_id"), by("phone", "service_id")
    orgs = [(w, r, [p["number"].strip('"') for _, p in phones_by_org.get(r.get("id"), []) if p.get("number")]) for w, r in t["organization"]]

    locations = {r.get("id"): (w, r) for w, r in t.get("location", [])}
    addresses = by("physical_address", "location_id") if "physical_address" in t else by("address", "location_id")
    service_ids = {r.get("id") for _, r in t["service"]}
    sal_by_service: dict[str, list] = {}
    for where, row in t.get("service_at_location", []):
        if row["service_id"] not in service_ids:
            problems.append(Problem(where, "service_id", f"no service {row['service_id']!r} in {name['service']}"))
        elif row["location_id"] not in locations:
            where_loc = name.get("location", "locations.csv")
            problems.append(Problem(where, "location_id", f"no location {row['location_id']!r} in {where_loc}"))
        else:
            lwhere, loc = locations[row["location_id"]]
            addr = [a for _, a in addresses.get(row["location_id"], [])]
            sal_by_service.setdefault(row["service_id"], []).append((lwhere, loc, addr))

    term_names = {r.get("id"): [r.get("name", ""), r.get("term", ""), r.get("code", "")] for _, r in t.get("taxonomy_term", [])}
    term_names.update({r.get("id"): [r.get("name", "")] for _, r in t.get("taxonomy", []) if r.get("id") not in term_names})
    terms_by_service: dict[str, list[str]] = {}
    for where, row in t.get("attribute", []):
        if row.get("link_id") not in service_ids:
            continue  # attributes may describe other records (organisations, locations)
        tid = row.get("taxonomy_term_id", "")
        if tid not in term_names:
            problems.append(Problem(where, "taxonomy_term_id", f"no taxonomy term {tid!r} in {name.get('taxonomy_term', 'taxonomy_terms.csv')}"))
            continue
        terms_by_service.setdefault(row["link_id"], []).extend(term_names[tid])
    for where, row in t.get("service_taxonomy", []):
        if row.get("service_id") in service_ids and row.get("taxonomy_id") in term_names:
            terms_by_service.setdefault(row["service_id"], []).extend(term_names[row["taxonomy_id"]])

    costs, elig, caps = by("cost_option", "service_id"), by("eligibility", "service_id"), by("service_capacity", "service_id")
    for sid, rows in caps.items():
        if sid not in service_ids:
            for where, _ in rows:
                problems.append(Problem(where, "service_id", f"no service {sid!r} in {name['service']}"))

    services = []
    for where, row in t["service"]:
        sid = row.get("id", "")
        terms = list(terms_by_service.get(sid, []))
        for tid in re.split(r"[,;\s]+", row.get("taxonomy_ids", "")):
            if tid in term_names:
                terms.extend(term_names[tid])
        services.append(_Service(
            where=where, data=row, org_id=row.get("organization_id"), org_ref_field="organization_id",
            org_ref_source=name["organization"],
            locations=sal_by_service.get(sid, []), terms=terms,
            cost_options=[r for _, r in costs.get(sid, [])],
            capacities=[(w, r) for w, r in caps.get(sid, [])],
            eligibility=[r.get("eligibility", "") for _, r in elig.get(sid, []) if r.get("eligibility")],
            phones=[p["number"].strip('"') for _, p in phones_by_service.get(sid, []) if p.get("number")],
        ))
    return orgs, services


# --- mapping and checking --------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _id(where: str, record: dict, problems: list[Problem]) -> Optional[str]:
    raw = _text(record.get("id"))
    if not raw:
        problems.append(Problem(where, "id", "missing; every HSDS record needs an id"))
        return None
    if len(raw) > MAX_ID:
        problems.append(Problem(where, "id", f"is {len(raw)} characters; at most {MAX_ID} fit our key"))
        return None
    return raw


def _name(where: str, record: dict, problems: list[Problem]) -> Optional[str]:
    name = _text(record.get("name"))
    if not name:
        problems.append(Problem(where, "name", "missing"))
        return None
    if len(name) > 200:
        problems.append(Problem(where, "name", f"is {len(name)} characters; at most 200"))
        return None
    return name


def _map_organisation(where, org: dict, phones: list[str], problems) -> Optional[OrganisationRecord]:
    before = len(problems)
    oid, name = _id(where, org, problems), _name(where, org, problems)
    if len(problems) > before:
        return None
    return OrganisationRecord(
        key=KEY_PREFIX + oid,
        name=name,
        description=_text(org.get("description")),
        email=_text(org.get("email"))[:200] or None,
        phone=(phones[0][:50] if phones else None),
        website=(_text(org.get("website")) or _text(org.get("url")))[:300] or None,
    )


def choose_category(terms: list[str], name: str, description: str) -> Optional[str]:
    """Our category for a service from its taxonomy terms, name and description; None if none fits."""
    scores = {}
    for category, pattern in _CATEGORY_RES.items():
        score = 5 * sum(len(pattern.findall(t)) for t in terms) + 3 * len(pattern.findall(name)) + len(pattern.findall(description))
        if score:
            scores[category] = score
    if not scores:
        return None
    order = list(CATEGORY_WORDS)
    return max(scores, key=lambda c: (scores[c], -order.index(c)))


def _age(where, value, fieldname, problems) -> Optional[int]:
    raw = _text(value)
    if raw == "":
        return None
    try:
        number = float(raw)
        if not number.is_integer():
            raise ValueError
        age = int(number)
    except ValueError:
        problems.append(Problem(where, fieldname, f"must be a whole number of years, got {raw!r}"))
        return None
    if not 0 <= age <= 120:
        problems.append(Problem(where, fieldname, f"must be between 0 and 120, got {age}"))
        return None
    return age


def _date(where, value, fieldname, problems, today) -> Optional[dt.date]:
    raw = _text(value)
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw[:10])
    except ValueError:
        problems.append(Problem(where, fieldname, f"must be a date as YYYY-MM-DD (or an ISO date-time), got {raw!r}"))
        return None
    if day > today:
        problems.append(Problem(where, fieldname, f"{day} is in the future"))
        return None
    return day


def _cost(svc: _Service, today: dt.date) -> str:
    parts = []
    for opt in svc.cost_options:
        valid_to = _text(opt.get("valid_to"))
        try:
            if valid_to and dt.date.fromisoformat(valid_to[:10]) < today:
                continue  # an expired price says nothing about today's
        except ValueError:
            pass
        amount, currency = _text(opt.get("amount")), _text(opt.get("currency")).upper()
        price = ""
        if amount:
            price = f"£{amount}" if currency in ("", "GBP") else f"{amount} {currency}"
        price = " ".join(x for x in (price, _text(opt.get("amount_description"))) if x)
        label = _text(opt.get("option"))
        parts.append(f"{label}: {price}" if label and price else label or price)
    text = "; ".join(p for p in parts if p) or _text(svc.data.get("fees_description")) or _text(svc.data.get("fees")) or NOT_STATED
    return text if len(text) <= 200 else text[:199].rsplit(" ", 1)[0] + "…"


def _coordinate(where, value, fieldname, limit, problems) -> Optional[float]:
    raw = _text(value)
    try:
        number = float(raw)
        if not math.isfinite(number):
            raise ValueError
    except ValueError:
        problems.append(Problem(where, fieldname, f"must be a number, got {raw!r}"))
        return None
    if not -limit <= number <= limit:
        problems.append(Problem(where, fieldname, f"must be between -{limit} and {limit}, got {raw}"))
        return None
    return round(number, 6)


def _map_location(where: str, loc: dict, addresses: list[dict], problems) -> Optional[LocationRecord]:
    if _text(loc.get("location_type")).lower() == "virtual":
        return None
    addresses = [a for a in addresses if isinstance(a, dict)]
    # A physical address places the service; a postal one is better than none.
    addresses.sort(key=lambda a: _text(a.get("address_type")).lower() not in ("", "physical"))
    addr = addresses[0] if addresses else {}
    raw_postcode = _text(addr.get("postal_code"))
    try:
        postcode = geography.normalise_postcode(raw_postcode) if raw_postcode else ""
    except ValueError:
        postcode = ""
    lines = [_text(addr.get(k)) for k in ("address_1", "address_2", "address_3", "address_4", "city")]
    address = ", ".join(x for x in lines if x)[:300]
    has_lat, has_lon = _text(loc.get("latitude")) != "", _text(loc.get("longitude")) != ""
    lat = lon = None
    if has_lat or has_lon:
        before = len(problems)
        if not has_lat:
            problems.append(Problem(where, "latitude", "missing while longitude is given"))
        if not has_lon:
            problems.append(Problem(where, "longitude", "missing while latitude is given"))
        if len(problems) > before:
            return None
        lat = _coordinate(where, loc.get("latitude"), "latitude", 90, problems)
        lon = _coordinate(where, loc.get("longitude"), "longitude", 180, problems)
        if lat is None or lon is None:
            return None
    elif postcode:
        try:
            place = geography.resolve_place(postcode)
        except geography.UnknownPlace as exc:
            problems.append(Problem(where, "postal_code", f"no latitude/longitude and the postcode cannot be placed: {exc}"))
            return None
        lat, lon = round(place.lat, 6), round(place.lon, 6)
    else:
        shown = f"postcode {raw_postcode!r} is not a UK postcode" if raw_postcode else "no postcode"
        problems.append(Problem(where, "latitude", f"missing, and {shown}; give latitude and longitude or a UK postcode"))
        return None
    if not postcode:
        district, km = geography.nearest_district(lat, lon)
        postcode = district if km <= geography.REVERSE_MAX_KM else ""
    return LocationRecord(name=_text(loc.get("name"))[:200], address=address, postcode=postcode[:10], lat=lat, lon=lon)


def _capacity(svc: _Service, out: OrukDirectory, problems) -> Optional[tuple[int, int]]:
    if not svc.capacities:
        return None
    if len(svc.capacities) > 1:
        out.notes.append(f"{svc.where}: {len(svc.capacities)} capacities; used the first ({svc.capacities[0][0]})")
    cwhere, cap = svc.capacities[0]
    where = cwhere if cwhere.endswith(".csv") or " row " in cwhere else f"{svc.where} {cwhere}"
    values = {}
    for name in ("available", "maximum"):
        raw = _text(cap.get(name))
        if raw == "":
            values[name] = None
            continue
        try:
            number = float(raw)
            if not number.is_integer() or number < 0:
                raise ValueError
            values[name] = int(number)
        except ValueError:
            problems.append(Problem(where, name, f"must be a whole number 0 or more, got {raw!r}"))
            return None
    available, maximum = values["available"], values["maximum"]
    if available is None:
        problems.append(Problem(where, "available", "missing"))
        return None
    if maximum is None:
        return available, 0
    if available > maximum:
        problems.append(Problem(where, "available", f"{available} is more than maximum {maximum}"))
        return None
    return maximum, maximum - available


def _referral(svc: _Service, org: Optional[dict], org_phones: list[str]):
    d, org = svc.data, org or {}
    channels = [
        ("form", _text(d.get("url"))), ("email", _text(d.get("email"))), ("phone", svc.phones[0] if svc.phones else ""),
        ("form", _text(org.get("website")) or _text(org.get("url"))), ("email", _text(org.get("email"))),
        ("phone", org_phones[0] if org_phones else ""),
    ]
    route = next((r for r, v in channels if v), "form")
    contact = next((v for r, v in channels if v and r in ("email", "phone")), None)
    form_url = next((v for r, v in channels if v and r == "form"), None)
    if _SELF_REFERRAL.search(_text(d.get("application_process"))):
        route = "self-referral"
    return route, (contact[:200] if contact else None), (form_url[:300] if route == "form" and form_url else None)


def _map_service(svc: _Service, org_rows, out: OrukDirectory, today: dt.date, seen: dict[str, str]) -> Optional[ProvisionRecord]:
    problems, d, where = out.problems, svc.data, svc.where
    before = len(problems)
    sid, name = _id(where, d, problems), _name(where, d, problems)
    if sid is not None:
        if sid in seen:
            problems.append(Problem(where, "id", f"{sid!r} is used again (first at {seen[sid]})"))
        seen.setdefault(sid, where)
    org_id = _text(svc.org_id)
    org_where, org, org_phones = org_rows.get(org_id, (None, None, []))
    if not org_id:
        problems.append(Problem(where, svc.org_ref_field, "missing; every service needs its organization"))
    elif org is None:
        problems.append(Problem(where, svc.org_ref_field, f"no organization {org_id!r} in {svc.org_ref_source}"))
    min_age = _age(where, d.get("minimum_age"), "minimum_age", problems)
    max_age = _age(where, d.get("maximum_age"), "maximum_age", problems)
    if min_age is not None and max_age is not None and min_age > max_age:
        problems.append(Problem(where, "maximum_age", f"{max_age} is below minimum_age {min_age}"))
    status_raw = _text(d.get("status")).lower()
    if status_raw not in ("", "active", *WITHDRAWN_STATUSES):
        problems.append(Problem(where, "status", f"must be active, inactive, defunct or temporarily closed, got {status_raw!r}"))
    confirmed = _date(where, d.get("assured_date"), "assured_date", problems, today)
    if confirmed is None and not _text(d.get("assured_date")):
        confirmed = _date(where, d.get("last_modified"), "last_modified", problems, today)
    description = _text(d.get("description"))
    category = choose_category(svc.terms, name or "", description)
    if category is None:
        if len(problems) > before:
            return None
        out.skipped.append(Skipped(where, name, "no category: its taxonomy terms, name and description match none of ours"))
        return None
    locations = []
    for lwhere, loc, addresses in svc.locations:
        label = lwhere if " row " in lwhere else f"{where} {lwhere}"
        mapped = _map_location(label, loc, addresses, problems)
        if mapped is not None:
            locations.append(mapped)
    capacity = _capacity(svc, out, problems)
    if len(problems) > before:
        return None
    eligibility = "; ".join([x for x in [_text(d.get("eligibility_description")), *svc.eligibility] if x])
    if _text(d.get("application_process")):
        eligibility = "\n\n".join(x for x in (eligibility, "How to apply: " + _text(d.get("application_process"))) if x)
    route, contact, form_url = _referral(svc, org, org_phones)
    return ProvisionRecord(
        where=where, key=KEY_PREFIX + sid, organisation_key=KEY_PREFIX + org_id, name=name, description=description,
        category=category, min_age=min_age, max_age=max_age, cost=_cost(svc, today), eligibility=eligibility,
        referral_route=route, referral_contact=contact, referral_form_url=form_url,
        status="withdrawn" if status_raw in WITHDRAWN_STATUSES else "active",
        last_confirmed=confirmed, locations=locations, capacity=capacity,
    )


# --- writing -----------------------------------------------------------------------------

_ORG_FIELDS = ("name", "description", "email", "phone", "website")
_PROVISION_FIELDS = ("name", "description", "category", "min_age", "max_age", "cost", "eligibility",
                     "referral_route", "referral_contact", "referral_form_url", "status")


def import_oruk(
    path,
    session: Session,
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: Callable[[int], Any] | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
    directory: OrukDirectory | None = None,
) -> ImportSummary:
    """Import an HSDS JSON file or CSV package all or nothing; raises OrukImportError listing every problem.

    With dry_run nothing is written; the summary says what would change. A bulk import
    (more than bulk_threshold provisions) pauses per-commit reindexing and rebuilds the
    search index once afterwards (needs a Flask app context, as the CLI has).
    """
    today = today or dt.date.today()
    found = directory or read_oruk(path, today)
    if found.problems:
        raise OrukImportError(found.problems)
    summary = ImportSummary(skipped=found.skipped, notes=found.notes, dry_run=dry_run)
    bulk = len(found.provisions) > bulk_threshold and not dry_run
    try:
        if bulk:
            with index_sync.paused(session):
                _write(session, found, today, summary, dry_run, progress)
                session.commit()
        else:
            _write(session, found, today, summary, dry_run, progress)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except Exception:
        session.rollback()
        raise
    if bulk:
        from broker.directory.services import rebuild_index

        rebuild_index()
    return summary


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write(session: Session, found: OrukDirectory, today, summary: ImportSummary, dry_run: bool, progress) -> None:
    with session.no_autoflush:
        orgs: dict[str, Organisation] = {}
        for keys in _chunks(list(found.organisations)):
            orgs.update({o.key: o for o in session.scalars(select(Organisation).where(Organisation.key.in_(keys)))})
        provisions: dict[str, Provision] = {}
        for keys in _chunks([p.key for p in found.provisions]):
            stmt = select(Provision).where(Provision.key.in_(keys)).options(
                selectinload(Provision.locations), selectinload(Provision.intakes), selectinload(Provision.organisation))
            provisions.update({p.key: p for p in session.scalars(stmt)})

        for key, rec in found.organisations.items():
            o = orgs.get(key)
            if o is None:
                summary.organisations_added += 1
                if not dry_run:
                    o = Organisation(key=key, **{f: getattr(rec, f) for f in _ORG_FIELDS})
                    session.add(o)
                    orgs[key] = o
            elif _assign(o, rec, _ORG_FIELDS, dry_run):
                summary.organisations_updated += 1
            else:
                summary.organisations_unchanged += 1

        for rec in found.provisions:
            p = provisions.get(rec.key)
            if p is None:
                summary.provisions_added += 1
                if not dry_run:
                    p = Provision(key=rec.key, organisation=orgs[rec.organisation_key], last_confirmed=rec.last_confirmed or today,
                                  **{f: getattr(rec, f) for f in _PROVISION_FIELDS})
                    p.locations = [Location(**vars(loc)) for loc in rec.locations]
                    places, taken = rec.capacity or (0, 0)
                    p.intakes = [Intake(start=today, places=places, places_taken=taken, rolling=True)]
                    session.add(p)
            elif _update_provision(p, rec, orgs, today, dry_run):
                summary.provisions_updated += 1
            else:
                summary.provisions_unchanged += 1
            if progress:
                progress(1)


def _assign(obj, rec, fields, dry_run: bool) -> bool:
    changed = False
    for f in fields:
        if getattr(obj, f) != getattr(rec, f):
            changed = True
            if not dry_run:
                setattr(obj, f, getattr(rec, f))
    return changed


def _update_provision(p: Provision, rec: ProvisionRecord, orgs, today, dry_run: bool) -> bool:
    changed = _assign(p, rec, _PROVISION_FIELDS, dry_run)
    if p.organisation.key != rec.organisation_key:
        changed = True
        if not dry_run:
            p.organisation = orgs[rec.organisation_key]
    if rec.last_confirmed is not None and p.last_confirmed != rec.last_confirmed:
        changed = True
        if not dry_run:
            p.last_confirmed = rec.last_confirmed
    held = [(l.name, l.address, l.postcode, l.lat, l.lon) for l in p.locations]
    if held != [(l.name, l.address, l.postcode, l.lat, l.lon) for l in rec.locations]:
        changed = True
        if not dry_run:
            p.locations = [Location(**vars(loc)) for loc in rec.locations]
    if rec.capacity is not None:
        places, taken = rec.capacity
        rolling = [i for i in p.intakes if i.rolling]
        if len(rolling) == 1 and (rolling[0].places, rolling[0].places_taken) == (places, taken):
            return changed
        changed = True
        if not dry_run:
            if len(rolling) == 1:
                # Lower places_taken first so places never drops below it, whatever the order of the UPDATE.
                rolling[0].places_taken, rolling[0].places = taken, places
            else:
                start = min((i.start for i in rolling), default=today)
                for i in rolling:
                    p.intakes.remove(i)
                p.intakes.append(Intake(start=start, places=places, places_taken=taken, rolling=True))
    return changed
