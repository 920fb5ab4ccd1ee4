"""The listing form and the API bound how many start dates they take, and a bad row count
is a clear error naming the field, never a 500 or minutes of work."""
import datetime as dt

import pytest

from broker.extensions import db
from broker.providers.services import MAX_UPCOMING_INTAKES
from tests.directory import factories as f
from tests.people import factories as pf
from tests.providers.test_listings import _org_token, form_for, login

TODAY = dt.date.today()


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    p = f.provision("Plastering course", org=org, intakes=[dict(start_in=30, places=4)])
    return dict(org=org, p=p, staff=pf.user("provider", organisation=org))


@pytest.mark.parametrize("count", ["abc", "1000000", "-1", "1e3", "²", "9" * 30])
def test_a_bad_intake_row_count_names_the_field_and_changes_nothing(app, client, world, count):
    login(client, world["staff"])
    resp = client.post(f"/provider/listings/{world['p'].id}/edit", data=form_for(world["p"], name="Typed new name", intake_count=count))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "intake_count: must be a whole number of rows from 0 to" in html.lower()
    assert 'value="Typed new name"' in html  # what was typed is kept
    db.session.expire_all()
    assert world["p"].name == "Plastering course" and [i.places for i in world["p"].intakes] == [4]


def test_api_refuses_more_start_dates_than_a_listing_can_have(app, client, world):
    token = _org_token(client, world["staff"])
    many = [{"start": (TODAY + dt.timedelta(days=1 + n)).isoformat(), "places": 1} for n in range(MAX_UPCOMING_INTAKES + 1)]
    resp = client.put(f"/api/v1/provisions/{world['p'].id}/intakes", headers={"Authorization": f"Bearer {token}"}, json={"intakes": many})
    assert resp.status_code == 400 and resp.get_json()["field"] == "intakes"
    assert f"more than {MAX_UPCOMING_INTAKES}" in resp.get_json()["message"]
    ok = client.put(f"/api/v1/provisions/{world['p'].id}/intakes", headers={"Authorization": f"Bearer {token}"},
                    json={"intakes": many[:MAX_UPCOMING_INTAKES]})
    assert ok.status_code == 200 and len(ok.get_json()["intakes"]) == MAX_UPCOMING_INTAKES
