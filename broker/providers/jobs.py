"""Due jobs of providers: the daily reminder to confirm stale listings."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app

from broker.jobs import due_job
from broker.providers.reminders import write_reminders


@due_job("stale-reminders", every=dt.timedelta(days=1), title="Write reminders to providers whose listings need confirming")
def stale_reminders() -> str:
    today = dt.date.today()
    folder = Path(current_app.instance_path) / "reminders" / today.isoformat()
    written = write_reminders(folder, today, current_app.config["BROKER_STALE_DAYS"])
    return f"{len(written)} reminder(s) in {folder}"
