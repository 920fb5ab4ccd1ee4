"""Due jobs of providers: telling provider staff which listings need confirming."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from broker.jobs import due_job
from broker.providers.reminders import remind_stale


@due_job("stale-reminders", every=dt.timedelta(days=1), title="Tell provider staff which listings need confirming")
def stale_reminders() -> str:
    told = remind_stale(dt.date.today(), current_app.config["BROKER_STALE_DAYS"])
    return f"{told} organisation(s) told of listings to confirm"
