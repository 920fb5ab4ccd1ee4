"""Shortages: demand against supply by category x area x month, with unmet needs and waits.

What counts, and in which month (a month is a calendar month, ``YYYY-MM``):

- *open_needs*: each open assessed need (ClientNeed status open), in the young
  person's area, in the month they can start from: ``max(available_from, today)``, so a
  need still waiting counts in the current month, never in a past one (the same date
  the allocation run uses).
- *declined_capacity*: each referral declined for "no places left", in the month of
  the start date it asked for (a rolling intake: the day it was sent, or its start if later).
- *empty_searches*: each directory search (page or API) that named a need category
  and found nothing, in the area searched near ("Not given" without one), in the
  month of its "starting from" date, or of the search itself.
- *demand* = open_needs + declined_capacity + empty_searches. These are signals, not
  distinct people: a young person whose referral was declined for capacity and whose
  need is still open counts twice, as both facts say something about the shortage.
- *unmet*: the needs the latest allocation run could not meet, in their month (the run
  ran over open needs, so these are a subset of open_needs and are not added to demand).
- *supply*: free places (places - places_taken) on active listings' intakes that can
  still be joined, in the month of their start (a rolling intake already running
  counts in the current month); area from the listing's first site.
- *mean_wait_days*: over placements (referrals accepted or started), days from the need
  being recorded to the start date, in the start's month.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broker.clients.models import Client, ClientNeed
from broker.directory.models import Provision
from broker.api.blueprint import problems
from broker.errors import BadParameter
from broker.extensions import db
from broker.inputs import add_months, format_month, months_between
from broker.insight.allocation import listing_area, latest_run, month_of
from broker.councils import area_for_postcode
from broker.insight.models import AllocationUnmet, EmptySearch
from broker.insight.params import ShortageArgs
from broker.referrals.models import Referral
from broker.taxonomy import CATEGORIES

COUNTS = ("open_needs", "declined_capacity", "empty_searches", "demand", "supply", "gap", "unmet", "placements")
NOT_GIVEN = "Not given"
DEFAULT_MONTHS = 6
MAX_MONTHS = 36


@dataclass
class ShortageQuery:
    by: tuple[str, ...] = ("category", "area", "month")
    start: dt.date = dt.date(2000, 1, 1)  # the 1st of the first month, inclusive
    end: dt.date = dt.date(2000, 1, 1)  # the 1st of the last month, inclusive
    area: Optional[str] = None
    category: Optional[str] = None

    @property
    def months(self) -> list[str]:
        """Every month of the range, as YYYY-MM (how facts name their month)."""
        return [format_month(m) for m in months_between(self.start, self.end)]

    @property
    def from_month(self) -> str:
        return format_month(self.start)

    @property
    def to_month(self) -> str:
        return format_month(self.end)


def parse_query(args: Mapping[str, str], today: dt.date | None = None, default_by: str = "category,area,month") -> ShortageQuery:
    """Validate `by`, `from`, `to`, `area` and `category` (ShortageArgs); BadParameter names the field."""
    try:
        data = ShortageArgs().load(args.to_dict() if hasattr(args, "to_dict") else dict(args))
        data["from"] = data.pop("from_", None)
    except ValidationError as exc:
        field, message = next(problems(exc.messages))
        raise BadParameter(field or None, message) from None
    today = today or dt.date.today()
    raw_by = args.get("by")  # given but empty means the totals only
    by = tuple(b.strip() for b in (default_by if raw_by is None else raw_by).split(",") if b.strip())
    start = data.get("from") or today.replace(day=1)
    end = data.get("to") or add_months(start, DEFAULT_MONTHS - 1)
    if end < start:
        raise BadParameter("to", "must be on or after from")
    if end >= add_months(start, MAX_MONTHS):
        raise BadParameter("to", f"the range may cover at most {MAX_MONTHS} months")
    return ShortageQuery(by=by, start=start, end=end, area=data.get("area"), category=data.get("category"))


@dataclass(frozen=True)
class Fact:
    category: str
    area: str
    month: str
    measure: str  # one of COUNTS' base measures, or "wait"
    value: float = 1


def _facts(today: dt.date) -> Iterable[Fact]:
    """Every countable fact, as (category, area, month, measure, value); no one is named."""
    rows = db.session.execute(
        select(ClientNeed.category, Client.home_postcode, Client.available_from)
        .join(Client, Client.id == ClientNeed.client_id)
        .where(ClientNeed.status == "open")
    )
    for category, postcode, available_from in rows:
        yield Fact(category, area_for_postcode(postcode), month_of(max(available_from, today)), "open_needs")

    referrals = db.session.scalars(
        select(Referral)
        .where(Referral.status.in_(("declined", "accepted", "started")))
        .options(selectinload(Referral.intake), selectinload(Referral.need), selectinload(Referral.client))
    )
    for r in referrals:
        start = r.intake.joinable_from(r.sent_at.date())
        area = area_for_postcode(r.client.home_postcode)
        if r.status == "declined":
            if r.decline_reason == "capacity":
                yield Fact(r.need.category, area, month_of(start), "declined_capacity")
        else:
            yield Fact(r.need.category, area, month_of(start), "placements")
            yield Fact(r.need.category, area, month_of(start), "wait", max((start - r.need.recorded_on).days, 0))

    for category, area, month in db.session.execute(
        select(EmptySearch.category, EmptySearch.area, EmptySearch.month).where(EmptySearch.category.is_not(None))
    ):
        yield Fact(category, area or NOT_GIVEN, month, "empty_searches")

    run = latest_run()
    if run is not None:
        for category, area, month in db.session.execute(
            select(AllocationUnmet.category, AllocationUnmet.area, AllocationUnmet.month).where(AllocationUnmet.run_id == run.id)
        ):
            yield Fact(category, area, month, "unmet")

    provisions = db.session.scalars(
        select(Provision).where(Provision.status == "active")
        .options(selectinload(Provision.intakes), selectinload(Provision.locations))
    )
    for p in provisions:
        if not p.locations:
            continue
        area = listing_area(p)
        for i in p.upcoming_intakes(today):
            if i.places_left > 0:
                yield Fact(p.category, area, month_of(i.joinable_from(today)), "supply", i.places_left)


def shortage_rows(q: ShortageQuery, today: dt.date | None = None) -> list[dict]:
    """Rows grouped by `q.by`, each with demand, supply, gap, unmet and mean wait; sorted by the groups."""
    today = today or dt.date.today()
    months = set(q.months)  # facts name their month YYYY-MM; the range was built from dates
    sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    waits: dict[tuple, list[float]] = defaultdict(list)
    for f in _facts(today):
        if f.month not in months:
            continue
        if (q.area and f.area != q.area) or (q.category and f.category != q.category):
            continue
        key = tuple(getattr(f, d) for d in q.by)
        if f.measure == "wait":
            waits[key].append(f.value)
        else:
            sums[key][f.measure] += f.value
    order = {c: j for j, c in enumerate(CATEGORIES)}
    rows = []
    for key in sorted(set(sums) | set(waits), key=lambda k: tuple((order.get(v, 99), v) for v in k)):
        s = sums[key]
        row = dict(zip(q.by, key))
        for m in ("open_needs", "declined_capacity", "empty_searches"):
            row[m] = int(s[m])
        row["demand"] = row["open_needs"] + row["declined_capacity"] + row["empty_searches"]
        row["supply"] = int(s["supply"])
        row["gap"] = row["demand"] - row["supply"]
        row["unmet"] = int(s["unmet"])
        row["placements"] = int(s["placements"])
        w = waits.get(key)
        row["mean_wait_days"] = round(statistics.fmean(w), 2) if w else None
        rows.append(row)
    return rows


def totals(rows: list[dict]) -> dict:
    out = {m: sum(r[m] for r in rows) for m in COUNTS}
    placed = sum(r["placements"] for r in rows if r["mean_wait_days"] is not None)
    waited = sum(r["mean_wait_days"] * r["placements"] for r in rows if r["mean_wait_days"] is not None)
    out["mean_wait_days"] = round(waited / placed, 2) if placed else None
    return out


def grid(rows: list[dict], months: list[str], measure: str = "gap") -> dict[str, dict[str, int]]:
    """category -> month -> measure, for every category and month (zero where nothing happened)."""
    cells = {c: {m: 0 for m in months} for c in CATEGORIES}
    for r in rows:
        if r["category"] in cells and r["month"] in cells[r["category"]]:
            cells[r["category"]][r["month"]] += r[measure]
    return cells


def headline(today: dt.date | None = None, top: int = 3) -> dict:
    """The manager's home page: the next DEFAULT_MONTHS months' totals and the needs and
    areas with most demand over free places (largest gap first)."""
    today = today or dt.date.today()
    q = parse_query({}, today)
    by_need_area = shortage_rows(ShortageQuery(("category", "area"), q.start, q.end), today)
    worst = sorted((r for r in by_need_area if r["gap"] > 0), key=lambda r: (-r["gap"], -r["demand"]))[:top]
    return {"start": q.start, "end": q.end, "totals": totals(by_need_area), "worst": worst,
            "short": sum(1 for r in by_need_area if r["gap"] > 0)}


# --------------------------------------------------------------------------- CSV

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting = + - @ (or tab/CR) gets a leading quote.

    Numbers are ours (counts, gaps, means) and stay numbers, so a gap of -3 is not quoted.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: list[dict], by: tuple[str, ...]) -> str:
    columns = list(by) + ["open_needs", "declined_capacity", "empty_searches", "demand", "supply", "gap", "unmet",
                          "placements", "mean_wait_days"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([safe_cell(r.get(c)) for c in columns])
    return out.getvalue()
