"""The plan of actions and its reviews on the young person's record."""
import datetime as dt

from sqlalchemy import select

from broker.audit.models import AuditEvent
from broker.clients.models import Client
from broker.extensions import db
from tests.casework.conftest import sign_in


def _date(field: str, day: dt.date) -> dict:
    return {field: [str(day.day), str(day.month), str(day.year)]}


def test_a_pa_adds_plan_actions_and_marks_them_done(app, client, team):
    yp, pa = team["overdue"], team["pa1"]
    sign_in(client, pa)
    due = dt.date.today() + dt.timedelta(days=7)
    missing = client.post(f"/clients/{yp.id}/plan", data={"what": "Visit the college", "who": ""} | _date("due", due))
    assert missing.status_code == 400 and "Enter who will do it" in missing.get_data(as_text=True)
    added = client.post(f"/clients/{yp.id}/plan", data={"what": "Visit the college", "who": "Ollie with his PA"} | _date("due", due))
    assert added.status_code == 302
    late = client.post(f"/clients/{yp.id}/plan",
                       data={"what": "Book the CSCS test", "who": "Ollie"} | _date("due", dt.date.today() - dt.timedelta(days=1)))
    assert late.status_code == 302
    html = client.get(f"/clients/{yp.id}").get_data(as_text=True)
    plan = html.split('id="plan"')[1].split('id="reviews"')[0]
    assert "Visit the college" in plan and "Ollie with his PA" in plan
    assert plan.index("Book the CSCS test") < plan.index("Visit the college")  # soonest due first
    assert plan.count("Overdue") == 1
    from broker.casework.models import PlanAction

    first = db.session.scalar(select(PlanAction).where(PlanAction.what == "Book the CSCS test"))
    assert client.post(f"/clients/{yp.id}/plan/{first.id}/done").status_code == 302
    plan = client.get(f"/clients/{yp.id}").get_data(as_text=True).split('id="plan"')[1].split('id="reviews"')[0]
    assert "Done" in plan and "Overdue" not in plan
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == yp.id))]
    assert actions.count("plan_action") == 2 and "plan_action_done" in actions
    # Another PA's young person is not theirs to plan for.
    assert client.post(f"/clients/{team['theirs'].id}/plan", data={"what": "x", "who": "y"} | _date("due", due)).status_code == 404


def test_a_review_sets_the_next_review_and_clears_the_overdue_flag(app, client, team):
    yp = team["overdue"]
    sign_in(client, team["pa1"])
    caseload = client.get("/clients/").get_data(as_text=True)
    assert "Overdue" in caseload.split("Ollie Overdue")[1].split("</tr>")[0]
    today = dt.date.today()
    backwards = client.post(f"/clients/{yp.id}/reviews", data={"outcome": "Settled in"} | _date("held_on", today)
                            | _date("next_review", today - dt.timedelta(days=1)))
    assert backwards.status_code == 400 and "next review must be after" in backwards.get_data(as_text=True).lower()
    future = client.post(f"/clients/{yp.id}/reviews", data={"outcome": "Settled in"} | _date("held_on", today + dt.timedelta(days=2)))
    assert future.status_code == 400
    nxt = today + dt.timedelta(days=42)
    done = client.post(f"/clients/{yp.id}/reviews", data={"outcome": "Settled in at the hostel"} | _date("held_on", today)
                       | _date("next_review", nxt))
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, yp.id).review_date == nxt
    html = client.get(f"/clients/{yp.id}").get_data(as_text=True)
    assert "Settled in at the hostel" in html.split('id="reviews"')[1]
    caseload = client.get("/clients/").get_data(as_text=True)
    assert "Overdue" not in caseload.split("Ollie Overdue")[1].split("</tr>")[0]
    assert "review" in [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == yp.id))]
    client.post("/logout")
    sign_in(client, team["lead"])
    overdue = client.get("/home").get_data(as_text=True).split('id="overdue-reviews"')[1].split("</section>")[0]
    assert "Ollie" not in overdue


def test_the_lead_reads_the_plan_but_does_not_change_it(app, client, team):
    sign_in(client, team["lead"])
    html = client.get(f"/clients/{team['overdue'].id}").get_data(as_text=True)
    assert 'id="plan"' in html and "Add action" not in html
    today = dt.date.today()
    assert client.post(f"/clients/{team['overdue'].id}/plan", data={"what": "x", "who": "y"} | _date("due", today)).status_code == 403
