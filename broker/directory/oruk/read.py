"""Read a directory in any Open Referral form into nested HSDS 3.0 services, writing nothing.

Sources (`read_source`):
  * a JSON file: one service (``service_full``), a list of them, a page of them
    (``{"contents": [...]}``, or ``{"content": [...]}`` in the 1.x API), an
    organisation with its services (``organization_full``), services at locations
    (``service_at_location_full`` and its list) or the HSDS 3.0 ``tabular.json``
    (``{"services.csv": [rows], ...}``);
  * a folder holding a CSV data package (HSDS 3.0 and 1.x table names; a
    datapackage.json, when there, names the files), with the HSDS 3.1
    service_capacity.csv and units.csv;
  * the URL of a live ORUK API (3.0, or the 1.x form): every page of `/services`, then
    each service's full record from `/services/{id}`, over HTTP with timeouts, retries
    and backoff (honouring Retry-After), at most MAX_BYTES a response.
HSDS 1.x names (eligibilitys, service_taxonomys, physical_addresses, regular_schedules,
languages' `language`) are turned into 3.0's on the way, so mapping.py reads one shape.
A sub-record read from a CSV row carries its row in ``_where`` so problems name it.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote, urlsplit

from broker.directory.oruk.mapping import Problem, items, text

MAX_BYTES = 50_000_000
PAGE_SIZE = 100
MAX_PAGES = 10_000
USER_AGENT = "broker-oruk-import/1.0 (Open Referral UK importer)"


@dataclass
class Feed:
    """What a source holds: services (where, nested HSDS 3.0 dict), and what stopped parts being read."""

    source: str
    services: list[tuple[str, dict]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    readable: bool = True  # False: the source itself could not be read, so nothing can come in


def read_source(source: str, *, progress=None) -> Feed:
    """Read a file, a folder or a live API (see the module doc)."""
    if re.match(r"^https?://", source, re.I):
        return read_api(source, progress=progress)
    path = Path(source)
    if path.is_dir():
        return read_package(path)
    if path.is_file():
        return read_json_file(path)
    feed = Feed(source, readable=False)
    feed.problems.append(Problem(source, "path", "does not exist; give an HSDS JSON file, a folder of HSDS CSV files "
                                 "or the http(s) address of an Open Referral API", "file"))
    return feed


# --- JSON ---------------------------------------------------------------------------------


def read_json_file(path: Path) -> Feed:
    feed = Feed(str(path))
    name = path.name
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        return _unreadable(feed, name, f"is not UTF-8 text (bad byte at position {exc.start})")
    except json.JSONDecodeError as exc:
        return _unreadable(feed, name, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return _unreadable(feed, name, "is nested too deeply to be HSDS")
    services_from_json(body, name, feed)
    return feed


def _unreadable(feed: Feed, where: str, message: str) -> Feed:
    feed.readable = False
    feed.problems.append(Problem(where, "file", message, "file"))
    return feed


def services_from_json(body: Any, name: str, feed: Feed) -> None:
    """Every service in a JSON document, whatever the Open Referral form, into `feed`."""
    if isinstance(body, dict) and any(k.endswith(".csv") for k in body):  # HSDS 3.0 tabular.json
        table_of = {file_name: table for table, names in TABLES.items() for file_name in names}
        tables, labels = {}, {}
        for key, rows in body.items():
            if key in table_of and isinstance(rows, list):
                tables[table_of[key]] = [(f"{name} {key}[{n}]", r) for n, r in enumerate(rows) if isinstance(r, dict)]
                labels[table_of[key]] = f"{name} {key}"
        if "service" not in tables or "organization" not in tables:
            _unreadable(feed, name, "holds no services.csv or organizations.csv table")
            return
        _services_from_tables(tables, feed, labels)
        return
    if isinstance(body, dict) and isinstance(body.get("contents"), list):
        records, label = body["contents"], "contents"
    elif isinstance(body, dict) and isinstance(body.get("content"), list):  # the 1.x API's page
        records, label = body["content"], "content"
    elif isinstance(body, list):
        records, label = body, ""
    elif isinstance(body, dict):
        records, label = [body], None
    else:
        _unreadable(feed, name, "must hold an HSDS service, organization or a list of them")
        return
    organisations: dict[str, dict] = {}
    by_id: dict[str, dict] = {}
    for n, record in enumerate(records):
        where = name if label is None else f"{name} {label}[{n}]" if label else f"{name} [{n}]"
        if not isinstance(record, dict):
            feed.problems.append(Problem(where, "record", "must be an object (an HSDS service or organization)"))
            continue
        if isinstance(record.get("service"), dict):  # a service at a location
            svc = from_v1(dict(record["service"]))
            sal = {k: v for k, v in record.items() if k != "service"}
            sid = text(svc.get("id"))
            if sid and sid in by_id:
                by_id[sid].setdefault("service_at_locations", []).append(sal)
                continue
            svc["service_at_locations"] = [*items(svc.get("service_at_locations")), sal]
            _add(feed, by_id, where, svc)
        elif isinstance(record.get("services"), list) and "organization" not in record:  # an organisation
            org = {k: v for k, v in record.items() if k != "services"}
            organisations.setdefault(text(org.get("id")), org)
            for m, svc in enumerate(record["services"]):
                swhere = f"{where} services[{m}]"
                if not isinstance(svc, dict):
                    feed.problems.append(Problem(swhere, "service", "must be an object"))
                    continue
                svc = from_v1(dict(svc))
                svc.setdefault("organization", org)
                _add(feed, by_id, swhere, svc)
        else:
            _add(feed, by_id, where, from_v1(dict(record)))
    for _, svc in feed.services:
        if not isinstance(svc.get("organization"), dict):
            org = organisations.get(text(svc.get("organization_id")))
            if org is not None:
                svc["organization"] = org
            else:
                svc["_organizations_in"] = name


def _add(feed: Feed, by_id: dict, where: str, svc: dict) -> None:
    sid = text(svc.get("id"))
    if sid and sid in by_id:
        first = next(w for w, s in feed.services if s is by_id[sid])
        feed.problems.append(Problem(where, "id", f"{sid!r} is used again (first at {first})"))
        return
    if sid:
        by_id[sid] = svc
    feed.services.append((where, svc))


def from_v1(svc: dict) -> dict:
    """HSDS / ORUK 1.x names into 3.0's (a 3.0 service passes through unchanged)."""
    elig = items(svc.get("eligibilitys"))
    if elig:
        svc.setdefault("_eligibility", [text(e.get("eligibility")) for e in elig if text(e.get("eligibility"))])
        for key in ("minimum_age", "maximum_age"):
            if text(svc.get(key)) == "":
                svc[key] = next((e[key] for e in elig if text(e.get(key)) != ""), None)
    if items(svc.get("service_taxonomys")):
        svc.setdefault("attributes", [])
        svc["attributes"] = [*items(svc["attributes"]), *[
            {"taxonomy_term": {**t["taxonomy"], "taxonomy": text(t["taxonomy"].get("vocabulary"))}}
            for t in items(svc["service_taxonomys"]) if isinstance(t.get("taxonomy"), dict)]]
    if items(svc.get("regular_schedules")) and not items(svc.get("schedules")):
        svc["schedules"] = svc["regular_schedules"]
    for sal in items(svc.get("service_at_locations")):
        loc = sal.get("location")
        if isinstance(loc, dict) and not items(loc.get("addresses")) and items(loc.get("physical_addresses")):
            loc["addresses"] = loc["physical_addresses"]
    for area in items(svc.get("service_areas")):
        area.setdefault("name", area.get("service_area"))
    org = svc.get("organization")
    if isinstance(org, dict) and not org.get("website") and org.get("url"):
        org["website"] = org["url"]
    return svc


