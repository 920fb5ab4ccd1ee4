"""Consent runs until `expires_on` (BROKER_CONSENT_MONTHS after it is given by default);
expired consent counts as none wherever consent is checked."""
import datetime as dt

import pytest
from sqlalchemy import update

from broker.clients import services as clients
from broker.clients.models import Consent
from broker.errors import Forbidden, InputError
from broker.extensions import db
from broker.referrals import services as referrals
from tests.consent.helpers import api, provider_sees, sign_in
from tests.directory import factories as f
from tests.people import factories as pf

BACKGROUND = "Left college in October; wants to learn a trade with support."


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, intakes=[dict(start_in=14, places=3)])
    pa = pf.user("pa")
    provider = pf.user("provider", organisation=org)
    yp = pf.client(pa, first_name="Jordan")
    return dict(org=org, course=course, pa=pa, provider=provider, yp=yp)


def _expire(consent_id: int, days_ago: int = 1) -> None:
    """As if time passed: the consent's last day was `days_ago` days ago."""
    db.session.execute(update(Consent).where(Consent.id == consent_id).values(
        expires_on=dt.date.today() - dt.timedelta(days=days_ago)))
    db.session.commit()
    db.session.expire_all()


def test_consent_runs_twelve_months_by_default_or_as_configured(app, world):
    today = dt.date.today()
    given = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    assert given.expires_on == clients.months_on(today, 12)
    assert given.expires_on.year == today.year + 1 and given.expires_on.month == today.month
    app.config["BROKER_CONSENT_MONTHS"] = 3
    shorter = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    assert shorter.expires_on == clients.months_on(today, 3)
    assert clients.months_on(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    withdrawn = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)
    assert withdrawn.expires_on is None
    with pytest.raises(InputError) as exc:
        clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True, expires_on=today - dt.timedelta(days=1))
    assert exc.value.field == "expires_on"


def test_expired_consent_is_no_consent_to_refer(app, world):
    given = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    db.session.commit()
    _expire(given.id)
    assert not clients.consent_in_force(world["yp"].id, world["org"].id, "referral")
    with pytest.raises(Forbidden):
        referrals.send_referral(world["pa"], world["yp"], world["yp"].needs[0].id, world["course"].intakes[0].id, BACKGROUND)
    row = clients.consents_by_agency(world["yp"])[0]
    assert row["given"] is False and row["expired"] is True


def test_the_last_day_is_still_in_force(app, world):
    given = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True, expires_on=dt.date.today())
    db.session.commit()
    assert clients.consent_in_force(world["yp"].id, world["org"].id, "referral")
    _expire(given.id, days_ago=1)
    assert not clients.consent_in_force(world["yp"].id, world["org"].id, "referral")


def test_a_provider_sees_nothing_once_consent_has_expired(app, client, world):
    given = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True)
    referral = referrals.send_referral(world["pa"], world["yp"], world["yp"].needs[0].id, world["course"].intakes[0].id, BACKGROUND)
    db.session.commit()
    assert "Jordan" in provider_sees(client, world["provider"], referral.id)["page"]
    _expire(given.id)
    seen = provider_sees(client, world["provider"], referral.id)
    for where, text in seen.items():
        if where != "record":
            assert "Jordan" not in text and BACKGROUND not in text, where
    assert seen["record"]["client"]["consent"] is False


def test_the_api_takes_and_shows_expires_on(app, client, world):
    headers = api(client, world["pa"])
    until = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    resp = client.post(f"/api/v1/clients/{world['yp'].id}/consents", headers=headers,
                       json={"organisation_id": world["org"].id, "given": True, "expires_on": until})
    assert resp.status_code == 201, resp.get_json()
    row = resp.get_json()["consents"][0]
    assert row["expires_on"] == until and row["given"] is True and row["expired"] is False
    past = client.post(f"/api/v1/clients/{world['yp'].id}/consents", headers=headers,
                       json={"organisation_id": world["org"].id, "given": True, "expires_on": "2020-01-01"})
    assert past.status_code == 400 and past.get_json()["field"] == "expires_on"
    default = client.post(f"/api/v1/clients/{world['yp'].id}/consents", headers=headers,
                          json={"organisation_id": world["org"].id, "given": True}).get_json()["consents"][0]
    assert default["expires_on"] == clients.months_on(dt.date.today(), 12).isoformat()


def test_consents_expiring_lists_consent_in_force_that_ends_soon(app, world):
    today = dt.date.today()
    other_org = f.organisation("Calder Skills")
    third = f.organisation("Leeds Housing")
    db.session.flush()
    soon = clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True, expires_on=today + dt.timedelta(days=10))
    clients.record_consent(world["pa"], world["yp"], other_org.id, "referral", True, expires_on=today + dt.timedelta(days=30))
    clients.record_consent(world["pa"], world["yp"], third.id, "referral", True, expires_on=today + dt.timedelta(days=5))
    clients.record_consent(world["pa"], world["yp"], third.id, "referral", False)  # withdrawn since: nothing to renew
    db.session.commit()
    assert [c.id for c in clients.consents_expiring()] == [soon.id]
    assert [c.id for c in clients.consents_expiring(within_days=40)][0] == soon.id
    assert len(clients.consents_expiring(within_days=40)) == 2
    assert clients.consents_expiring(user=pf.user("pa")) == []
    assert [c.id for c in clients.consents_expiring(user=world["pa"])] == [soon.id]


def test_the_consent_statement_says_what_is_shared_with_whom_until_when_and_how_to_withdraw(app, client, world):
    until = dt.date.today() + dt.timedelta(days=100)
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", True, expires_on=until)
    gone = f.organisation("Calder Skills")
    db.session.flush()
    clients.record_consent(world["pa"], world["yp"], gone.id, "referral", True)
    clients.record_consent(world["pa"], world["yp"], gone.id, "referral", False)
    db.session.commit()
    sign_in(client, world["pa"])
    page = client.get(f"/clients/{world['yp'].id}/consent/statement")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Aire Training Ltd" in text and until.strftime("%Y") in text and "Calder Skills" not in text
    assert "withdraw your consent at any time" in text and world["pa"].email in text
    assert "To make and manage a referral" in text
    sign_in(client, pf.user("pa"))
    assert client.get(f"/clients/{world['yp'].id}/consent/statement").status_code == 404
