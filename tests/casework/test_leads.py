"""Team leads see and manage their PAs' caseloads, and only theirs; every view is audited."""

from sqlalchemy import select

from broker.audit.models import AuditEvent
from broker.clients.models import Client
from broker.extensions import db
from broker.referrals.services import send_referral
from tests.casework.conftest import sign_in, token
from tests.directory import factories as f
from tests.people import factories as pf


def _events(**where):
    db.session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return db.session.scalars(stmt).all()


def test_api_lists_and_opens_their_pas_young_people_only(app, client, team):
    headers = token(client, team["lead"])
    listed = client.get("/api/v1/clients", headers=headers).get_json()["clients"]
    assert sorted(c["name"] for c in listed) == ["Cara Complex", "Ollie Overdue"]
    got = client.get(f"/api/v1/clients/{team['overdue'].id}", headers=headers)
    assert got.status_code == 200 and got.get_json()["first_name"] == "Ollie"
    refused = client.get(f"/api/v1/clients/{team['theirs'].id}", headers=headers)
    assert refused.status_code == 404 and "Nadia" not in refused.get_data(as_text=True)
    views = _events(user_id=team["lead"].id, action="view")
    assert [e.client_id for e in views if "denied" not in e.detail] == [team["overdue"].id]
    assert [e.client_id for e in views if "denied" in e.detail] == [team["theirs"].id]
    assert {e.client_id for e in _events(user_id=team["lead"].id, action="list")} == {team["overdue"].id, team["complex"].id}


def test_the_lead_opens_a_record_and_a_pas_caseload_page(app, client, team):
    sign_in(client, team["lead"])
    page = client.get(f"/clients/{team['complex'].id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cara Complex" in html and "Reassign" in html
    assert "Edit record" not in html  # a lead reads the record; the PA changes it
    assert client.get(f"/clients/{team['theirs'].id}").status_code == 404
    caseload = client.get(f"/team/{team['pa1'].id}").get_data(as_text=True)
    assert "Ollie Overdue" in caseload and "Overdue" in caseload and "Cara" not in caseload
    assert client.get(f"/team/{team['outsider'].id}").status_code == 404
    team_page = client.get("/team").get_data(as_text=True)
    assert team["pa1"].name in team_page and team["outsider"].name not in team_page


def test_reassigning_between_their_pas_is_audited(app, client, team):
    sign_in(client, team["lead"])
    yp = team["overdue"]
    refused = client.post(f"/clients/{yp.id}/reassign", data={"pa_id": team["outsider"].id})
    assert refused.status_code == 400 and "in your team" in refused.get_data(as_text=True)
    moved = client.post(f"/clients/{yp.id}/reassign", data={"pa_id": team["pa2"].id})
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, yp.id).pa_id == team["pa2"].id
    (event,) = _events(action="reassign")
    assert event.user_id == team["lead"].id and event.client_id == yp.id
    assert str(team["pa1"].id) in event.detail and str(team["pa2"].id) in event.detail
    # Not someone else's young person, and not by a PA.
    assert client.post(f"/clients/{team['theirs'].id}/reassign", data={"pa_id": team["pa1"].id}).status_code == 404
    client.post("/logout")
    sign_in(client, team["pa2"])
    assert client.post(f"/clients/{yp.id}/reassign", data={"pa_id": team["pa1"].id}).status_code == 403


def test_supervision_notes_per_pa(app, client, team):
    sign_in(client, team["lead"])
    assert client.post(f"/team/{team['pa1'].id}/notes", data={}).status_code in (404, 405)
    empty = client.post(f"/team/{team['pa1'].id}", data={"text": ""})
    assert empty.status_code == 400 and "Enter the note" in empty.get_data(as_text=True)
    assert client.post(f"/team/{team['pa1'].id}", data={"text": "Talked through Ollie's housing."}).status_code == 302
    assert "Talked through Ollie" in client.get(f"/team/{team['pa1'].id}").get_data(as_text=True)
    assert "Talked through Ollie" not in client.get(f"/team/{team['pa2'].id}").get_data(as_text=True)
    assert client.post(f"/team/{team['outsider'].id}", data={"text": "Not my team"}).status_code == 404


def test_home_page_shows_overdue_reviews_unanswered_referrals_and_complex_cases_without_a_specialist(app, client, team):
    course = f.provision("Course", org=team["org"], intakes=[dict(start_in=10, places=5)])
    yp = team["overdue"]
    from broker.clients.services import record_consent

    record_consent(team["pa1"], yp, team["org"].id, "referral", True)
    send_referral(team["pa1"], yp, yp.needs[0].id, course.intakes[0].id, "Background for the provider here.")
    db.session.commit()
    sign_in(client, team["lead"])
    html = client.get("/home").get_data(as_text=True)
    overdue = html.split('id="overdue-reviews"')[1].split("</section>")[0]
    assert "Ollie Overdue" in overdue and "Nadia" not in overdue
    unanswered = html.split('id="unanswered"')[1].split("</section>")[0]
    assert "Ollie Overdue" in unanswered and "Course" in unanswered
    no_specialist = html.split('id="no-specialist"')[1].split("</section>")[0]
    assert "Cara Complex" in no_specialist and "Ollie" not in no_specialist and "Nadia" not in no_specialist


def test_sharing_with_a_specialist_clears_the_complex_case_marker(app, client, team):
    specialist = pf.user("pa")
    specialist.specialist_team = "Youth Offending Team"
    db.session.commit()
    sign_in(client, team["pa2"])
    caseload = client.get("/clients/").get_data(as_text=True)
    assert "No specialist" in caseload
    assert client.post(f"/clients/{team['complex'].id}/share", data={"email": specialist.email, "purpose": "Specialist mental health support", "consent": "yes"}).status_code == 302
    assert "No specialist" not in client.get("/clients/").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, team["lead"])
    no_specialist = client.get("/home").get_data(as_text=True).split('id="no-specialist"')[1].split("</section>")[0]
    assert "Cara Complex" not in no_specialist


def test_the_demo_has_a_lead_supervising_the_demo_pas(app):
    from broker.casework.services import team as team_of
    from broker.demo_people import create_demo_lead

    pa, pa2 = pf.user("pa"), pf.user("pa")
    ((role, email, password),) = create_demo_lead([pa, pa2])
    db.session.commit()
    from broker.auth.models import User

    lead = db.session.scalar(select(User).where(User.email == email))
    assert role == "lead" and lead.role == "lead" and len(password) >= 10
    assert {u.id for u in team_of(lead)} == {pa.id, pa2.id}
