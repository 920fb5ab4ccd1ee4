"""Need to know: a provider sees the need a referral is for and only the other needs the PA
ticked, never the rest, their notes or the PA's messages beyond what consent covers."""
import pytest

from broker.clients import services as clients
from broker.errors import InputError
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
    yp = pf.client(pa, needs=("training", "housing", "mental-health"), consent_to=[org])
    clients.record_consent(pa, yp, org.id, "assessment", True)  # even the assessment: still only what they need to know
    db.session.commit()
    needs = {n.category: n for n in yp.needs}
    return dict(org=org, course=course, pa=pa, provider=provider, yp=yp, needs=needs)


def _refer(world, share=()):
    r = referrals.send_referral(world["pa"], world["yp"], world["needs"]["training"].id, world["course"].intakes[0].id,
                                BACKGROUND, "Anxious with new adults.", share_need_ids=[world["needs"][c].id for c in share])
    db.session.commit()
    return r


def test_a_training_referral_never_shows_housing_or_mental_health_to_the_provider(app, client, world):
    referral = _refer(world)
    seen = provider_sees(client, world["provider"], referral.id)
    for where, text in seen.items():
        if where == "record":
            continue
        for secret in ("notes on housing", "notes on mental-health"):
            assert secret not in text, (where, secret)
    for where in ("api list", "api record"):
        assert '"housing"' not in seen[where] and '"mental-health"' not in seen[where], where
    assert seen["record"]["client"]["needs"] == ["training"]
    assert seen["record"]["client"]["need_notes"] == {"training": "notes on training"}
    assert seen["record"]["shared_needs"] == []
    assert "Needs: Training." in seen["page"]
    assert "Housing" not in seen["page"].split('id="main-content"')[-1] and "Mental health" not in seen["page"]
    assert BACKGROUND in seen["page"]  # what consent covers is still there


def test_a_need_the_pa_ticks_is_shared_and_no_other(app, client, world):
    referral = _refer(world, share=("housing",))
    seen = provider_sees(client, world["provider"], referral.id)
    assert seen["record"]["client"]["needs"] == ["training", "housing"]
    assert seen["record"]["client"]["need_notes"] == {"training": "notes on training", "housing": "notes on housing"}
    assert "Needs: Training, Housing." in seen["page"]
    for where, text in seen.items():
        if where != "record":
            assert "notes on mental-health" not in text, where
    assert '"mental-health"' not in seen["api list"] + seen["api record"]
    # The PA sees what was shared.
    sign_in(client, world["pa"])
    assert "Needs shared with the provider: Training, Housing." in client.get(f"/referrals/{referral.id}").get_data(as_text=True)


def test_withdrawn_consent_hides_even_the_shared_need(app, client, world):
    referral = _refer(world, share=("housing",))
    clients.record_consent(world["pa"], world["yp"], world["org"].id, "referral", False)
    db.session.commit()
    seen = provider_sees(client, world["provider"], referral.id)
    assert "needs" not in seen["record"]["client"] and seen["record"]["shared_needs"] == []
    assert "notes on housing" not in seen["page"]


def test_only_the_young_persons_own_needs_can_be_shared(app, world):
    other = pf.client(world["pa"], needs=("housing",), first_name="Sam")
    with pytest.raises(InputError) as exc:
        referrals.send_referral(world["pa"], world["yp"], world["needs"]["training"].id, world["course"].intakes[0].id,
                                BACKGROUND, share_need_ids=[other.needs[0].id])
    assert exc.value.field == "share_need_ids"


def test_the_api_and_the_referral_form_take_the_needs_to_share(app, client, world):
    resp = client.post("/api/v1/referrals", headers=api(client, world["pa"]), json={
        "client_id": world["yp"].id, "need_id": world["needs"]["training"].id, "intake_id": world["course"].intakes[0].id,
        "summary": BACKGROUND, "share_need_ids": [world["needs"]["mental-health"].id]})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["shared_needs"] == ["mental-health"]
    referrals.pa_update(world["pa"], db.session.get(referrals.Referral, resp.get_json()["id"]), "withdraw")
    db.session.commit()
    sign_in(client, world["pa"])
    url = f"/clients/{world['yp'].id}/refer?need_id={world['needs']['training'].id}&intake_id={world['course'].intakes[0].id}"
    form = client.get(url).get_data(as_text=True)
    assert 'name="share_need_ids"' in form and "Mental health" in form
    sent = client.post(url, data={"need_id": world["needs"]["training"].id, "intake_id": world["course"].intakes[0].id,
                                  "summary": BACKGROUND, "share_need_ids": [world["needs"]["housing"].id]})
    assert sent.status_code == 302
    newest = db.session.scalars(db.select(referrals.Referral).order_by(referrals.Referral.id.desc())).first()
    assert newest.shared_need_ids == [world["needs"]["housing"].id]
