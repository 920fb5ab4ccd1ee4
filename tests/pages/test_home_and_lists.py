"""Home pages, the caseload and the inbox: what each list finds, in what order, a page at a
time, and what a provider may see of a name (only with consent in force)."""
import datetime as dt
import re

import pytest
from werkzeug.datastructures import MultiDict

from broker.clients import services as clients
from broker.clients.services import CaseloadQuery, record_consent
from broker.referrals import services as referrals
from broker.referrals.services import InboxQuery
from tests.directory import factories as f
from tests.people import factories as pf

SUMMARY = "Left college in October; wants to learn a trade."
TODAY = dt.date.today()


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": pf.PASSWORD}).status_code == 302


@pytest.fixture
def world(app):
    org = f.organisation("Aire Training Ltd")
    course = f.provision("Level 1 Construction", org=org, category="training", at=f.LS1,
                         intakes=[dict(start_in=14, places=9)])
    flat = f.provision("Harehills Flats", org=org, category="housing", at=f.LS9, intakes=[dict(start_in=7, places=5)])
    pa, other_pa = pf.user("pa"), pf.user("pa")
    provider = pf.user("provider", organisation=org)
    people = {
        "ayesha": pf.client(pa, ("training",), first_name="Ayesha", last_name="Khan", urgency=3, consent_to=(org,),
                            assessment_date=TODAY - dt.timedelta(days=90), review_date=TODAY - dt.timedelta(days=2)),
        "ben": pf.client(pa, ("housing",), first_name="Ben", last_name="Adams", urgency=1, consent_to=(org,),
                         review_date=TODAY + dt.timedelta(days=60)),
        "cara": pf.client(pa, ("training", "housing"), first_name="Cara", last_name="Zed", urgency=2,
                          review_date=TODAY + dt.timedelta(days=5)),
        "someone_else": pf.client(other_pa, ("training",), first_name="Other", last_name="Caseload"),
    }
    return dict(org=org, course=course, flat=flat, pa=pa, provider=provider, people=people)


def names(page):
    return [c.display_name for c in page.items]


def test_caseload_search_filters_and_sorts_only_the_pas_own(app, world):
    pa = world["pa"]
    find = lambda **args: names(clients.search_caseload(pa, CaseloadQuery.from_args(MultiDict(args)), TODAY))  # noqa: E731
    assert find() == ["Ayesha Khan", "Cara Zed", "Ben Adams"]  # most urgent first
    assert find(sort="name") == ["Ben Adams", "Ayesha Khan", "Cara Zed"]
    assert find(sort="review") == ["Ayesha Khan", "Cara Zed", "Ben Adams"]
    assert find(q="KHAN") == ["Ayesha Khan"] and find(q="ayesha k") == ["Ayesha Khan"]
    assert find(q="other") == []  # another PA's young person is never found
    assert find(need="housing") == ["Cara Zed", "Ben Adams"]
    assert find(urgency="1") == ["Ben Adams"]
    assert find(status="review_due") == ["Ayesha Khan"]
    referrals.send_referral(pa, world["people"]["ayesha"], world["people"]["ayesha"].needs[0].id,
                            world["course"].intakes[0].id, SUMMARY)
    assert find(status="sent") == ["Ayesha Khan"]
    assert find(status="no_referral") == ["Cara Zed", "Ben Adams"]
    # Unknown values are ignored rather than refused: the list still shows.
    assert find(status="nonsense", urgency="9", sort="colour") == ["Ayesha Khan", "Cara Zed", "Ben Adams"]


def test_caseload_pages_never_go_past_the_last(app, world):
    pa = world["pa"]
    for n in range(20):
        pf.client(pa, ("training",), first_name=f"P{n:02d}", last_name="Extra", urgency=1)
    page = clients.search_caseload(pa, CaseloadQuery.from_args(MultiDict({"page": "2"})), TODAY)
    assert (page.total, page.pages, page.number, len(page.items)) == (23, 2, 2, 3)
    assert (page.first_item, page.last_item) == (21, 23)
    past = clients.search_caseload(pa, CaseloadQuery.from_args(MultiDict({"page": "50"})), TODAY)
    assert past.number == 2 and names(past) == names(page)
    assert clients.search_caseload(pa, CaseloadQuery.from_args(MultiDict({"page": "-3"})), TODAY).number == 1


