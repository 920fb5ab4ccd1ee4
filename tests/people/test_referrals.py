"""Consent, suggestions and referrals through the pages a PA and a provider use."""

import pytest
from sqlalchemy import select

from broker.audit.models import AuditEvent
from broker.directory.models import Intake
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf


def login(client, user):
    resp = client.post("/login", data={"email": user.email, "password": pf.PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other_org = f.organisation("Calder Skills")
    course = f.provision(
        "Level 1 Construction", org=org, category="training", at=f.LS1,
        intakes=[dict(start_in=14, places=2, taken=0), dict(start_in=60, places=5)], min_age=16, max_age=19,
    )
    far = f.provision("Halifax joinery", org=other_org, category="training", at=f.HX1, intakes=[dict(start_in=7, places=4)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, needs=["training"])
    return dict(org=org, other_org=other_org, course=course, far=far, pa=pa, provider=provider, yp=yp)


def test_suggestions_rank_nearby_options_and_explain_exclusions(app, client, world):
    login(client, world["pa"])
    html = client.get(f"/clients/{world['yp'].id}/suggestions").get_data(as_text=True)
    assert "Level 1 Construction" in html
    assert html.index("Level 1 Construction") < html.index("ruled out")
    assert "Halifax joinery" in html and "Further than they can travel" in html  # HX1 is ~25 km from LS9, max travel 25 km
    assert "Starts in 14 days" in html and "2 places left" in html


def test_referral_needs_consent_then_holds_a_place(app, client, world):
    login(client, world["pa"])
    yp, intake = world["yp"], world["course"].intakes[0]
    need = yp.needs[0]
    url = f"/clients/{yp.id}/refer?need_id={need.id}&intake_id={intake.id}"
    form = {"need_id": need.id, "intake_id": intake.id, "summary": "Wants a trade; left college in October.", "risks": ""}

    page = client.get(url).get_data(as_text=True)
    assert "No consent to share with Aire Training Ltd" in page
    refused = client.post(url, data=form)
    assert refused.status_code == 403 and "consent" in refused.get_data(as_text=True)
    assert db.session.get(Intake, intake.id).places_taken == 0

    client.post(f"/clients/{yp.id}/consent", data={"organisation_id": world["org"].id, "purpose": "referral", "given": "yes"})
    sent = client.post(url, data=form)
    assert sent.status_code == 302
    db.session.expire_all()
    assert db.session.get(Intake, intake.id).places_taken == 1
    referral_page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Sent, awaiting answer" in referral_page


def test_form_keeps_what_was_typed_and_names_the_field(app, client, world):
    login(client, world["pa"])
    yp, intake = world["yp"], world["course"].intakes[0]
    url = f"/clients/{yp.id}/refer?need_id={yp.needs[0].id}&intake_id={intake.id}"
    resp = client.post(url, data={"need_id": yp.needs[0].id, "intake_id": intake.id, "summary": "too short", "risks": "typed risk"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'href="#summary"' in html and "too short</textarea>" in html and "typed risk</textarea>" in html


def _send(world, summary="Needs a start before Christmas; keen on bricklaying."):
    from broker.clients.services import record_consent
    from broker.referrals.services import send_referral

    record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    return send_referral(world["pa"], world["yp"], world["yp"].needs[0].id, world["course"].intakes[0].id, summary)


def test_provider_answers_from_inbox_and_decline_frees_the_place(app, client, world):
    referral = _send(world)
    login(client, world["provider"])
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"Referral {referral.id}" in inbox
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Jordan Test, aged 17, lives in LS9" in page
    assert "Anxious with new adults" not in page  # risks need assessment consent

    asked = client.post(f"/referrals/{referral.id}/answer", data={"decision": "more_info", "message": ""})
    assert asked.status_code == 400 and "Say what information you need" in asked.get_data(as_text=True)
    client.post(f"/referrals/{referral.id}/answer", data={"decision": "decline", "reason": "eligibility", "message": ""})
    db.session.expire_all()
    assert referral.status == "declined"
    assert db.session.get(Intake, referral.intake_id).places_taken == 0


def test_accept_then_pa_marks_started_and_need_is_met(app, client, world):
    referral = _send(world)
    login(client, world["provider"])
    client.post(f"/referrals/{referral.id}/answer", data={"decision": "accept", "reason": "", "message": "See you Monday"})
    client.post("/logout")
    login(client, world["pa"])
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Accepted" in page and "See you Monday" in page
    client.post(f"/referrals/{referral.id}/update", data={"action": "started", "note": ""})
    db.session.expire_all()
    assert referral.status == "started" and referral.need.status == "met"
    assert db.session.get(Intake, referral.intake_id).places_taken == 1  # a started placement keeps its place


def test_withdrawing_consent_hides_details_from_provider_at_once(app, client, world):
    from broker.clients.services import record_consent

    referral = _send(world)
    login(client, world["provider"])
    assert "Jordan Test" in client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    record_consent(world["pa"], world["yp"], world["org"].id, "referral", False, "Changed their mind")
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Jordan Test" not in page and "Wants a trade" not in page and "bricklaying" not in page
    assert "consent" in page and "is not in force" in page


def test_withdrawn_referral_frees_the_place(app, client, world):
    referral = _send(world)
    login(client, world["pa"])
    client.post(f"/referrals/{referral.id}/update", data={"action": "withdraw", "note": "Found work"})
    db.session.expire_all()
    assert referral.status == "withdrawn" and db.session.get(Intake, referral.intake_id).places_taken == 0


def test_every_view_and_change_is_audited(app, client, world):
    login(client, world["pa"])
    yp = world["yp"]
    client.get(f"/clients/{yp.id}")
    client.post(f"/clients/{yp.id}/needs", data={"category": "housing", "notes": "sofa surfing"})
    referral = _send(world)
    client.get(f"/referrals/{referral.id}")
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == yp.id)).all()
    actions = [(r.user_id, r.action, r.subject_type) for r in rows]
    pa = world["pa"].id
    assert (pa, "view", "client") in actions
    assert (pa, "add_need", "client") in actions
    assert (pa, "send", "referral") in actions
    assert (pa, "view", "referral") in actions
    assert all("sofa surfing" not in r.detail for r in rows)  # the log names what changed, not personal content


def test_last_place_gone_is_a_clear_409(app, client, world):
    from broker.clients.services import record_consent

    yp = world["yp"]
    intake = world["course"].intakes[0]
    intake.places_taken = intake.places
    db.session.commit()
    record_consent(world["pa"], yp, world["org"].id, "referral", True)
    login(client, world["pa"])
    resp = client.post(
        f"/clients/{yp.id}/refer?need_id={yp.needs[0].id}&intake_id={intake.id}",
        data={"need_id": yp.needs[0].id, "intake_id": intake.id, "summary": "Wants a trade; left college in October."},
    )
    assert resp.status_code == 409 and "The last place on this intake has just gone" in resp.get_data(as_text=True)


def test_sharing_a_record_lets_another_pa_see_it(app, client, world):
    specialist = pf.user("pa", "specialist@test.example")
    yp = world["yp"]
    login(client, specialist)
    assert client.get(f"/clients/{yp.id}").status_code == 404
    client.post("/logout")
    login(client, world["pa"])
    refused = client.post(f"/clients/{yp.id}/share", data={"email": "provider@test.example"})
    assert refused.status_code == 400 and "No Personal Adviser has that email" in refused.get_data(as_text=True)
    client.post(f"/clients/{yp.id}/share", data={"email": "Specialist@test.example", "purpose": "Housing support", "consent": "yes"})
    client.post("/logout")
    login(client, specialist)
    assert client.get(f"/clients/{yp.id}").status_code == 200
    assert "Jordan Test" in client.get("/clients/").get_data(as_text=True)
    assert "Share record" not in client.get(f"/clients/{yp.id}").get_data(as_text=True)  # only the owner shares


def test_caseload_shows_each_young_persons_referrals(app, client, world):
    _send(world)
    login(client, world["pa"])
    html = client.get("/clients/").get_data(as_text=True)
    assert "1 sent, awaiting answer" in html
