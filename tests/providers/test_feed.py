"""The vacancy feed: preview, all-or-nothing apply, idempotent re-upload, and a corpus of
bad files each rejected with the row and column named and the database unchanged."""
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from broker.directory.models import Intake
from broker.extensions import db
from broker.providers.models import ProvisionChange
from tests.directory import factories as f
from tests.people import factories as pf

TODAY = dt.date.today()
D1 = (TODAY + dt.timedelta(days=30)).isoformat()
D2 = (TODAY + dt.timedelta(days=60)).isoformat()


@pytest.fixture
def world(app, client):
    org = f.organisation("Aire Training Ltd")
    other = f.organisation("Calder Skills")
    mine = f.provision("Plastering", org=org, intakes=[dict(start_in=30, places=10, taken=2)], confirmed_days_ago=50)
    second = f.provision("Tiling", org=org, intakes=[dict(start_in=45, places=6)])
    theirs = f.provision("Not ours", org=other, intakes=[dict(start_in=30, places=5)])
    staff = pf.user("provider", organisation=org)
    client.post("/login", data={"email": staff.email, "password": pf.PASSWORD})
    return dict(org=org, mine=mine, second=second, theirs=theirs, staff=staff)


def state():
    """Everything the feed could change: every intake, and the change history."""
    db.session.expire_all()
    intakes = sorted((i.provision_id, i.start, i.places, i.places_taken, i.rolling) for i in db.session.scalars(select(Intake)))
    return intakes, db.session.query(ProvisionChange).count()


def apply_url(html: str) -> str:
    return re.search(r'action="(/provider/feed/\d+/apply)"', html).group(1)


def upload(client, body: bytes | str, name="vacancies.csv"):
    data = body.encode() if isinstance(body, str) else body
    return client.post("/provider/feed", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_preview_then_apply_then_reupload_changes_nothing(app, client, world):
    pid = world["mine"].id
    csv_text = f"provision_id,start,places,rolling\n{pid},{D1},12,no\n{pid},{D2},8,no\n"
    before = state()
    preview = upload(client, csv_text)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "from 10 to 12 places" in html and "Add: starts" in html
    assert state() == before  # a preview writes nothing

    client.post(apply_url(html))
    intakes, changes = state()
    assert [(i[1].isoformat(), i[2], i[3]) for i in intakes if i[0] == pid] == [(D1, 12, 2), (D2, 8, 0)]
    assert changes == 1
    assert world["mine"].last_confirmed == TODAY

    again = upload(client, csv_text).get_data(as_text=True)
    assert "Nothing to change" in again and "/apply" not in again
    assert state() == (intakes, changes)


def test_json_feed_is_accepted(app, client, world):
    pid = world["second"].id
    body = json.dumps({"intakes": [{"provision_id": pid, "start": D1, "places": 4, "rolling": True}]})
    html = upload(client, body, "vacancies.json").get_data(as_text=True)
    assert "Add: starts" in html and "(rolling)" in html and "Remove: starts" in html


def _bad_corpus(world):
    mine, theirs = world["mine"].id, world["theirs"].id
    past = (TODAY - dt.timedelta(days=3)).isoformat()
    header = "provision_id,start,places,rolling\n"
    return [
        ("wrong type: places", header + f"{mine},{D1},twelve,no\n", "row 2", "places"),
        ("wrong type: id", header + f"abc,{D1},12,no\n", "row 2", "provision_id"),
        ("bad date", header + f"{mine},31/01/2027,12,no\n", "row 2", "start"),
        ("bad rolling", header + f"{mine},{D1},12,maybe\n", "row 2", "rolling"),
        ("unknown provision", header + f"{mine},{D1},12,no\n999999,{D1},3,no\n", "row 3", "provision_id"),
        ("other organisation", header + f"{theirs},{D1},3,no\n", "row 2", "provision_id"),
        ("negative places", header + f"{mine},{D1},-4,no\n", "row 2", "places"),
        ("huge places", header + f"{mine},{D1},1000000,no\n", "row 2", "places"),
        ("fractional places", header + f"{mine},{D1},2.5,no\n", "row 2", "places"),
        ("date in the past", header + f"{mine},{past},5,no\n", "row 2", "start"),
        ("duplicate rows", header + f"{mine},{D1},5,no\n{mine},{D1},6,no\n", "row 3", "start"),
        ("below places held", header + f"{mine},{D1},1,no\n", "row 2", "places"),
        ("drops held intake", header + f"{mine},{D2},5,no\n", "file", "intakes"),
        ("missing column", f"provision_id,start\n{mine},{D1}\n", "row 1", "header"),
        ("broken encoding", (header + f"{mine},{D1},5,no\n").encode() + b"\xff\xfe\x00bad", "file", "file"),
        ("empty file", "", "file", "file"),
        ("broken JSON", '{"intakes": [', "file", "file"),
        ("JSON wrong shape", '{"intakes": {"a": 1}}', "file", "intakes"),
    ]


@pytest.mark.parametrize("case", range(18))
def test_bad_input_is_rejected_naming_row_and_column_and_changes_nothing(app, client, world, case):
    label, body, where, column = _bad_corpus(world)[case]
    before = state()
    resp = upload(client, body, "v.json" if label.startswith("JSON") or label == "broken JSON" else "v.csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400, label
    assert "The file was not applied" in html and "Nothing has changed" in html
    assert f"<td>{where}</td><td>{column}</td>" in html, (label, html[html.find("error-summary"):][:800])
    assert "/apply" not in html
    assert state() == before


def test_upload_over_the_size_limit_gets_a_clear_413(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    resp = upload(client, "provision_id,start,places,rolling\n" + "1,2027-01-01,1,no\n" * 2000)
    assert resp.status_code == 413 and "larger than 0.01 MB" in resp.get_data(as_text=True)


def test_apply_rechecks_against_the_directory_as_it_is_now(app, client, world):
    pid = world["mine"].id
    html = upload(client, f"provision_id,start,places,rolling\n{pid},{D1},3,no\n").get_data(as_text=True)
    url = apply_url(html)
    intake = world["mine"].intakes[0]
    intake.places_taken = 5  # referrals took places after the preview
    db.session.commit()
    before = state()
    resp = client.post(url)
    assert resp.status_code == 409 and "5 places on this intake are held by referrals" in resp.get_data(as_text=True)
    assert state() == before


def test_export_is_safe_to_open_in_a_spreadsheet_and_round_trips(app, client, world):
    world["mine"].name = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    text = client.get("/provider/feed/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    html = upload(client, text).get_data(as_text=True)
    assert "Nothing to change" in html