# --- CSV data packages ------------------------------------------------------------------

# Each table's usual file names across HSDS versions, when there is no datapackage.json.
TABLES = {
    "organization": ("organizations.csv", "organization.csv"),
    "service": ("services.csv", "service.csv"),
    "location": ("locations.csv", "location.csv"),
    "service_at_location": ("service_at_location.csv", "services_at_location.csv", "service_at_locations.csv"),
    "address": ("addresses.csv", "address.csv", "physical_addresses.csv", "physical_address.csv"),
    "phone": ("phones.csv", "phone.csv"),
    "schedule": ("schedules.csv", "schedule.csv", "regular_schedules.csv"),
    "service_area": ("service_areas.csv", "service_area.csv"),
    "language": ("languages.csv", "language.csv"),
    "contact": ("contacts.csv", "contact.csv"),
    "required_document": ("required_documents.csv", "required_document.csv"),
    "cost_option": ("cost_options.csv", "cost_option.csv"),
    "eligibility": ("eligibility.csv", "eligibilities.csv"),
    "attribute": ("attributes.csv", "attribute.csv"),
    "taxonomy_term": ("taxonomy_terms.csv", "taxonomy_term.csv"),
    "service_taxonomy": ("services_taxonomy.csv", "service_taxonomy.csv"),
    "taxonomy": ("taxonomies.csv", "taxonomy.csv"),
    "capacity": ("service_capacity.csv", "service_capacities.csv", "capacities.csv"),
    "unit": ("units.csv", "unit.csv"),
}
# datapackage.json resource names that differ from ours.
_RESOURCE_NAMES = {"physical_address": "address", "service_capacity": "capacity", "regular_schedule": "schedule"}
REQUIRED_COLUMNS = {
    "organization": ("id", "name"),
    "service": ("id", "name", "organization_id"),
    "location": ("id",),
    "service_at_location": ("service_id", "location_id"),
    "capacity": ("service_id", "available"),
}


