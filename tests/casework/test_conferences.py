"""Case conferences: a PA records one; agencies who attended see only what consent covers;
each action shows in its owner's list and on their home page; everything is audited."""
import datetime as dt

from sqlalchemy import select

from broker.audit.models import AuditEvent
from broker.clients.services import record_consent
from broker.extensions import db
from tests.casework.conftest import sign_in, token
from tests.directory import factories as f
from tests.people import factories as pf


def _body(team, provider, **over):
    today = dt.date.today()
    body = {
        "held_on": today.isoformat(),
        "attendee_user_ids": [team["pa1"].id, provider.id],
        "attendee_organisation_ids": [team["org"].id],
        "notes": "Ollie disclosed rent arrears at the hostel.",
        "decisions": "Housing support first, then the course.",
        "actions": [
            {"what": "Call the hostel about arrears", "owner_user_id": team["pa1"].id, "due": (today + dt.timedelta(days=3)).isoformat()},
            {"what": "Hold a place on the January course", "owner_user_id": provider.id, "due": (today + dt.timedelta(days=10)).isoformat()},
        ],
    }
    body.update(over)
    return body


def _convene(client, team, provider, **over):
    return client.post(f"/api/v1/clients/{team['overdue'].id}/conferences", json=_body(team, provider, **over),
                       headers=token(client, team["pa1"]))


def test_a_conference_is_recorded_and_its_actions_reach_their_owners(app, client, team):
    provider = pf.user("provider", organisation=team["org"])
    resp = _convene(client, team, provider)
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert [a["owner_user_id"] for a in made["actions"]] == [team["pa1"].id, provider.id]
    assert {a["organisation_id"] for a in made["attendees"]} == {None, team["org"].id}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "conference")).all()
    assert [(e.user_id, e.client_id) for e in events] == [(team["pa1"].id, team["overdue"].id)]

    mine = client.get("/api/v1/actions", headers=token(client, team["pa1"])).get_json()["actions"]
    assert [(a["what"], a["client_name"]) for a in mine] == [("Call the hostel about arrears", "Ollie Overdue")]
    sign_in(client, team["pa1"])
    home = client.get("/home").get_data(as_text=True).split('id="actions"')[1].split("</section>")[0]
    assert "Call the hostel about arrears" in home and "Hold a place" not in home
    # Done: it leaves the list.
    assert client.post(f"/actions/{mine[0]['id']}/done").status_code == 302
    assert client.get("/api/v1/actions", headers=token(client, team["pa1"])).get_json()["actions"] == []
    # Nobody marks someone else's action done.
    theirs = [a for a in made["actions"] if a["owner_user_id"] == provider.id][0]
    assert client.post(f"/actions/{theirs['id']}/done").status_code == 404


def test_an_attending_agency_sees_only_what_consent_covers(app, client, team):
    provider = pf.user("provider", organisation=team["org"])
    conference_id = _convene(client, team, provider).get_json()["id"]
    yp = team["overdue"]
    headers = token(client, provider)
    # No consent: nothing, not even that it exists; their action shows without the name.
    refused = client.get(f"/api/v1/conferences/{conference_id}", headers=headers)
    assert refused.status_code == 404 and "Ollie" not in refused.get_data(as_text=True)
    (action,) = client.get("/api/v1/actions", headers=headers).get_json()["actions"]
    assert action["client_name"] is None
    sign_in(client, provider)
    assert "Ollie" not in client.get("/home").get_data(as_text=True)
    assert client.get(f"/conferences/{conference_id}").status_code == 404
    # Referral consent: name, decisions and actions, not the notes.
    record_consent(team["pa1"], yp, team["org"].id, "referral", True)
    db.session.commit()
    seen = client.get(f"/api/v1/conferences/{conference_id}", headers=headers).get_json()
    assert seen["client_name"] == "Ollie Overdue" and seen["notes"] is None and "Housing support" in seen["decisions"]
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert "Housing support" in page and "rent arrears" not in page
    # Assessment consent too: the notes.
    record_consent(team["pa1"], yp, team["org"].id, "assessment", True)
    db.session.commit()
    assert "rent arrears" in client.get(f"/api/v1/conferences/{conference_id}", headers=headers).get_json()["notes"]
    # Another agency, not there: nothing.
    other_org = f.organisation("Calder Skills")
    db.session.flush()
    other = pf.user("provider", organisation=other_org)
    record_consent(team["pa1"], yp, other.organisation_id, "referral", True)
    db.session.commit()
    assert client.get(f"/api/v1/conferences/{conference_id}", headers=token(client, other)).status_code == 404
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "conference", AuditEvent.action == "view")).all()
    assert {e.user_id for e in views} == {provider.id, other.id} and any("denied" in e.detail for e in views)


def test_validation_errors_name_the_field(app, client, team):
    provider = pf.user("provider", organisation=team["org"])
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    cases = [
        ({"actions": [{"what": "x", "owner_user_id": team["pa1"].id, "due": "31/01/2027"}]}, "actions[0].due"),
        ({"actions": [{"what": "x", "owner_user_id": team["pa1"].id}]}, "actions[0].due"),
        ({"actions": [{"what": "x", "owner_user_id": team["pa1"].id, "due": yesterday}]}, "actions[0].due"),
        ({"actions": [{"what": "x", "owner_user_id": 999999, "due": dt.date.today().isoformat()}]}, "actions[0].owner_user_id"),
        ({"attendee_organisation_ids": [999999]}, "attendee_organisation_ids[0]"),
        ({"held_on": None}, "held_on"),
    ]
    for over, field in cases:
        resp = _convene(client, team, provider, **over)
        assert resp.status_code == 400 and resp.get_json()["field"] == field, (over, resp.get_json())


def test_only_the_young_persons_pa_convenes(app, client, team):
    provider = pf.user("provider", organisation=team["org"])
    for who in ("outsider", "lead"):
        resp = client.post(f"/api/v1/clients/{team['overdue'].id}/conferences", json=_body(team, provider),
                           headers=token(client, team[who]))
        assert resp.status_code in (403, 404) and "Ollie" not in resp.get_data(as_text=True)


def test_the_conference_page_form(app, client, team):
    sign_in(client, team["pa1"])
    yp = team["overdue"]
    page = client.get(f"/clients/{yp.id}/conferences/new")
    assert page.status_code == 200 and team["org"].name in page.get_data(as_text=True)
    today = dt.date.today()
    day = [str(today.day), str(today.month), str(today.year)]
    bad = client.post(f"/clients/{yp.id}/conferences/new", data={
        "held_on": day, "attendee_organisation_ids": [team["org"].id], "action_what": "Call the hostel",
        "action_owner": team["pa1"].id})
    assert bad.status_code == 400 and "Action due by" in bad.get_data(as_text=True)
    good = client.post(f"/clients/{yp.id}/conferences/new", data={
        "held_on": day, "attendee_user_ids": [team["pa2"].id], "attendee_organisation_ids": [team["org"].id],
        "decisions": "Housing first", "action_what": "Call the hostel", "action_owner": team["pa2"].id, "action_due": day})
    assert good.status_code == 302
    record = client.get(f"/clients/{yp.id}").get_data(as_text=True)
    assert "1 action" in record.split('id="conferences"')[1]
    client.post("/logout")
    sign_in(client, team["pa2"])  # an attendee and the action's owner
    assert "Call the hostel" in client.get("/actions").get_data(as_text=True)
    assert "Housing first" in client.get(good.headers["Location"]).get_data(as_text=True)
