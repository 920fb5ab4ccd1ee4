"""Jinja filters shared by every page."""
import datetime as dt

from broker.councils import council_name
from broker.taxonomy import CATEGORIES, category_label
from broker.weblinks import safe_url


def _date(d: dt.date | None) -> str:
    return d.strftime("%-d %b %Y") if d else "—"


def _km(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} km"


def register(app) -> None:
    app.jinja_env.filters["category"] = category_label
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["km"] = _km
    app.jinja_env.filters["council_name"] = council_name
    # Every stored link goes through this when shown: an unsafe one renders as no link.
    app.jinja_env.filters["safe_url"] = safe_url
    app.jinja_env.globals["CATEGORIES"] = CATEGORIES
