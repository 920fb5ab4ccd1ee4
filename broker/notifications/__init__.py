"""Notifications: what a user needs to hear of (a new referral, an answer, a lapsed hold),
shown in the app to every signed-in user and, where SMTP is configured, sent by e-mail.

Tell someone with `notify(...)`, inside the transaction that makes the change:

    from broker.notifications import notify

    notify(users, "referral-sent", "New referral for Level 1 Construction",
           "Jordan T. has been referred to Level 1 Construction.", link="/referrals/12",
           key="referral-sent:12")

The in-app notice and its e-mail (an outbox row) are written in that transaction, so a
rollback sends nothing; the e-mail goes after commit (broker.notifications.mail), and a
failed SMTP server only delays it. `key` makes a notice once-only per user: due jobs
that run again tell nobody twice.
"""
from broker.notifications.services import notify, short_name

__all__ = ["notify", "short_name"]
