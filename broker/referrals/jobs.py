"""Due jobs of referrals: holds that lapse, and the reminders nobody should have to remember.

Each is safe to run any number of times: a hold lapses once (a conditional UPDATE on its
status), and every reminder carries a key, so nobody hears of the same thing twice.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from broker.clients.models import Client
from broker.extensions import db
from broker.jobs import due_job
from broker.notifications import notify, short_name
from broker.referrals import notices
from broker.referrals import services as referrals
from broker.referrals.models import Referral

REVIEW_NOTICE_DAYS = 7


@due_job("hold-lapses", every=dt.timedelta(minutes=5), title="Free places held by referrals nobody answered in time")
def hold_lapses() -> str:
    lapsed = referrals.lapse_unanswered(dt.date.today(), current_app.config["BROKER_HOLD_GRACE_DAYS"])
    return f"{len(lapsed)} lapsed, their places freed"


@due_job("referral-reminders", every=dt.timedelta(minutes=30),
         title="Tell providers an answer is due tomorrow or overdue, and PAs of overdue answers and reviews")
def referral_reminders() -> str:
    today = dt.date.today()
    waiting = list(db.session.scalars(
        select(Referral).where(Referral.status == "sent", Referral.answer_by <= today + dt.timedelta(days=1))
        .order_by(Referral.id)
    ))
    tomorrow = overdue = 0
    for r in waiting:
        what = f"{short_name(r.client)}'s referral {r.id} to {r.provision.name}"
        if r.answer_by == today + dt.timedelta(days=1):
            notices.to_provider(r, "answer-due-tomorrow", f"Answer due tomorrow: {what}",
                                f"Please answer {what} by {r.answer_by:%d %b %Y}.",
                                key=f"answer-due:{r.id}:{r.answer_by.isoformat()}")
            tomorrow += 1
        elif r.answer_by < today:
            grace = current_app.config["BROKER_HOLD_GRACE_DAYS"]
            lapses = r.answer_by + dt.timedelta(days=grace)
            body = (f"{what} was to be answered by {r.answer_by:%d %b %Y}. Unless it is answered, its place "
                    f"is freed on {lapses:%d %b %Y}.")
            key = f"answer-overdue:{r.id}:{r.answer_by.isoformat()}"
            notices.to_provider(r, "answer-overdue", f"Answer overdue: {what}", body, key=key)
            notices.to_pa(r, "answer-overdue", f"Answer overdue: {what}", body, key=key)
            overdue += 1
    reviews = list(db.session.scalars(
        select(Client).where(Client.review_date >= today, Client.review_date <= today + dt.timedelta(days=REVIEW_NOTICE_DAYS))
        .order_by(Client.id)
    ))
    for c in reviews:
        notify([c.pa], "review-due", f"Review due {c.review_date:%d %b %Y}: {short_name(c)}",
               f"{short_name(c)}'s review is due on {c.review_date:%d %b %Y}.", link=f"/clients/{c.id}",
               key=f"review:{c.id}:{c.review_date.isoformat()}")
    return f"{tomorrow} due tomorrow, {overdue} overdue, {len(reviews)} reviews within {REVIEW_NOTICE_DAYS} days"


CONSENT_NOTICE_DAYS = 14


@due_job("consent-expiring", every=dt.timedelta(hours=6),
         title="Tell PAs of consent to share that ends within 14 days, so they can ask the young person again")
def consent_expiring() -> str:
    from broker.clients.services import consents_expiring

    ending = consents_expiring(within_days=CONSENT_NOTICE_DAYS)
    for consent in ending:
        c = consent.client
        agency = consent.organisation.name
        notify([c.pa], "consent-expiring", f"Consent ends {consent.expires_on:%d %b %Y}: {short_name(c)}",
               f"{short_name(c)}'s consent to share with {agency} ({consent.purpose}) ends on "
               f"{consent.expires_on:%d %b %Y}. Ask them whether they agree again before then; after it, "
               f"referrals to {agency} are paused.",
               link=f"/clients/{c.id}", key=f"consent-expiring:{consent.id}")
    return f"{len(ending)} consents ending within {CONSENT_NOTICE_DAYS} days"
