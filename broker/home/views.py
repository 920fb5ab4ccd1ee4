"""Home: the first page after signing in, one per role, saying what needs the person today.

Each role has a function here that gathers its panels' data from the domain services and
a template `templates/home/<role>.html` that lays the panels out. A new role adds both and
registers the function in PANELS (docs/pages.md, "A home page for a role").
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from broker.auth.models import User

bp = Blueprint("home", __name__)


def pa_panels(user: User, today: dt.date) -> dict:
    from broker.clients import services as clients
    from broker.referrals import services as referrals

    # Consent expiries join these as their own panel (templates/home/pa.html).
    return {
        "answers": referrals.answers_received(user, today),
        "more_info": referrals.asked_for_more_information(user),
        "reviews": clients.reviews_due(user, today),
        "waiting": clients.waiting_longest(user, today),
        **actions_panel(user, today),
    }


def actions_panel(user: User, today: dt.date) -> dict:
    """The case conference actions this person owns (templates/home/_actions.html)."""
    from broker.casework import services as casework

    rows = casework.my_actions(user)
    return {"actions": rows, "action_names": {a.id: casework.action_client_name(user, a) for a in rows}}


def lead_panels(user: User, today: dt.date) -> dict:
    from broker.casework import services as casework

    return {
        "overdue": casework.overdue_reviews(user, today),
        "unanswered": casework.unanswered_referrals(user, today),
        "no_specialist": casework.complex_without_specialist(user),
        **actions_panel(user, today),
    }


def provider_panels(user: User, today: dt.date) -> dict:
    from broker.providers import services as providers
    from broker.referrals import services as referrals

    to_answer = referrals.awaiting_answer(user.organisation_id)
    names = referrals.consented_names(to_answer)
    referrals.audit_listed(user, to_answer, names)
    return {
        "new": [r for r in to_answer if r.answered_at is None],
        "to_answer": to_answer,
        "names": names,
        "stale": providers.stale_listings(user.organisation_id, today, current_app.config["BROKER_STALE_DAYS"]),
        "stale_days": current_app.config["BROKER_STALE_DAYS"],
        **actions_panel(user, today),
    }


def manager_panels(user: User, today: dt.date) -> dict:
    from broker.insight import allocation, oversight, shortages

    return {
        "headline": shortages.headline(today),
        "run": allocation.latest_run(),
        "stale_providers": len(oversight.stale_providers(today)),
    }


def admin_panels(user: User, today: dt.date) -> dict:
    from broker.audit import services as audit
    from broker.audit.models import ACTION_WORDS, SUBJECT_WORDS
    from broker.auth import services as accounts
    from broker.auth.models import ROLES

    return {
        "action_words": ACTION_WORDS, "subject_words": SUBJECT_WORDS, "role_words": ROLES,
        "events_today": audit.count_since(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)),
        "recent": audit.recent(10),
        "accounts": accounts.accounts_by_role(),
    }


# role -> the function that gathers its home page (rendered with templates/home/<role>.html).
PANELS: dict[str, Callable[[User, dt.date], dict]] = {
    "pa": pa_panels,
    "lead": lead_panels,
    "provider": provider_panels,
    "manager": manager_panels,
    "admin": admin_panels,
}


@bp.get("/home")
@login_required
def home_page():
    gather = PANELS.get(current_user.role)
    if gather is None:
        abort(404)
    today = dt.date.today()
    return render_template(f"home/{current_user.role}.html", today=today, **gather(current_user, today))
