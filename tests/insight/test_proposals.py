"""A run's proposed placements reach each young person's PA on the young person's record."""
from __future__ import annotations

import pytest

from broker.insight import allocation
from tests.insight.scenario import build
from tests.people import factories as pf


@pytest.fixture
def scenario(app, client):
    return build(http=client)


def test_the_pa_sees_what_the_area_wide_run_proposes(scenario, client):
    allocation.run_allocation(scenario.manager)
    client.post("/login", data={"email": scenario.pa.email, "password": pf.PASSWORD})
    # c1 (urgency 3, training, Leeds) gets a training place; c3 (least urgent) is left unmet.
    c1 = client.get(f"/clients/{scenario.clients['c1'].id}").get_data(as_text=True)
    assert "The area-wide run proposes" in c1 and 'id="run-proposal"' in c1
    assert any(name in c1 for name in ("Leeds Construction", "Bradford Joinery"))
    c3 = client.get(f"/clients/{scenario.clients['c3'].id}").get_data(as_text=True)
    assert 'id="run-proposal"' not in c3
    # c2's accepted referral is a placement already, not a proposal.
    c2 = client.get(f"/clients/{scenario.clients['c2'].id}").get_data(as_text=True)
    assert 'id="run-proposal"' not in c2


def test_managers_pages_never_name_who_a_run_proposes(scenario, client):
    allocation.run_allocation(scenario.manager)
    client.post("/login", data={"email": scenario.manager.email, "password": pf.PASSWORD})
    html = client.get("/insight/").get_data(as_text=True)
    assert "Quillfeather" not in html and 'id="run-proposal"' not in html and "The area-wide run proposes" not in html