def _table_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    package = folder / "datapackage.json"
    if package.is_file():
        try:
            for res in json.loads(package.read_text(encoding="utf-8")).get("resources", []):
                name = _RESOURCE_NAMES.get(res.get("name"), res.get("name"))
                if name in TABLES and isinstance(res.get("path"), str) and (folder / res["path"]).is_file():
                    files[name] = folder / res["path"]
        except (ValueError, AttributeError, TypeError):
            pass  # a broken descriptor: fall back to the usual names
    for table, names in TABLES.items():
        if table not in files:
            found = next((folder / n for n in names if (folder / n).is_file()), None)
            if found:
                files[table] = found
    return files


def _read_csv(path: Path, table: str, feed: Feed) -> list[tuple[str, dict]]:
    """Rows as (label, dict); the label counts the header as row 1, like a spreadsheet."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in REQUIRED_COLUMNS.get(table, ()) if c not in header]
            if missing:
                feed.problems.append(Problem(f"{path.name} row 1", "header", f"missing column(s) {', '.join(missing)}", "file"))
                return []
            reader.fieldnames = header
            return [(f"{path.name} row {n}", {k: (v or "").strip() for k, v in r.items() if k})
                    for n, r in enumerate(reader, start=2)]
    except UnicodeDecodeError as exc:
        feed.problems.append(Problem(path.name, "file", f"is not UTF-8 text (bad byte at position {exc.start}); save it as 'CSV UTF-8'", "file"))
    except csv.Error as exc:
        feed.problems.append(Problem(path.name, "file", f"is not readable CSV: {exc}", "file"))
    return []


def read_package(folder: Path) -> Feed:
    feed = Feed(str(folder))
    files = _table_files(folder)
    for table in ("organization", "service"):
        if table not in files:
            _unreadable(feed, str(folder), f"no {' or '.join(TABLES[table])} in the folder")
    if not feed.readable:
        return feed
    tables = {table: _read_csv(path, table, feed) for table, path in files.items()}
    if not tables["service"] and any(p.field == "header" for p in feed.problems):
        feed.readable = False
    _services_from_tables(tables, feed, {t: p.name for t, p in files.items()})
    return feed


def _services_from_tables(t: dict[str, list[tuple[str, dict]]], feed: Feed, name: dict[str, str]) -> None:
    """Nest the rows of HSDS tables into services, each with its organisation, places and the rest."""

    def by(table, column):
        grouped: dict[str, list[dict]] = {}
        for where, row in t.get(table, []):
            grouped.setdefault(text(row.get(column)), []).append(dict(row, _where=where))
        return grouped

    def clean(row: dict) -> dict:
        return {k: v for k, v in row.items() if v != "" or k == "_where"}

    phones_by = {col: by("phone", col) for col in ("organization_id", "service_id", "contact_id")}
    organisations = {}
    for where, row in t.get("organization", []):
        org = clean(dict(row, _where=where))
        org["phones"] = phones_by["organization_id"].get(text(row.get("id")), [])
        organisations.setdefault(text(row.get("id")), org)
    locations = {text(r.get("id")): (w, r) for w, r in t.get("location", [])}
    addresses = by("address", "location_id")
    service_ids = {text(r.get("id")) for _, r in t.get("service", [])}
    sal_by_service: dict[str, list[dict]] = {}
    for where, row in t.get("service_at_location", []):
        sid, lid = text(row.get("service_id")), text(row.get("location_id"))
        if sid not in service_ids:
            feed.problems.append(Problem(where, "service_id", f"no service {sid!r} in {name.get('service', 'services.csv')}", "row"))
        elif lid not in locations:
            feed.problems.append(Problem(where, "location_id", f"no location {lid!r} in {name.get('location', 'locations.csv')}", "location"))
        else:
            lwhere, loc = locations[lid]
            sal_by_service.setdefault(sid, []).append(
                {"id": row.get("id"), "_where": where,
                 "location": clean(dict(loc, _where=lwhere, addresses=[clean(a) for a in addresses.get(lid, [])]))})
    terms = {text(r.get("id")): clean(r) for _, r in t.get("taxonomy_term", [])}
    terms.update({text(r.get("id")): {**clean(r), "taxonomy": text(r.get("vocabulary"))}
                  for _, r in t.get("taxonomy", []) if text(r.get("id")) not in terms})
    attributes: dict[str, list[dict]] = {}
    for where, row in t.get("attribute", []):
        link = text(row.get("link_id"))
        if link not in service_ids:
            continue  # attributes may describe other records (organisations, locations)
        term = terms.get(text(row.get("taxonomy_term_id")))
        if term is None:
            feed.problems.append(Problem(where, "taxonomy_term_id", f"no taxonomy term {text(row.get('taxonomy_term_id'))!r} in "
                                         f"{name.get('taxonomy_term', 'taxonomy_terms.csv')}", "row"))
            continue
        attributes.setdefault(link, []).append({"taxonomy_term": term})
    for where, row in t.get("service_taxonomy", []):  # HSDS 1.x
        if text(row.get("service_id")) in service_ids and text(row.get("taxonomy_id")) in terms:
            attributes.setdefault(text(row["service_id"]), []).append({"taxonomy_term": terms[text(row["taxonomy_id"])]})
    units = {text(r.get("id")): clean(r) for _, r in t.get("unit", [])}
    capacities = by("capacity", "service_id")
    for sid, rows in capacities.items():
        if sid not in service_ids:
            for row in rows:
                feed.problems.append(Problem(row["_where"], "service_id", f"no service {sid!r} in {name.get('service', 'services.csv')}", "row"))
    contacts = by("contact", "service_id")
    grouped = {table: by(table, "service_id") for table in
               ("schedule", "service_area", "language", "required_document", "cost_option", "eligibility")}
    has_capacities = "capacity" in t
    for where, row in t.get("service", []):
        sid = text(row.get("id"))
        svc = clean(dict(row, _where=where))
        org = organisations.get(text(row.get("organization_id")))
        if org is not None:
            svc["organization"] = org
        else:
            svc["_organizations_in"] = name.get("organization", "organizations.csv")
        svc["phones"] = phones_by["service_id"].get(sid, [])
        svc["service_at_locations"] = sal_by_service.get(sid, [])
        svc["attributes"] = list(attributes.get(sid, []))
        for tid in re.split(r"[,;\s]+", text(row.get("taxonomy_ids"))):  # HSDS 1.x
            if tid in terms:
                svc["attributes"].append({"taxonomy_term": terms[tid]})
        svc["schedules"] = [clean(s) for s in grouped["schedule"].get(sid, [])]
        svc["service_areas"] = [clean(a) for a in grouped["service_area"].get(sid, [])]
        svc["languages"] = [clean(x) for x in grouped["language"].get(sid, [])]
        svc["required_documents"] = [clean(d) for d in grouped["required_document"].get(sid, [])]
        svc["cost_options"] = [clean(c) for c in grouped["cost_option"].get(sid, [])]
        svc["_eligibility"] = [text(e.get("eligibility")) for e in grouped["eligibility"].get(sid, []) if text(e.get("eligibility"))]
        svc["contacts"] = [dict(clean(c), phones=phones_by["contact_id"].get(text(c.get("id")), []))
                           for c in contacts.get(sid, [])]
        if has_capacities:
            svc["capacities"] = [dict(clean(c), unit=units.get(text(c.get("unit_id")), {}))
                                 for c in capacities.get(sid, [])]
        _add(feed, {}, where, svc)
    _report_duplicates(feed)


def _report_duplicates(feed: Feed) -> None:
    seen: dict[str, str] = {}
    kept = []
    for where, svc in feed.services:
        sid = text(svc.get("id"))
        if sid and sid in seen:
            feed.problems.append(Problem(where, "id", f"{sid!r} is used again (first at {seen[sid]})"))
            continue
        seen.setdefault(sid, where)
        kept.append((where, svc))
    feed.services = kept


# --- a live API -------------------------------------------------------------------------


class FetchError(Exception):
    """A page or record that could not be read after the retries; the message says why."""


def api_base(url: str) -> str:
    """The API stub from what a user gives: ".../oruk/", ".../oruk/services" -> ".../oruk"."""
    base = url.strip().split("?", 1)[0].rstrip("/")
    return re.sub(r"/services$", "", base)


def read_api(url: str, *, progress=None, client=None) -> Feed:
    """Every service of a live ORUK API, each as its full record (see the module doc)."""
    from broker.directory.oruk.http import Fetcher

    base = api_base(url)
    feed = Feed(base)
    if not urlsplit(base).netloc:
        return _unreadable(feed, url, "is not a web address")
    with Fetcher(client=client) as fetch:
        try:
            ids = _list_service_ids(fetch, base, feed)
        except FetchError as exc:
            return _unreadable(feed, f"{base}/services", str(exc))
        if progress is not None:
            progress.reset(total=len(ids))
        organisations: dict[str, Optional[dict]] = {}
        for sid in ids:
            where = f"{base}/services/{sid}"
            try:
                svc = fetch.json(f"{base}/services/{quote(sid, safe='')}")
            except FetchError as exc:
                feed.problems.append(Problem(where, "service", f"could not be read: {exc}"))
                svc = None
            if isinstance(svc, dict):
                svc = from_v1(svc)
                if not isinstance(svc.get("organization"), dict) and text(svc.get("organization_id")):
                    org_id = text(svc["organization_id"])
                    if org_id not in organisations:
                        organisations[org_id] = _organisation(fetch, base, org_id)
                    if organisations[org_id] is not None:
                        svc["organization"] = organisations[org_id]
                    else:
                        svc["_organizations_in"] = f"{base}/organizations"
                _add(feed, {}, where, svc)
            elif svc is not None:
                feed.problems.append(Problem(where, "service", "is not an HSDS service (a JSON object)"))
            if progress is not None:
                progress.update(1)
    _report_duplicates(feed)
    return feed


def _organisation(fetch, base: str, org_id: str) -> Optional[dict]:
    try:
        org = fetch.json(f"{base}/organizations/{quote(org_id, safe='')}")
    except FetchError:
        return None
    return org if isinstance(org, dict) else None


def _list_service_ids(fetch, base: str, feed: Feed) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    page = 1
    while page <= MAX_PAGES:
        body = fetch.json(f"{base}/services", params={"page": page, "per_page": PAGE_SIZE})
        if not isinstance(body, dict):
            raise FetchError(f"page {page} is not an Open Referral page of services")
        contents = body.get("contents") if isinstance(body.get("contents"), list) else body.get("content")
        if not isinstance(contents, list):
            raise FetchError(f"page {page} has no 'contents' list: not an Open Referral API")
        new = 0
        for n, item in enumerate(contents):
            sid = text(item.get("id")) if isinstance(item, dict) else ""
            if not sid:
                feed.problems.append(Problem(f"{base}/services?page={page} contents[{n}]", "id", "missing; every HSDS service needs an id"))
            elif sid not in seen:
                seen.add(sid)
                ids.append(sid)
                new += 1
        total_pages = body.get("total_pages", body.get("totalPages"))
        last = body.get("last_page", body.get("last"))
        if not contents or new == 0 or last is True or (isinstance(total_pages, int) and page >= total_pages):
            break
        page += 1
    return ids


def json_text(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FetchError(f"{where} is not UTF-8 text (bad byte at position {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FetchError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise FetchError(f"{where} is nested too deeply to be HSDS") from None