def test_caseload_page_links_keep_the_filters(app, client, world):
    pa = world["pa"]
    for n in range(45):
        pf.client(pa, ("training",), first_name=f"P{n:02d}", last_name="Extra", urgency=1)
    login(client, pa)
    html = client.get("/clients/?need=training&page=2").get_data(as_text=True)
    links = re.findall(r'href="(/clients/\?[^"]*page=\d+[^"]*)"', html)
    assert links and all("need=training" in link for link in links)
    numbers = sorted({int(n) for n in re.findall(r'aria-label="Page (\d+)"', html)})
    assert numbers == [1, 2, 3]  # 47 with a training need, 20 a page: 3 pages and no more
    assert 'aria-current="page"' in html and "Showing 21 to 40 of 47 young people" in html


def test_inbox_finds_names_only_where_consent_is_in_force(app, world):
    pa, provider, people = world["pa"], world["provider"], world["people"]
    r_ayesha = referrals.send_referral(pa, people["ayesha"], people["ayesha"].needs[0].id, world["course"].intakes[0].id, SUMMARY,
                                       answer_by=TODAY + dt.timedelta(days=1))
    r_ben = referrals.send_referral(pa, people["ben"], people["ben"].needs[0].id, world["flat"].intakes[0].id, SUMMARY)
    find = lambda **args: [r.id for r in referrals.search_inbox(provider, InboxQuery.from_args(MultiDict(args)), TODAY).items]  # noqa: E731
    assert find(q="ayesha") == [r_ayesha.id]
    assert find(q=str(r_ben.id)) == [r_ben.id] and find(q=f"Referral {r_ben.id}") == [r_ben.id]
    assert find(q="harehills") == [r_ben.id]  # the listing's name
    assert find(need="housing") == [r_ben.id]
    referrals.answer(provider, r_ben, "more_info", message="What time can they start?")
    assert find(status="more_info") == [r_ben.id]
    assert find(due="soon") == [r_ayesha.id]  # answer by tomorrow; Ben's is with the PA now
    assert find(due="overdue") == []
    record_consent(pa, people["ayesha"], world["org"].id, "referral", False)  # withdrawn
    assert find(q="ayesha") == []
    page = referrals.search_inbox(provider, InboxQuery(), TODAY)
    assert r_ayesha.id not in page.extra["names"] and page.extra["names"][r_ben.id] == "Ben Adams"


def test_pa_home_says_what_needs_them(app, client, world):
    pa, provider, people = world["pa"], world["provider"], world["people"]
    asked = referrals.send_referral(pa, people["ayesha"], people["ayesha"].needs[0].id, world["course"].intakes[0].id, SUMMARY)
    referrals.answer(provider, asked, "more_info", message="Can they start before 9?")
    accepted = referrals.send_referral(pa, people["ben"], people["ben"].needs[0].id, world["flat"].intakes[0].id, SUMMARY)
    referrals.answer(provider, accepted, "accept")
    assert [r.id for r in referrals.asked_for_more_information(pa)] == [asked.id]
    assert [r.id for r in referrals.answers_received(pa, TODAY)] == [accepted.id]
    assert [c.display_name for c in clients.reviews_due(pa, TODAY)] == ["Ayesha Khan", "Cara Zed"]  # not Ben's, in 60 days
    # Every need was recorded today, so the most urgent wait first.
    assert [(c.display_name, days) for c, days in clients.waiting_longest(pa, TODAY)] == [
        ("Ayesha Khan", 0), ("Cara Zed", 0), ("Ben Adams", 0)]
    login(client, pa)
    assert client.post("/login", data={"email": pa.email, "password": pf.PASSWORD}).headers["Location"].endswith("/home")
    html = client.get("/home").get_data(as_text=True)
    assert "Can they start before 9?" in html and "Ben Adams: Harehills Flats" in html
    assert "Other Caseload" not in html  # another PA's young person


def test_every_role_lands_on_its_home(app, client, world):
    for user in (world["pa"], world["provider"], pf.user("manager"), pf.user("admin")):
        resp = client.post("/login", data={"email": user.email, "password": pf.PASSWORD})
        assert resp.headers["Location"].endswith("/home")
        assert client.get("/home").status_code == 200
        client.post("/logout")
    assert client.get("/home").status_code == 302  # signed out: to the sign-in page


def test_manager_home_headline_names_the_biggest_shortage(app, client):
    from tests.insight.scenario import build

    s = build()
    login(client, s.manager)
    html = client.get("/home").get_data(as_text=True)
    assert "training in Leeds" in html and "Quillfeather" not in html
