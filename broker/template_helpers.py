"""Jinja filters shared by every page."""
import datetime as dt

from broker.taxonomy import CATEGORIES, category_label


def _date(d: dt.date | None) -> str:
    return d.strftime("%-d %b %Y") if d else "—"


def _km(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} km"


def register(app) -> None:
    app.jinja_env.filters["category"] = category_label
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["km"] = _km
    app.jinja_env.globals["CATEGORIES"] = CATEGORIES
