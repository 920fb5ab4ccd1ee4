"""Importing Open Referral UK (HSDS 3.0) directories: mapping, idempotence, all-or-nothing, search."""
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker.directory.models import Intake, Location, Organisation, Provision
from broker.directory.oruk import OrukImportError, choose_category, import_oruk, read_oruk
from broker.directory.params import parse_search
from broker.directory.services import search_provisions
from broker.extensions import db

FIXTURES = Path(__file__).parent / "oruk_fixtures"
TODAY = dt.date(2025, 1, 1)
SERVICE_KEY = "oruk:ac148810-d857-441c-9679-408f346de14b"
ORG_KEY = "oruk:d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
ELIGIBILITY_30 = (
    "This service is intended for all people aged 12 and over who require counselling services in the MyCity area"
    "\n\nHow to apply: If you are an NHS patient please ask your GP for a referral letter, we will then be in touch "
    "with you directly. If you are not an NHS patient you should ring our reception to arrange an appointment"
)
FEES_30 = (
    "Non-NHS patients are expected to pay for their counselling sessions. We charge a flat rate per hour of "
    "counselling. The current rate is £50 per hour. Please see our website for up to date prices."
)


def imported(path, **kw):
    return import_oruk(FIXTURES / path if isinstance(path, str) else path, db.session, today=TODAY, **kw)


def provision(key=SERVICE_KEY) -> Provision:
    db.session.expire_all()
    return db.session.scalars(select(Provision).where(Provision.key == key)).one()


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Organisation, Provision, Location, Intake))


def row(p: Provision) -> dict:
    return {
        "name": p.name, "category": p.category, "min_age": p.min_age, "max_age": p.max_age, "cost": p.cost,
        "eligibility": p.eligibility, "referral_route": p.referral_route, "referral_contact": p.referral_contact,
        "referral_form_url": p.referral_form_url, "status": p.status, "last_confirmed": p.last_confirmed,
        "organisation": p.organisation.key,
    }


def places(p: Provision):
    return [(i.start, i.places, i.places_taken, i.rolling) for i in p.intakes]


def where(p: Provision):
    return [(l.name, l.address, l.postcode, l.lat, l.lon) for l in p.locations]


def test_uk_profile_service_full(app):
    s = imported("ukprofile_service_full.json")
    assert (s.organisations_added, s.provisions_added, s.skipped) == (1, 1, [])
    p = provision()
    assert row(p) == {
        "name": "Community Counselling", "category": "mental-health", "min_age": 12, "max_age": 100,
        "cost": "fees_description",  # the UK profile example's own placeholder; its cost option expired in 2022
        "eligibility": "", "referral_route": "form", "referral_contact": "email@example.com",
        "referral_form_url": "http://example.com/counselling", "status": "active",
        "last_confirmed": dt.date(2005, 1, 1), "organisation": ORG_KEY,
    }
    assert p.description.startswith("Counselling Services provided by trained professionals.")
    assert where(p) == [("MyCity Civic Center", "1-30 Main Street, MyCity", "LS1 6DN", 53.79646, -1.5401)]
    assert places(p) == [(TODAY, 0, 0, True)]  # no capacity: listed, no vacancy
    o = p.organisation
    assert (o.name, o.email, o.phone, o.website) == ("Example Organization Inc.", "email@example.com", None, "http://example.com")


def test_hsds_31_capacity_and_position_from_postcode(app):
    imported("spec31_service_full.json")
    p = provision()
    assert row(p) | {"eligibility": None} == {
        "name": "Community Counselling", "category": "mental-health", "min_age": 12, "max_age": 100, "cost": FEES_30,
        "eligibility": None, "referral_route": "form", "referral_contact": "email@example.com",
        "referral_form_url": "http://example.com/counselling", "status": "active",
        "last_confirmed": dt.date(2005, 1, 1), "organisation": ORG_KEY,
    }
    assert p.eligibility == ELIGIBILITY_30
    # No latitude/longitude in the file: the postcode's point from the shipped geography.
    assert where(p) == [("MyCity Civic Center", "1-30 Main Street, MyVillage, MyCity", "LS9 6QE", 53.80828, -1.494)]
    assert places(p) == [(TODAY, 10, 7, True)]  # maximum 10, available 3
    assert p.organisation.phone == "+44 1234 234567"


def test_service_list_without_locations(app):
    s = imported("spec30_service_list.json")
    assert s.provisions_added == 1
    p = provision()
    assert (p.cost, p.eligibility, p.locations) == (FEES_30, ELIGIBILITY_30, [])


