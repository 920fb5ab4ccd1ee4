"""Export the published directory as an HSDS 3.0 tabular data package: CSV files and datapackage.json.

The package holds what /oruk/ publishes (mapping.service_json flattened into HSDS
tables), with each table's columns and field definitions as in the HSDS 3.0 data
package (docs/oruk/hsds-3.0-datapackage.json), plus HSDS 3.1's service_capacity.csv
and units.csv for intakes' places. `broker import-oruk DIR` reads it back to the same
listings. Cells are written as they are (no spreadsheet escaping): this is data
interchange, and a changed value would not round-trip.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from broker.config import PROJECT_ROOT
from broker.directory.models import Provision
from broker.directory.oruk import mapping, vocabulary

HSDS_DESCRIPTOR = PROJECT_ROOT / "docs" / "oruk" / "hsds-3.0-datapackage.json"
PUBLISHED = ("active", "withdrawn")
# HSDS 3.1 tables that 3.0 lacks (their columns as in the 3.1 examples).
EXTRA_RESOURCES = {
    "service_capacity": ("service_capacity.csv", [
        ("id", "string", "uuid"), ("service_id", "string", "uuid"), ("unit_id", "string", "uuid"),
        ("available", "integer", None), ("maximum", "integer", None), ("description", "string", None),
        ("updated", "datetime", None)]),
    "unit": ("units.csv", [("id", "string", "uuid"), ("name", "string", None), ("scheme", "string", None),
                           ("identifier", "string", None), ("uri", "string", "uri")]),
}
TABLES = ("organization", "service", "location", "service_at_location", "address", "phone", "schedule",
          "service_area", "language", "contact", "required_document", "attribute", "taxonomy", "taxonomy_term",
          "service_capacity", "unit")


def _rows(session: Session, today: dt.date) -> dict[str, dict[str, dict]]:
    """Every table's rows by id (a place or organisation shared by listings is written once)."""
    tables: dict[str, dict[str, dict]] = {t: {} for t in TABLES}

    def add(table, row):
        tables[table].setdefault(row["id"], row)

    listings = session.scalars(
        select(Provision).where(Provision.status.in_(PUBLISHED)).order_by(Provision.id)
        .options(selectinload(Provision.organisation), selectinload(Provision.intakes), selectinload(Provision.locations))
    )
    for p in listings:
        svc = mapping.service_json(p, today)
        org = svc.pop("organization")
        for phone in org.pop("phones", []):
            add("phone", phone)
        add("organization", org)
        for phone in svc.pop("phones"):
            add("phone", phone)
        for sal in svc.pop("service_at_locations"):
            loc = sal.pop("location")
            for address in loc.pop("addresses"):
                add("address", address)
            add("location", loc)
            add("service_at_location", sal)
        for s in svc.pop("schedules"):
            add("schedule", s)
        for cap in svc.pop("capacities"):
            unit = cap.pop("unit")
            add("unit", unit)
            add("service_capacity", dict(cap, unit_id=unit["id"]))
        for area in svc.pop("service_areas"):
            area.pop("service_area", None)  # the UK profile's copy of name; not an HSDS 3.0 column
            add("service_area", area)
        for table, key in (("language", "languages"), ("required_document", "required_documents")):
            for row in svc.pop(key):
                add(table, row)
        for contact in svc.pop("contacts"):
            for phone in contact.pop("phones", []):
                add("phone", phone)
            add("contact", contact)
        for attr in svc.pop("attributes"):
            attr.pop("taxonomy_term")
            add("attribute", attr)
        for key in ("cost_options", "funding"):
            svc.pop(key)
        add("service", svc)
    for taxonomy in vocabulary.TAXONOMIES:
        add("taxonomy", mapping.taxonomy_json(taxonomy))
    for term in vocabulary.TERMS:
        row = mapping.term_json(term)
        row.pop("term")  # the UK profile's copy of name; not an HSDS 3.0 column
        add("taxonomy_term", row)
    return tables


def _resources() -> dict[str, dict]:
    official = json.loads(HSDS_DESCRIPTOR.read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in official["resources"] if r["name"] in TABLES}
    for name, (path, fields) in EXTRA_RESOURCES.items():
        resources[name] = {
            "name": name, "path": path, "format": "csv", "mediatype": "text/csv", "profile": "tabular-data-resource",
            "description": "HSDS 3.1: " + ("places on an intake" if name == "service_capacity" else "what a capacity counts"),
            "schema": {"primaryKey": "id", "fields": [
                {"name": f, "type": t, **({"format": fmt} if fmt else {})} for f, t, fmt in fields]},
        }
    return resources


def export_package(folder, session: Session, today: dt.date | None = None) -> dict[str, int]:
    """Write the package into `folder` (created if need be); returns rows written per file."""
    today = today or dt.date.today()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables, resources = _rows(session, today), _resources()
    written = {}
    for table in TABLES:
        resource = resources[table]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        rows = list(tables[table].values())
        unknown = {k for row in rows for k in row} - set(columns)
        assert not unknown, f"{table}: {unknown} are not HSDS columns"  # mapping and the descriptor disagree
        with (folder / resource["path"]).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            writer.writerows(rows)
        written[resource["path"]] = len(rows)
    descriptor = {
        "name": "broker-directory", "title": "Provision for young people (Open Referral UK / HSDS 3.0)",
        "profile": "tabular-data-package", "version": "3.0.0", "created": dt.datetime.now(dt.timezone.utc).isoformat(),
        "resources": [resources[t] for t in TABLES],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")
    return written
