"""Importing Open Referral UK (HSDS 3.0) directories: every published example, the mapping,
parts left out with a line naming record and field, needs review, strict, re-imports."""
import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker.directory.models import Intake, Location, Organisation, Provision
from broker.directory.oruk import vocabulary
from broker.directory.oruk.read import read_source
from broker.directory.oruk.write import import_feed
from broker.directory.params import parse_search
from broker.directory.services import search_provisions
from broker.extensions import db
from broker.providers.models import ProvisionChange
from tests.directory import factories as f

FIXTURES = Path(__file__).parent / "oruk_fixtures"
PUBLISHED = FIXTURES / "published"
TODAY = dt.date(2025, 1, 1)
SERVICE_UID = "ac148810-d857-441c-9679-408f346de14b"
ORG_UID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LAT_100 = "latitude: must be between -90 and 90, got 100 (location left out)"
NO_POSITION = "latitude: missing, and no postcode; give latitude and longitude or a UK postcode (location left out)"


def imported(source, *, commit=True, **kw):
    path = source if isinstance(source, Path) else FIXTURES / source
    report = import_feed(read_source(str(path)), db.session, today=TODAY, **kw)
    if commit and report.written and not report.dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def provision(uid=SERVICE_UID) -> Provision:
    db.session.expire_all()
    return db.session.scalars(select(Provision).where(Provision.uid == uid)).one()


def by_name(name) -> Provision:
    return db.session.scalars(select(Provision).where(Provision.name == name)).one()


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Organisation, Provision, Location, Intake))


def lines(report):
    return [str(p) for p in report.problems]


def search_names(**args):
    sq, _ = parse_search({k: str(v) for k, v in args.items()}, today=TODAY)
    return sorted(r.provision.name for r in search_provisions(sq)[1])