def test_csv_package_30_with_cost_options_and_capacity(app):
    s = imported("csv30")
    assert (s.organisations_added, s.provisions_added) == (1, 1)
    p = provision()
    assert row(p)["cost"] == "Under 18s and Over 60s: £35 per 1 hour session"
    assert (p.min_age, p.max_age, p.eligibility, p.last_confirmed) == (12, 100, ELIGIBILITY_30, dt.date(2005, 1, 1))
    assert where(p) == [("MyCity Civic Center", "1-30 Main Street, MyVillage, MyCity", "WF1 3TP", 53.71515, -1.49345)]
    assert places(p) == [(TODAY, 10, 6, True)]


def test_v1_package_maps_categories_status_and_reports_skipped(app):
    s = imported("v1")
    assert (s.organisations_added, s.provisions_added) == (6, 6)
    assert [(x.where, x.name) for x in s.skipped] == [
        ("services.csv row 4", "Grocery Tax Break Donation"), ("services.csv row 7", "Shop Assist"),
        ("services.csv row 8", "Example City Summer Camp"), ("services.csv row 10", "Parks Disability Services"),
        ("services.csv row 11", "The City's Kitchen"), ("services.csv row 12", "Meals To-Go at The Cross"),
        ("services.csv row 14", "Bubbles at The Cross"),
    ]
    assert all(x.reason.startswith("no category") for x in s.skipped)
    got = {p.name: (p.category, p.status, p.last_confirmed) for p in db.session.scalars(select(Provision))}
    assert got == {
        "Never Homeless Helpline": ("housing", "active", TODAY),
        "Yound Minds": ("education", "active", TODAY),
        "Food Safety Program": ("training", "withdrawn", TODAY),
        "Al-Anon Family Group": ("drugs-alcohol", "active", TODAY),
        "Dear Teacher Skills Refresh": ("training", "withdrawn", TODAY),
        "Wash & Go at The Cross": ("housing", "withdrawn", TODAY),
    }
    helpline = provision("oruk:c89eb05c-62dd-4b64-b494-0cc347b6ea7f")
    assert (helpline.eligibility, helpline.referral_route, helpline.referral_contact, helpline.cost) == (
        "adult\n\nHow to apply: Call for further information", "email", "neverhomeless@example.com", "Not stated")
    assert where(helpline) == [("Sanctuary on 5th Street", "Address 1, Address 2, New York City", "BD1 1JX", 53.79223, -1.7505)]


def test_reimport_changes_nothing_then_updates_by_key(app, tmp_path):
    imported("csv30")
    before = counts()
    p = provision()
    stamp, intake_id = p.updated_at, p.intakes[0].id
    s = import_oruk(FIXTURES / "csv30", db.session, today=TODAY + dt.timedelta(days=3))
    assert (s.organisations_unchanged, s.provisions_unchanged, s.provisions_added, s.provisions_updated) == (1, 1, 0, 0)
    p = provision()
    assert counts() == before and p.updated_at == stamp and p.intakes[0].id == intake_id

    changed = tmp_path / "csv30"
    shutil.copytree(FIXTURES / "csv30", changed)
    cap = changed / "service_capacity.csv"
    cap.write_text(cap.read_text(encoding="utf-8").replace(",4,10,", ",1,12,"), encoding="utf-8")
    svc = changed / "services.csv"
    svc.write_text(svc.read_text(encoding="utf-8").replace(",active,", ",defunct,"), encoding="utf-8")
    s = import_oruk(changed, db.session, today=TODAY + dt.timedelta(days=3))
    assert (s.provisions_updated, s.provisions_added) == (1, 0)
    p = provision()
    assert counts() == before
    assert p.status == "withdrawn"
    assert places(p) == [(TODAY, 12, 11, True)]  # the same rolling intake, start kept


def test_dry_run_writes_nothing(app):
    s = imported("v1", dry_run=True)
    assert (s.dry_run, s.organisations_added, s.provisions_added) == (True, 6, 6)
    assert counts() == (0, 0, 0, 0)


def test_published_spec_example_rejected_for_its_latitude(app):
    # The HSDS examples place their location at latitude 100, longitude 101.
    with pytest.raises(OrukImportError) as exc:
        imported("spec30_service_full.json")
    assert [str(p) for p in exc.value.problems] == [
        "spec30_service_full.json service_at_locations[0].location, latitude: must be between -90 and 90, got 100"
    ]
    assert counts() == (0, 0, 0, 0)


