"""The suggestions page in a PA's words: options, why this order, consent, referring, and every
ruled-out start date grouped by why, through the real app."""
import re

import matching
import pytest

from broker.clients.suggestion_words import GROUP_HEADINGS, ruled_out_words, who_for
from broker.clients.suggestions import suggestions_for
from broker.extensions import db
from tests.directory import factories as f
from tests.people import factories as pf
from tests.people.test_referrals import login


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    other = f.organisation("Calder Skills")
    course = f.provision("Level 1 Construction", org=org, at=f.LS1, intakes=[dict(start_in=8, places=6)],
                         min_age=16, max_age=19, areas=["E08000035"])
    far = f.provision("Halifax joinery", org=other, at=f.HX1, intakes=[dict(start_in=7, places=4)])
    adults = [f.provision(f"Adult skills {n}", org=other, at=f.LS1, intakes=[dict(start_in=10)], min_age=18)
              for n in (1, 2)]
    full = f.provision("Full bricklaying", org=other, at=f.LS1, intakes=[dict(start_in=9, places=1, taken=1)])
    pa = pf.user("pa")
    yp = pf.client(pa, needs=["training"], max_travel_km=20.0)
    return dict(org=org, other=other, course=course, far=far, adults=adults, full=full, pa=pa, yp=yp)


def groups(html: str) -> dict[str, tuple[int, int]]:
    """rule -> (count in the heading, rows listed under it)."""
    out = {}
    for rule, body in re.findall(r'data-rule="(\w+)">(.*?)</details>', html, re.S):
        count = int(re.search(r"\((\d+)\)\s*</span>", body).group(1))
        out[rule] = (count, body.count('class="ruled-out-row"'))
    return out


def test_options_read_in_plain_words_with_the_arithmetic_in_words(app, client, world):
    login(client, world["pa"])
    html = client.get(f"/clients/{world['yp'].id}/suggestions").get_data(as_text=True)
    assert "Starts in 8 days · 2.7 km · 6 places left · for 16-19s living in Leeds" in html
    assert "Score" not in html and " = urgency" not in html
    assert "Why this order" in html
    assert "Urgency 2 (high) counts 2,000" in html
    wait = int(re.search(r"Waiting 8 days for the start costs (\d+)", html).group(1))
    travel = float(re.search(r"Travelling 2\.7 km costs (5\.\d)", html).group(1))
    value = float(re.search(r"Value ([\d,.]+): the higher the value", html).group(1).replace(",", ""))
    assert abs(value - (2000 - wait - travel)) < 0.2  # the words add up


def test_every_ruled_out_start_date_is_listed_under_its_reason_and_counts_match(app, client, world):
    login(client, world["pa"])
    html = client.get(f"/clients/{world['yp'].id}/suggestions").get_data(as_text=True)
    found = groups(html)
    assert found == {"age_young": (2, 2), "distance": (1, 1), "no_places": (1, 1)}
    assert f"{GROUP_HEADINGS['age_young']} (2)" in html and "Further than they can travel (1)" in html
    assert "4 start dates ruled out" in html
    assert "For young people from age 18; Jordan would be too young" in html
    assert re.search(r"Halifax joinery</a> \(Calder Skills\): 2\d\.\d km away; Jordan travels up to 20 km", html)
    with app.test_request_context():
        view = suggestions_for(db.session.merge(world["yp"]), max_excluded=None)[0]
    assert sum(c for c, _ in found.values()) == view.excluded_count == len(view.ruled_out)


def test_ruled_out_lists_more_than_the_api_sample(app, client, world):
    for n in range(12):
        f.provision(f"Bradford course {n}", org=world["other"], at=f.HX1, intakes=[dict(start_in=5)])
    login(client, world["pa"])
    html = client.get(f"/clients/{world['yp'].id}/suggestions").get_data(as_text=True)
    assert groups(html)["distance"] == (13, 13)
    assert "16 start dates ruled out" in html


def test_consent_says_whether_it_covers_the_provider_and_links_to_record_it(app, client, world):
    login(client, world["pa"])
    url = f"/clients/{world['yp'].id}/suggestions"
    html = client.get(url).get_data(as_text=True)
    assert "No consent recorded to share with Aire Training Ltd" in html
    assert f"/clients/{world['yp'].id}/consent?organisation_id={world['org'].id}" in html
    client.post(f"/clients/{world['yp'].id}/consent", data={"organisation_id": world["org"].id, "purpose": "referral", "given": "yes"})
    html = client.get(url).get_data(as_text=True)
    assert "Jordan's recorded consent covers sharing with Aire Training Ltd" in html
    assert "No consent recorded to share with Aire Training Ltd" not in html


def test_refer_button_leads_to_the_prefilled_refer_page_and_a_pending_referral_shows(app, client, world):
    yp, intake = world["yp"], world["course"].intakes[0]
    need = yp.needs[0]
    login(client, world["pa"])
    client.post(f"/clients/{yp.id}/consent", data={"organisation_id": world["org"].id, "purpose": "referral", "given": "yes"})
    html = client.get(f"/clients/{yp.id}/suggestions").get_data(as_text=True)
    href = f"/clients/{yp.id}/refer?need_id={need.id}&amp;intake_id={intake.id}"
    assert f'href="{href}"' in html and "Refer to this start date" in html
    assert "already open" not in html
    refer = client.get(href.replace("&amp;", "&"))
    assert refer.status_code == 200 and "Level 1 Construction" in refer.get_data(as_text=True)
    sent = client.post(href.replace("&amp;", "&"), data={
        "need_id": need.id, "intake_id": intake.id, "summary": "Wants a trade; left college in October.", "risks": ""})
    assert sent.status_code == 302
    html = client.get(f"/clients/{yp.id}/suggestions").get_data(as_text=True)
    assert "A referral for this need is already open" in html and "Sent, awaiting answer" in html


def test_words_for_areas_and_groups(app, world):
    p = world["course"]
    p.requires = ["care_leaver"]
    assert who_for(p) == "for care leavers aged 16-19 living in Leeds"
    p.requires, p.min_age, p.max_age, p.areas = [], None, None, None
    assert who_for(p) == ""
    p.areas = ["E08000032", "E08000033"]
    assert who_for(p) == "for young people living in Bradford or Calderdale"
    yp = world["yp"]
    yp.area = "E08000035"
    out = matching.Excluded(str(p.id), "1", "area", "serves E08000032, E08000033 only; lives in E08000035", 3.0)
    assert ruled_out_words(out, p, yp) == "Serves Bradford or Calderdale only; Jordan lives in Leeds"
    p.requires = ["care_leaver", "young_parent"]
    yp.criteria = ["young_parent"]
    out = matching.Excluded(str(p.id), "1", "criteria", "", 3.0)
    assert ruled_out_words(out, p, yp) == "Only for care leavers"
    db.session.rollback()
