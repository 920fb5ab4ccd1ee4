"""The provider's inbox: first name and initial, need, listing, start, status and answer-by;
filtered by status and listing, answer-by soonest first, in pages."""
from __future__ import annotations

import datetime as dt
import re

from broker.extensions import db
from broker.referrals import services as referrals
from tests.directory import factories as f
from tests.lifecycle.conftest import build_world, send
from tests.people import factories as pf


def test_inbox_shows_short_names_and_filters_by_listing_and_status(app, client):
    world = build_world()
    first = send(world)
    second_course = f.provision("Painting and decorating", org=world["org"], category="training", at=f.LS1,
                                intakes=[dict(start_in=21, places=5)])
    sam = pf.client(world["pa"], needs=["training"], first_name="Sam", last_name="Okafor", consent_to=[world["org"]])
    second = referrals.send_referral(world["pa"], sam, sam.needs[0].id, second_course.intakes[0].id,
                                     "Another young person who is keen to start training.",
                                     answer_by=dt.date.today() + dt.timedelta(days=1))
    referrals.answer(world["provider"], first, "accept")
    db.session.commit()

    client.post("/login", data={"email": world["provider"].email, "password": pf.PASSWORD})
    html = client.get("/inbox").get_data(as_text=True)
    assert "Jordan S." in html and "Sam O." in html
    assert "Smithson" not in html and "Okafor" not in html
    assert html.index("Sam O.") < html.index("Jordan S.")  # waiting for an answer, soonest first
    assert '<td class="govuk-table__cell" data-label="Need">Training</td>' in html

    by_listing = client.get(f"/inbox?listing={second_course.id}").get_data(as_text=True)
    assert "Sam O." in by_listing and "Jordan S." not in by_listing
    assert f'<option value="{second_course.id}" selected>' in by_listing
    accepted = client.get("/inbox?status=accepted").get_data(as_text=True)
    assert "Jordan S." in accepted and "Sam O." not in accepted
    both = client.get(f"/inbox?listing={second_course.id}&status=sent").get_data(as_text=True)
    assert re.findall(r"Referral (\d+)</a>", both) == [str(second.id)]