def _broken_v1(tmp_path) -> Path:
    folder = tmp_path / "v1"
    shutil.copytree(FIXTURES / "v1", folder)
    svc = folder / "services.csv"
    text = svc.read_text(encoding="utf-8")
    text = text.replace("Never Homeless Helpline", "", 1)  # row 2: name missing
    text = text.replace("25870bcf-7528-4e05-8f0c-7e639075ce71,18996320-649c-11e6-8b77-86f30ca893d3",
                        "25870bcf-7528-4e05-8f0c-7e639075ce71,no-such-org", 1)  # row 3: unknown organization
    svc.write_text(text, encoding="utf-8")
    loc = folder / "locations.csv"
    loc.write_text(loc.read_text(encoding="utf-8").replace("39.428192", "north"), encoding="utf-8")
    return folder


def test_broken_package_lists_every_problem_and_changes_nothing(app, tmp_path):
    imported("ukprofile_service_full.json")
    before, p = counts(), provision()
    snapshot = (row(p), where(p), places(p))
    with pytest.raises(OrukImportError) as exc:
        import_oruk(_broken_v1(tmp_path), db.session, today=TODAY)
    assert [str(x) for x in exc.value.problems] == [
        "services.csv row 2, name: missing",
        "services.csv row 3, organization_id: no organization 'no-such-org' in organizations.csv",
        "locations.csv row 3, latitude: must be a number, got 'north'",
    ]
    assert counts() == before and (row(provision()), where(provision()), places(provision())) == snapshot


def test_broken_json(app, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "name": ', encoding="utf-8")
    with pytest.raises(OrukImportError) as exc:
        import_oruk(bad, db.session, today=TODAY)
    assert [str(x) for x in exc.value.problems] == ["bad.json, file: is not valid JSON: Expecting value at line 1 column 21"]

    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    del body["organization"]
    body["organization_id"] = "nobody"
    body["maximum_age"] = 10
    body["service_at_locations"][0]["location"]["latitude"] = 91
    other = dict(body, id="second", name="", organization_id=None, maximum_age=None)
    bad.write_text(json.dumps([body, other]), encoding="utf-8")
    with pytest.raises(OrukImportError) as exc:
        import_oruk(bad, db.session, today=TODAY)
    assert [str(x) for x in exc.value.problems] == [
        "bad.json [0], organization_id: no organization 'nobody' in bad.json",
        "bad.json [0], maximum_age: 10 is below minimum_age 12",
        "bad.json [0] service_at_locations[0].location, latitude: must be between -90 and 90, got 91",
        "bad.json [1], name: missing",
        "bad.json [1], organization_id: missing; every service needs its organization",
        "bad.json [1] service_at_locations[0].location, latitude: must be between -90 and 90, got 91",
    ]
    assert counts() == (0, 0, 0, 0)


def test_missing_path_is_a_problem(app, tmp_path):
    with pytest.raises(OrukImportError) as exc:
        import_oruk(tmp_path / "nothing-here", db.session, today=TODAY)
    assert "path: does not exist" in str(exc.value)


def test_capacity_above_maximum_named(app, tmp_path):
    body = json.loads((FIXTURES / "spec31_service_full.json").read_text(encoding="utf-8"))
    body["capacities"][0].update(available=12, maximum=10)  # as in the published 3.1 example
    bad = tmp_path / "cap.json"
    bad.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(OrukImportError) as exc:
        import_oruk(bad, db.session, today=TODAY)
    assert [str(x) for x in exc.value.problems] == ["cap.json capacities[0], available: 12 is more than maximum 10"]


def search_names(**args):
    sq, _ = parse_search({k: str(v) for k, v in args.items()}, today=TODAY)
    return sorted(r.provision.name for r in search_provisions(sq)[1])


def test_imported_services_are_found_by_search(app):
    imported("v1")
    imported("ukprofile_service_full.json")
    assert search_names(q="counselling") == ["Community Counselling"]
    assert search_names(q="homeless", category="housing") == ["Never Homeless Helpline"]  # Wash & Go is withdrawn
    assert search_names(near="LS1 6DN", radius_km=2) == ["Community Counselling"]
    assert search_names(category="drugs-alcohol", near="Halifax", radius_km=10) == ["Al-Anon Family Group"]


def test_bulk_import_rebuilds_the_index(app):
    imported("v1", bulk_threshold=0)
    assert search_names(q="helpline") == ["Never Homeless Helpline"]


@pytest.mark.parametrize("terms,name,description,expected", [
    ([], "Youth justice clinic", "", "youth-offending"),
    ([], "Drop-in clinic", "Sexual health and mental health advice", "health"),
    ([], "Talking therapies", "Counselling for anxiety; mental health", "mental-health"),
    (["Supported Accommodation"], "Pathways", "", "housing"),
    ([], "Benefits and money advice", "", "benefits"),
    ([], "Apprenticeships", "Find a job", "training"),
    ([], "Shop Assist", "Assisted shopping", None),
])
def test_choose_category(terms, name, description, expected):
    assert choose_category(terms, name, description) == expected
