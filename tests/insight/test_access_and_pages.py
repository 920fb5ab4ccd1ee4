"""Who may see insight, what the pages show (aggregates, never names), and the JSON API."""
from __future__ import annotations

import time

import pytest

from broker.auth.services import issue_token
from broker.insight import allocation, waits
from broker.insight.models import AllocationRun
from broker.extensions import db
from tests.directory import factories as f
from tests.insight.scenario import build
from tests.people import factories as pf

PAGES = ["/insight/", "/insight/shortages.csv", "/insight/what-if"]


def sign_in(http, user):
    res = http.post("/login", data={"email": user.email, "password": pf.PASSWORD})
    assert res.status_code == 302


def follow_job(http, res, timeout_s=60):
    """Follow a job's status page (it refreshes itself while the job runs) until it sends on; the last answer."""
    assert res.status_code == 302 and "/jobs/" in res.headers["Location"], res.status_code
    status_url = res.headers["Location"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page = http.get(status_url)
        html = page.get_data(as_text=True)
        if page.status_code != 200 or 'http-equiv="refresh"' not in html:
            return page
        assert "<progress" in html
        time.sleep(0.05)
    raise AssertionError(f"{status_url} still running after {timeout_s} s")


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(client, path):
    res = client.get(path)
    assert res.status_code == 302 and "/login" in res.headers["Location"]


@pytest.mark.parametrize("role", ["pa", "provider"])
def test_pas_and_providers_are_refused(app, client, role):
    org = f.organisation() if role == "provider" else None
    if org:
        db.session.commit()
    sign_in(client, pf.user(role, organisation=org))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/insight/runs", data={"area": ""}).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(AllocationRun)) == 0


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_dashboard_without_names(app, client, role):
    s = build(http=client)
    user = s.manager if role == "manager" else pf.user("admin")
    sign_in(client, user)
    done = follow_job(client, client.post("/insight/runs", data={"area": ""}))
    assert done.status_code == 303 and done.headers["Location"].endswith("/insight/#runs")
    html = client.get("/insight/").get_data(as_text=True)
    assert "Shortages and waits" in html and 'href="/insight/"' in html  # nav link for managers
    assert html.count('role="img"') == 3 and "<title" in html and "<desc" in html
    assert "5 of 6" in html  # the latest run's needs met
    assert "Quillfeather" not in html and "Not shown" in html
    assert "Aire Training" in html  # providers are not young people: their answer times are shown


def test_bad_dashboard_parameter_names_the_field(app, client):
    m = pf.user("manager")
    sign_in(client, m)
    res = client.get("/insight/?from=2026-13")
    assert res.status_code == 400 and "From month must be a month" in res.get_data(as_text=True)
    assert client.get("/insight/shortages.csv?by=colour").status_code == 400


def test_run_for_one_area(app, client):
    s = build()
    sign_in(client, s.manager)
    follow_job(client, client.post("/insight/runs", data={"area": "Bradford"}))
    run = allocation.latest_run()
    assert run.area == "Bradford" and run.started_by_id == s.manager.id
    assert (run.figures["young_people"], run.figures["needs"], run.figures["met"]) == (1, 1, 1)


def test_what_if_page(app, client):
    s = build()
    sign_in(client, s.manager)
    asked = dict(category="training", area="Leeds", month=s.months[0], places=1)
    done = follow_job(client, client.post("/insight/what-if", data=asked))
    assert done.status_code == 303 and "/insight/what-if?job=" in done.headers["Location"]
    res = client.get(done.headers["Location"])
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and 'id="delta-met">+1 needs met' in html
    assert f'value="{s.months[0]}"' in html  # the form shows the question as it was asked
    res = client.post("/insight/what-if", data=dict(category="training", area="Leeds", month="2001-01", places=0))
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "Choose this month or a later one" in html and "from 1 to 1000" in html


def test_a_job_is_shown_only_to_managers_and_whoever_started_it(app, client):
    s = build()
    sign_in(client, s.manager)
    res = client.post("/insight/runs", data={"area": ""})
    status_url = res.headers["Location"]
    follow_job(client, res)
    other = app.test_client()
    sign_in(other, s.pa)
    assert other.get(status_url).status_code == 404
    assert other.get(status_url.replace("/jobs/", "/insight/what-if?job=")).status_code in (403, 404)


def test_longest_waiting_names_only_the_viewers_own_caseload(app):
    s = build()
    listed, counts = waits.longest_waiting(s.manager, s.today)
    assert len(listed) == 5 and all(w.name is None for w in listed)
    assert sum(counts.values()) == 5
    own, _ = waits.longest_waiting(s.pa, s.today)
    assert {w.name for w in own} == {c.display_name for c in s.clients.values()}
    other_pa = pf.user("pa")
    assert all(w.name is None for w in waits.longest_waiting(other_pa, s.today)[0])
    assert not waits.may_see_identity(s.manager, s.clients["c1"]) and waits.may_see_identity(s.pa, s.clients["c1"])


# --------------------------------------------------------------------------- API


def _get(http, user, path):
    headers = {"Authorization": f"Bearer {issue_token(user)[0]}"} if user else {}
    return http.get(path, headers=headers)


def test_api_needs_a_manager_token(app, client):
    assert _get(client, None, "/api/v1/shortages").status_code == 401
    assert _get(client, pf.user("pa"), "/api/v1/shortages").status_code == 403
    assert _get(client, pf.user("manager"), "/api/v1/shortages").status_code == 200
    assert _get(client, pf.user("admin"), "/api/v1/shortages").status_code == 200


def test_api_rows_by_category_and_area(app, client):
    s = build(http=client)
    allocation.run_allocation(s.manager)
    m0, _m1, m2 = s.months
    body = _get(client, s.manager, f"/api/v1/shortages?by=category,area&from={m0}&to={m2}").get_json()
    assert body["by"] == ["category", "area"] and body["from"] == m0 and body["to"] == m2
    assert body["latest_run"]["area"] is None
    rows = {(r["category"], r["area"]): r for r in body["rows"]}
    leeds = rows[("training", "Leeds")]
    assert (leeds["demand"], leeds["supply"], leeds["unmet"], leeds["mean_wait_days"]) == (4, 1, 1, float((s.a_start - s.today).days))
    bradford = rows[("training", "Bradford")]
    assert (bradford["demand"], bradford["supply"], bradford["unmet"], bradford["mean_wait_days"]) == (1, 2, 0, None)
    assert set(rows) == {("training", "Leeds"), ("training", "Bradford"), ("housing", "Leeds"), ("housing", "Calderdale"),
                         ("anger-management", "Not given")}
    assert "Quillfeather" not in str(body)


@pytest.mark.parametrize("query,field", [("by=category,shoe", "by"), ("from=May", "from"), ("to=2026-02-30", "to"),
                                          ("from=2026-05&to=2026-01", "to")])
def test_api_bad_parameters_name_the_field(app, client, query, field):
    res = _get(client, pf.user("manager"), f"/api/v1/shortages?{query}")
    assert res.status_code == 400
    body = res.get_json()
    assert body["error"] == "bad_parameter" and body["field"] == field and body["message"]


def test_heatmap_cell_text_meets_wcag_aa_contrast():
    from broker.insight import charts

    for fill in (*charts.SURPLUS, *charts.SHORTAGE, charts.EVEN):
        text = charts._text_colour(fill)
        hi, lo = sorted((charts._luminance(fill), charts._luminance(text)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, fill