# Every example file Open Referral publishes that holds services: each imports, with what
# was wrong reported (their locations sit at latitude 100, or have no position at all).
PUBLISHED_EXAMPLES = [
    ("spec30_csv", 1, 1, ["locations.csv row 2, " + LAT_100]),
    ("spec30_organization_full.json", 1, 1, [
        "spec30_organization_full.json services[0] (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("spec30_service_at_location_full.json", 1, 1, [
        "spec30_service_at_location_full.json (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("spec30_service_at_location_list.json", 1, 1, [
        "spec30_service_at_location_list.json contents[0] (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("spec30_service_full.json", 1, 1, ["spec30_service_full.json (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("spec30_service_list.json", 1, 1, []),
    ("spec30_tabular.json", 1, 1, ["spec30_tabular.json locations.csv[0], " + LAT_100]),
    ("spec31_service_full.json", 1, 1, [
        "spec31_service_full.json (Community Counselling) service_at_locations[0].location, " + LAT_100,
        "spec31_service_full.json (Community Counselling) capacities[0], unit: 'Kilogram' does not count places a young "
        "person can take (capacity left out)"]),
    ("ukprofile_csv", 1, 1, ["locations.csv row 2, " + LAT_100]),
    ("ukprofile_organization_full.json", 1, 1, [
        "ukprofile_organization_full.json services[0] (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("ukprofile_service_at_location_full.json", 1, 1, [
        "ukprofile_service_at_location_full.json (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("ukprofile_service_at_location_list.json", 1, 1, [
        "ukprofile_service_at_location_list.json contents[0] (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("ukprofile_service_full.json", 1, 1, ["ukprofile_service_full.json (Community Counselling) service_at_locations[0].location, " + LAT_100]),
    ("ukprofile_service_list.json", 1, 1, []),
    ("v1_all_resources", 13, 10, [
        "locations.csv row 2, latitude: missing, and postcode '10001' is not a UK postcode; give latitude and longitude "
        "or a UK postcode (location left out)",
        *[f"locations.csv row {n}, " + NO_POSITION for n in range(4, 12)]]),
    ("v1_simple", 13, 10, [f"locations.csv row {n}, " + NO_POSITION for n in (2, *range(4, 12))]),
]


def test_the_published_examples_are_all_listed():
    assert sorted(p.name for p in PUBLISHED.iterdir()) == sorted(name for name, *_ in PUBLISHED_EXAMPLES)


@pytest.mark.parametrize("name,added,review,problems", PUBLISHED_EXAMPLES, ids=[e[0] for e in PUBLISHED_EXAMPLES])
def test_every_published_example_imports_reporting_what_was_wrong(app, name, added, review, problems):
    report = imported(PUBLISHED / name)
    assert report.written and report.services_left_out == 0
    assert (report.provisions_added, len(report.needs_review)) == (added, review)
    assert lines(report) == problems
    assert counts()[1] == added


def test_uk_profile_service_keeps_what_the_feed_says(app):
    report = imported("ukprofile_service_full.json")
    assert (report.organisations_added, report.provisions_added, report.problems) == (1, 1, [])
    p = provision()
    assert (p.uid, p.key, p.organisation.uid) == (SERVICE_UID, "oruk:" + SERVICE_UID, ORG_UID)
    assert (p.name, p.min_age, p.max_age, p.cost, p.last_confirmed) == ("Community Counselling", 12, 100, "fees_description", dt.date(2005, 1, 1))
    assert (p.referral_route, p.referral_contact, p.referral_form_url) == ("form", "email@example.com", "http://example.com/counselling")
    assert [(l.uid, l.sal_uid, l.name, l.address, l.postcode, l.lat, l.lon) for l in p.locations] == [
        ("3a19ff88-4620-4d17-9830-ac1d859eb5d5", "e94c9f38-1e8f-4564-91d4-d53501ab1765", "MyCity Civic Center",
         "1-30 Main Street, MyCity", "LS1 6DN", 53.79646, -1.5401)]
    assert p.intakes == []  # the feed says nothing about places
    (opening,) = p.schedules
    assert (opening["byday"], opening["opens_at"], opening["closes_at"], opening["freq"]) == ("TH,FR", "10:00:00", "18:00:00", "WEEKLY")
    assert p.contacts == [{"name": "Ann Persona", "title": "Reception Manager"}]
    assert p.service_areas[0]["name"].startswith("The service is available to all residents of the MyCity area")
    assert p.areas is None
    # Its only taxonomy term is the example's placeholder "name": a guess from the words is not enough.
    assert (p.status, p.category) == ("needs-review", "mental-health")
    assert p.review_reason == "its taxonomy terms match none of our needs; its name and description suggest mental health"
    o = p.organisation
    assert (o.name, o.email, o.phone, o.website) == ("Example Organization Inc.", "email@example.com", None, "http://example.com")


def test_hsds_31_capacity_documents_languages_and_contacts(app):
    imported("spec31_service_full.json")
    p = provision()
    assert p.application_process.startswith("If you are an NHS patient please ask your GP")
    assert p.eligibility == "This service is intended for all people aged 12 and over who require counselling services in the MyCity area"
    assert p.wait_time == "wait_time"  # the example's own placeholder
    assert [(l.postcode, l.lat, l.lon) for l in p.locations] == [("LS9 6QE", 53.80828, -1.494)]  # placed by its postcode
    # maximum 10, available 3: seven places went elsewhere, none is held by a referral here.
    assert [(i.start, i.places, i.places_taken, i.places_taken_outside, i.rolling) for i in p.intakes] == [(TODAY, 10, 7, 7, True)]
    assert p.intakes[0].uid == "8896b788-7b3e-11ef-8db9-7f3d040352b3"
    assert p.languages == [{"name": "Urdu", "code": "ur", "note": "Translation services provided via bilingual staff when they are available"}]
    assert p.contacts[0]["email"] == "email@example.com" and p.contacts[0]["phones"][0]["number"] == "+44 1234 234567"
    assert p.required_documents[0]["document"].startswith("Any official identification document")
    assert p.organisation.phone == "+44 1234 234567"


def test_csv_package_with_cost_options_and_capacity(app):
    report = imported("csv30")
    assert (report.organisations_added, report.provisions_added) == (1, 1)
    p = provision()
    assert p.cost == "Under 18s and Over 60s: £35 per 1 hour session"
    assert [(l.postcode, l.lat, l.lon) for l in p.locations] == [("WF1 3TP", 53.71515, -1.49345)]
    assert [(i.places, i.places_taken) for i in p.intakes] == [(10, 6)]


def counselling_feed(tmp_path, term="Counselling", **changes) -> Path:
    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    body["attributes"][0]["taxonomy_term"].update(name=term, term=term)
    body.update(changes)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_category_from_the_feeds_taxonomy_terms_is_published_and_searchable(app, tmp_path):
    report = imported(counselling_feed(tmp_path, minimum_age=13, maximum_age=25))
    assert report.needs_review == []
    p = provision()
    assert (p.status, p.category, p.kind, p.review_reason) == ("active", "mental-health", "counselling", None)
    assert search_names(q="counselling") == ["Community Counselling"]


def test_services_for_other_people_need_review_whatever_their_terms(app, tmp_path):
    imported(counselling_feed(tmp_path, name="Counselling for teaching staff"))
    p = provision()
    assert (p.status, p.category) == ("needs-review", "mental-health")
    assert "mentions 'teaching staff'" in p.review_reason
    imported(counselling_feed(tmp_path, minimum_age=40, maximum_age=100))
    assert "its ages (40 to 100) leave out young people aged 13 to 19" in provision().review_reason
    f.provision("Drop-in counselling", category="mental-health")
    assert search_names(q="counselling") == ["Drop-in counselling"]


def test_keyword_guesses_alone_never_place_a_service(app):
    imported("v1")
    teacher = by_name("Dear Teacher Skills Refresh")
    assert (teacher.status, teacher.category) == ("withdrawn", "training")  # inactive in the feed
    assert "mentions 'teacher'" in teacher.review_reason
    assert {p.status for p in db.session.scalars(select(Provision))} == {"needs-review", "withdrawn"}
    f.provision("Homeless advice line", category="housing")
    assert search_names(q="homeless") == ["Homeless advice line"]  # nothing waiting for review is found


def test_our_own_terms_place_need_kind_and_criteria_exactly(app, tmp_path):
    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    body["attributes"] = [{"id": "x", "taxonomy_term": {"id": t.id, "name": t.name}}
                          for t in vocabulary.terms_of("housing", "emergency-bed", ["care_leaver"])]
    path = tmp_path / "ours.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    imported(path)
    p = provision()
    assert (p.status, p.category, p.kind, p.requires) == ("active", "housing", "emergency-bed", ["care_leaver"])


def test_unsafe_links_are_left_out_and_named(app, tmp_path):
    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    body["url"] = "javascript:alert(document.domain)"
    body["organization"]["website"] = "JaVaScRiPt:alert(1)"
    body["schedules"][0]["schedule_link"] = "data:text/html,<script>alert(1)</script>"
    path = tmp_path / "xss.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    report = imported(path)
    assert report.provisions_added == 1
    assert [p for p in lines(report) if "(link left out)" in p] == [
        "xss.json (Community Counselling) organization, website: must be a web address starting https:// (or http://), "
        "or a mailto: link; got 'JaVaScRiPt:alert(1)' (link left out)",
        "xss.json (Community Counselling), url: must be a web address starting https:// (or http://), or a mailto: link; "
        "got 'javascript:alert(document.domain)' (link left out)",
        "xss.json (Community Counselling) schedules[0], schedule_link: must be a web address starting https:// (or http://), "
        "or a mailto: link; got 'data:text/html,<script>alert(1)</script>' (link left out)",
    ]
    p = provision()
    assert p.referral_form_url is None and p.organisation.website is None and "schedule_link" not in p.schedules[0]
    assert (p.referral_route, p.referral_contact) == ("email", "email@example.com")


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
    with loc.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[3].update(latitude="north", longitude="-1.5")  # row 5: Al-Anon's place
    with loc.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_bad_records_are_left_out_whole_and_the_rest_comes_in(app, tmp_path):
    report = imported(_broken_v1(tmp_path))
    assert lines(report) == [
        "services.csv row 2, name: missing (service left out)",
        "services.csv row 3 (Yound Minds), organization_id: no organization 'no-such-org' in organizations.csv (service left out)",
        "locations.csv row 5, latitude: must be a number, got 'north' (location left out)",
    ]
    assert (report.services_left_out, report.provisions_added) == (2, 11)
    names = set(db.session.scalars(select(Provision.name)))
    assert "Yound Minds" not in names and by_name("Al-Anon Family Group").locations == []


def test_strict_is_all_or_nothing(app, tmp_path):
    imported("ukprofile_service_full.json")
    before = counts()
    report = imported(_broken_v1(tmp_path), strict=True)
    assert not report.written and len(report.problems) == 3
    assert counts() == before
    result = app.test_cli_runner().invoke(args=["import-oruk", "--strict", str(_broken_v1(tmp_path / "again"))])
    assert result.exit_code != 0 and "not imported (--strict), nothing changed." in result.output
    assert "services.csv row 2, name: missing (service left out)" in result.output
    assert counts() == before


def test_dry_run_writes_nothing(app):
    report = imported("v1", dry_run=True)
    assert (report.dry_run, report.organisations_added, report.provisions_added) == (True, 10, 13)
    assert counts() == (0, 0, 0, 0)


def test_reimport_changes_nothing_then_updates_and_records_history(app, tmp_path):
    imported("csv30")
    before = counts()
    p = provision()
    stamp, intake = p.updated_at, p.intakes[0]
    report = import_feed(read_source(str(FIXTURES / "csv30")), db.session, today=TODAY + dt.timedelta(days=3))
    db.session.commit()
    assert (report.organisations_unchanged, report.provisions_unchanged, report.provisions_added, report.provisions_updated) == (1, 1, 0, 0)
    p = provision()
    assert counts() == before and p.updated_at == stamp and (p.intakes[0].id, p.intakes[0].updated_at) == (intake.id, intake.updated_at)

    changed = tmp_path / "csv30"
    shutil.copytree(FIXTURES / "csv30", changed)
    cap = changed / "service_capacity.csv"
    cap.write_text(cap.read_text(encoding="utf-8").replace(",4,10,", ",1,12,"), encoding="utf-8")
    svc = changed / "services.csv"
    svc.write_text(svc.read_text(encoding="utf-8").replace(",active,", ",defunct,"), encoding="utf-8")
    report = import_feed(read_source(str(changed)), db.session, today=TODAY + dt.timedelta(days=3))
    db.session.commit()
    assert (report.provisions_updated, report.provisions_added) == (1, 0)
    p = provision()
    assert counts() == before and p.status == "withdrawn"
    assert [(i.id, i.start, i.places, i.places_taken) for i in p.intakes] == [(intake.id, TODAY, 12, 11)]  # start kept
    history = db.session.scalars(select(ProvisionChange).where(ProvisionChange.provision_id == p.id).order_by(ProvisionChange.id)).all()
    assert [h.source for h in history] == ["feed", "feed"]
    assert history[1].summary.startswith(f"Open Referral feed {changed}: changed status") and "places" in history[1].summary
    assert json.loads(history[1].before)["intakes"][0]["places"] == 10 and json.loads(history[1].after)["intakes"][0]["places"] == 12


def test_a_reviewed_category_survives_reimports(app):
    imported("ukprofile_service_full.json")
    p = provision()
    p.category, p.kind, p.status, p.review_reason = "mental-health", "counselling", "active", None  # as the review page does
    db.session.commit()
    report = imported("ukprofile_service_full.json")
    assert report.needs_review == [] and report.provisions_unchanged == 1
    assert (provision().status, provision().category) == ("active", "mental-health")


def test_unreadable_sources_change_nothing(app, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "name": ', encoding="utf-8")
    report = imported(bad)
    assert not report.written and lines(report) == ["bad.json, file: is not valid JSON: Expecting value at line 1 column 21 (file left out)"]
    report = imported(tmp_path / "nothing-here")
    assert not report.written and "path: does not exist" in lines(report)[0]
    result = app.test_cli_runner().invoke(args=["import-oruk", str(bad)])
    assert result.exit_code != 0 and "not imported, nothing changed" in result.output


def test_capacity_above_maximum_is_left_out_the_service_comes_in(app, tmp_path):
    body = json.loads((FIXTURES / "spec31_service_full.json").read_text(encoding="utf-8"))
    body["capacities"][0].update(available=12, maximum=10)  # as in the published 3.1 example
    bad = tmp_path / "cap.json"
    bad.write_text(json.dumps(body), encoding="utf-8")
    report = imported(bad)
    assert lines(report) == ["cap.json (Community Counselling) capacities[0], available: 12 is more than maximum 10 (capacity left out)"]
    assert report.provisions_added == 1 and provision().intakes == []


def test_imported_services_are_found_by_search(app, tmp_path):
    imported(counselling_feed(tmp_path))
    assert search_names(near="LS1 6DN", radius_km=2) == ["Community Counselling"]
    assert search_names(category="mental-health") == ["Community Counselling"]


@pytest.mark.parametrize("terms,name,description,expected,confident", [
    ([{"name": "Youth justice"}], "Clinic", "", "youth-offending", True),
    ([{"name": "Sexual health"}], "Drop-in", "", "health", True),
    ([{"name": "Health"}, {"name": "Mental health"}], "Drop-in", "", None, False),  # a tie nothing breaks
    ([{"name": "Health"}, {"name": "Mental health"}], "Drop-in", "Talking therapy", "mental-health", True),
    ([{"name": "Health"}, {"name": "Mental health"}], "Mental health drop-in", "", "mental-health", True),
    ([{"name": "Supported Accommodation"}], "Pathways", "", "housing", True),
    ([], "Benefits and money advice", "", "benefits", False),
    ([{"name": "name"}], "Apprenticeships", "Find a job", "training", False),
    ([], "Shop Assist", "Assisted shopping", None, False),
])
def test_placing_in_our_taxonomy(terms, name, description, expected, confident):
    placed = vocabulary.place(terms, name, description)
    assert (placed.category, placed.confident) == (expected, confident)


def test_a_record_the_database_refuses_is_left_out_whole_and_not_counted(app, tmp_path):
    imported("ukprofile_service_full.json")
    body = json.loads((FIXTURES / "ukprofile_service_full.json").read_text(encoding="utf-8"))
    clash = dict(body, id="6b0b7f0e-1d2c-4e3f-9a8b-7c6d5e4f3a2b", name="Second counselling")  # reuses the first's place-at-location id
    clash["organization"] = dict(body["organization"], id="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", name="Another org")
    fine = dict(body, id="7c1c8f1f-2e3d-4f4a-8b9c-8d7e6f5a4b3c", name="Third counselling", service_at_locations=[])
    path = tmp_path / "clash.json"
    path.write_text(json.dumps([clash, fine]), encoding="utf-8")
    before = counts()
    report = imported(path)
    (refused,) = report.problems
    assert refused.where == "clash.json [0] (Second counselling)" and refused.field == "record"
    assert refused.message.startswith("the database refused it: ") and refused.left_out == "service"
    assert (report.organisations_added, report.provisions_added, report.organisations_unchanged) == (0, 1, 1)
    assert counts() == (before[0], before[1] + 1, before[2], before[3])
    assert "Another org" not in set(db.session.scalars(select(Organisation.name)))


def test_a_bulk_import_rebuilds_the_index_once(app, tmp_path, monkeypatch):
    from broker.directory.oruk import write

    monkeypatch.setattr(write, "BULK_THRESHOLD", 0)
    result = app.test_cli_runner().invoke(args=["import-oruk", str(counselling_feed(tmp_path))])
    assert result.exit_code == 0 and "Search index:" in result.output, result.output
    assert search_names(q="counselling") == ["Community Counselling"]
