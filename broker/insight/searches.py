"""Record directory searches that found nothing, as a signal of unmet demand."""
from __future__ import annotations

import datetime as dt
import logging

from broker.extensions import db
from broker.insight.allocation import month_of
from broker.councils import area_for_point
from broker.insight.models import EmptySearch

log = logging.getLogger(__name__)


def record_empty_search(sq, total: int, source: str = "page") -> None:
    """Keep a search that found nothing (its category, area and month; never its text).

    Called by the search page and API after every search; does nothing when the search
    found something. It must never break a search, so a failure to place it is logged and dropped.
    """
    if total or sq is None:
        return
    try:
        today = sq.today or dt.date.today()
        when = sq.starts_after if sq.starts_after and sq.starts_after > today else today
        area = area_for_point(*sq.near) if sq.near else None
        row = EmptySearch(
            at=dt.datetime.now(dt.timezone.utc), source=source, category=sq.category, area=area, month=month_of(when),
        )
    except Exception:  # noqa: BLE001 - a lost signal is better than a failed search
        log.exception("could not record an empty search")
        return
    db.session.add(row)  # committed with the request
