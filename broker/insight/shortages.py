"""Shortages: demand against supply by category x area x month, with unmet needs and waits.

What counts, and in which month (a month is a calendar month, ``YYYY-MM``). A young person
(their needs, referrals and placements) is counted in their area as allocation runs place
them (`allocation.home_area`): the council their PA recorded, else their home postcode's.

- *open_needs*: each open assessed need (ClientNeed status open), in the young
  person's area, in the month they can start from: ``max(available_from, today)``, so a
  need still waiting counts in the current month, never in a past one (the same date
  the allocation run uses).
- *declined_capacity*: each referral declined for "no places left" while its intake showed
  no other free place (one declined so while places showed free is flagged on the
  providers page instead), in the month of
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
- *unmet_by_reason*: the latest run's unmet needs counted by why: ``capacity`` (some
  service could take them but its places ran out) or the matcher's ``blocked_by`` rule
  (``age``, ``area``, ``distance``, ...: no service passes it); the counts add up to *unmet*.
- *age_band* (a dimension: 13-15, 16-17, 18-19, or "Not given"): a young person's age on
  the day they can start (needs, unmet), on the start day (placements, declined
  referrals); searches say no age ("Not given"). A free place counts in every band its
  listing's ages reach, so by age band supply is "places open to that band" and the
  bands' supply can add up to more than the total.
- *supply* in a past month (before this one) comes from the listing change history: each
  listing as its last recorded change before that month's 1st left it (active, with its
  intakes' places and places taken then), counting the free places of intakes that could
  be joined that month (starting in it, or rolling and already started). A listing with
  no recorded change before that month counts nothing there; places taken by referrals
  since the last change are not in the history.
- *mean_wait_days*: over placements (referrals accepted or started), days from the need
  being recorded to the start date, in the start's month.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from marshmallow import ValidationError
from sqlalchemy import case, func, literal, or_, select

from broker.clients.models import Client, ClientNeed
from broker.directory.models import Intake, Location, Provision
from broker.api.blueprint import problems
from broker.errors import BadParameter
from broker.extensions import db
from broker.inputs import add_months, format_month, months_between
from broker.councils import area_for_postcode, council_name
from broker.insight import sql
from broker.insight.allocation import AGE_BANDS, NOT_GIVEN, band_on, latest_run, month_of
from broker.insight.memo import once_per_request
from broker.insight.waits import placement_waits
from broker.insight.models import AllocationUnmet, CapacityDecline, EmptySearch
from broker.insight.params import ShortageArgs
from broker.referrals.models import Referral
from broker.taxonomy import CATEGORIES, category_label

COUNTS = ("open_needs", "declined_capacity", "empty_searches", "demand", "supply", "gap", "unmet", "placements")
REASON_ORDER = {r: j for j, r in enumerate(("capacity", "category", "age", "area", "criteria", "distance", "exclude", "start", "wait"))}
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
    age_band: str = NOT_GIVEN
    reason: Optional[str] = None  # unmet: capacity or the rule that blocked it


def _facts(today: dt.date, bands: bool) -> Iterable[Fact]:
    """Every countable fact, as (category, area, month, measure, value); no one is named.

    Open needs (one a young person, so the bulk) and the run's unmet needs are counted by SQL
    GROUP BY; referrals and free places (one a referral or an intake) are read as columns.
    Open needs carry their age band only when `bands` (counting them by it costs the most)."""
    yield from _open_need_facts(today, bands)

    # A capacity decline while its intake showed free places is flagged (insight.responsiveness), not a shortage.
    showed_free = select(CapacityDecline.referral_id).where(CapacityDecline.places_free > 0)
    declined = db.session.execute(
        select(ClientNeed.category, sql.area_code(Client), Client.date_of_birth, Intake.start, Intake.rolling, Referral.sent_at)
        .select_from(Referral)
        .join(ClientNeed, ClientNeed.id == Referral.need_id).join(Client, Client.id == Referral.client_id)
        .join(Intake, Intake.id == Referral.intake_id)
        .where(Referral.status == "declined", Referral.decline_reason == "capacity", Referral.id.not_in(showed_free))
    )
    for category, area, born, start, rolling, sent_at in declined:
        start = max(start, sent_at.date()) if rolling else start  # as Intake.joinable_from
        yield Fact(category, council_name(area), month_of(start), "declined_capacity", age_band=band_on(born, start))
    for p in placement_waits():
        yield Fact(p.category, p.area, month_of(p.start), "placements", age_band=p.age_band)
        yield Fact(p.category, p.area, month_of(p.start), "wait", p.days, age_band=p.age_band)

    n = func.count()
    for category, area, month, count in db.session.execute(
        select(EmptySearch.category, EmptySearch.area, EmptySearch.month, n).where(EmptySearch.category.is_not(None))
        .group_by(EmptySearch.category, EmptySearch.area, EmptySearch.month)
    ):
        yield Fact(category, area or NOT_GIVEN, month, "empty_searches", count)

    for g in unmet_groups(latest_run()):
        yield Fact(g.category, g.area, g.month, "unmet", g.count, age_band=g.age_band or NOT_GIVEN, reason=g.reason)

    yield from _supply_history(today)
    # Free places now: columns only (no listing objects), area from each listing's first site.
    sites = first_sites()
    free = db.session.execute(
        select(Provision.id, Provision.category, Provision.min_age, Provision.max_age, Intake.start, Intake.rolling,
               Intake.places - Intake.places_taken)
        .join(Intake, Intake.provision_id == Provision.id)
        .where(Provision.status == "active", Intake.places > Intake.places_taken,
               or_(Intake.rolling.is_(True), Intake.start >= today))
    )
    for pid, category, min_age, max_age, start, rolling, places_left in free:
        if pid not in sites:
            continue
        joinable = max(start, today) if rolling else start  # as Intake.joinable_from
        # One fact naming every band it is open to: split only when grouping by age band.
        yield Fact(category, sites[pid], month_of(joinable), "supply", places_left,
                   age_band=",".join(bands_open(min_age, max_age)))


def _open_need_facts(today: dt.date, bands: bool) -> Iterable[Fact]:
    """Open needs counted in SQL by category, area and month they can start (and age band then, if `bands`)."""
    start = case((Client.available_from > today, Client.available_from), else_=today)
    band = sql.age_band(Client.date_of_birth, start) if bands else literal(NOT_GIVEN)
    # Computed in a subquery and grouped outside it: PostgreSQL will not match a GROUP BY
    # expression holding a bound parameter (today) to the same expression in the SELECT.
    need = (select(ClientNeed.category, sql.area_code(Client).label("area"), sql.month_number(start).label("month"),
                   band.label("band"))
            .join(Client, Client.id == ClientNeed.client_id).where(ClientNeed.status == "open").subquery())
    cols = (need.c.category, need.c.area, need.c.month, need.c.band)
    for category, area, month, band, count in db.session.execute(select(*cols, func.count()).group_by(*cols)):
        yield Fact(category, council_name(area), sql.month_text(month), "open_needs", count, age_band=band)


@dataclass(frozen=True)
class UnmetGroup:
    category: str
    area: str
    month: str
    age_band: Optional[str]
    reason: str  # capacity, or the rule that blocked it
    count: int


def unmet_groups(run) -> list[UnmetGroup]:
    """A run's unmet needs counted in SQL by category, area, month, age band and why (once per request:
    the shortage figures and the words both show them)."""
    if run is None:
        return []
    def read():
        u = AllocationUnmet
        return [UnmetGroup(category, area, month, band, blocked_by or "capacity", count)
                for category, area, month, band, blocked_by, count in db.session.execute(
                    select(u.category, u.area, u.month, u.age_band, u.blocked_by, func.count()).where(u.run_id == run.id)
                    .group_by(u.category, u.area, u.month, u.age_band, u.blocked_by))]
    return once_per_request(("unmet groups", run.id), read)


def first_sites() -> dict[int, str]:
    """Listing id -> the council of its first site (where figures count a listing, as `listing_area`);
    once per request (free places now and past both need it)."""
    def read():
        first = (select(Location.provision_id, func.min(Location.id).label("id"))
                 .group_by(Location.provision_id).subquery())
        rows = db.session.execute(select(Location.provision_id, Location.postcode).join(first, first.c.id == Location.id)).all()
        council = {postcode: area_for_postcode(postcode) for postcode in {postcode for _pid, postcode in rows}}
        return {pid: council[postcode] for pid, postcode in rows}
    return once_per_request("first sites", read)


HISTORY_MONTHS = 12  # how far back supply history goes


def _supply_history(today: dt.date) -> Iterable[Fact]:
    """Free places in each of the last HISTORY_MONTHS months, from the listing change history."""
    from broker.providers.models import ProvisionChange

    this_month = today.replace(day=1)
    first = add_months(this_month, -HISTORY_MONTHS)
    months = months_between(first, add_months(this_month, -1))
    changes = db.session.execute(
        select(ProvisionChange.provision_id, ProvisionChange.at, ProvisionChange.after)
        .where(ProvisionChange.at < dt.datetime.combine(this_month, dt.time.min, tzinfo=dt.timezone.utc))
        .order_by(ProvisionChange.provision_id, ProvisionChange.at, ProvisionChange.id)
    ).all()
    by_listing: dict[int, list] = defaultdict(list)
    for pid, at, after in changes:
        by_listing[pid].append((at.date(), after))
    sites = first_sites() if by_listing else {}
    for pid, history in by_listing.items():
        if pid not in sites:
            continue
        area = sites[pid]
        for month in months:
            known = [after for day, after in history if day < month]
            if not known:
                continue
            snap = json.loads(known[-1])
            if snap.get("status") != "active":
                continue
            bands = ",".join(bands_open(snap.get("min_age"), snap.get("max_age")))
            end = add_months(month, 1)
            for i in snap.get("intakes", []):
                start = dt.date.fromisoformat(i["start"])
                free = i["places"] - i.get("places_taken", 0)
                joinable = month <= start < end or (i.get("rolling") and start < end)
                if free > 0 and joinable:
                    yield Fact(snap["category"], area, format_month(month), "supply", free, age_band=bands)


def facts(today: dt.date, bands: bool = False) -> list[Fact]:
    """The facts, read once per request (a page groups them several ways) and afresh outside one."""
    return once_per_request(("shortage facts", today, bands), lambda: list(_facts(today, bands)))


def bands_open(min_age, max_age) -> list[str]:
    """The age bands a listing's ages reach; one entry only when a fact is not split by band."""
    lo, hi = min_age if min_age is not None else 0, max_age if max_age is not None else 200
    return [label for b_lo, b_hi, label in AGE_BANDS if b_lo <= hi and lo <= b_hi] or [NOT_GIVEN]


def shortage_rows(q: ShortageQuery, today: dt.date | None = None) -> list[dict]:
    """Rows grouped by `q.by`, each with demand, supply, gap, unmet and mean wait; sorted by the groups."""
    today = today or dt.date.today()
    months = set(q.months)  # facts name their month YYYY-MM; the range was built from dates
    sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    waits: dict[tuple, list[float]] = defaultdict(list)
    reasons: dict[tuple, Counter] = defaultdict(Counter)
    for f in facts(today, bands="age_band" in q.by):
        if f.month not in months:
            continue
        if (q.area and f.area != q.area) or (q.category and f.category != q.category):
            continue
        if f.measure == "supply" and "age_band" in q.by:
            keys = [tuple(band if d == "age_band" else getattr(f, d) for d in q.by) for band in f.age_band.split(",")]
        else:
            keys = [tuple(getattr(f, d) for d in q.by)]
        for key in keys:
            if f.measure == "wait":
                waits[key].append(f.value)
            elif f.measure == "unmet":
                sums[key]["unmet"] += f.value
                reasons[key][f.reason] += int(f.value)
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
        row["unmet_by_reason"] = dict(sorted(reasons[key].items(), key=lambda kv: REASON_ORDER.get(kv[0], 99)))
        row["placements"] = int(s["placements"])
        w = waits.get(key)
        row["mean_wait_days"] = round(statistics.fmean(w), 2) if w else None
        rows.append(row)
    return rows


def totals(rows: list[dict]) -> dict:
    out = {m: sum(r[m] for r in rows) for m in COUNTS}
    by_reason: Counter = Counter()
    for r in rows:
        by_reason.update(r.get("unmet_by_reason", {}))
    out["unmet_by_reason"] = dict(sorted(by_reason.items(), key=lambda kv: REASON_ORDER.get(kv[0], 99)))
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
                          "unmet_by_reason", "placements", "mean_wait_days"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        cells = {**r, "unmet_by_reason": "; ".join(f"{k}: {v}" for k, v in r.get("unmet_by_reason", {}).items())}
        writer.writerow([safe_cell(cells.get(c)) for c in columns])
    return out.getvalue()


# --------------------------------------------------------------------------- unmet needs in words

_WHY = {
    "capacity": "waiting for {cat} in {area}: places ran out",
    "category": "need {cat} and no {cat} is listed",
    "age": "{agewise} for any {cat} in reach of {area}",
    "area": "live in {area}, outside every {cat} service's area",
    "criteria": "in {area} are not among those any {cat} service is for",
    "distance": "in {area} live too far from any {cat}",
    "exclude": "in {area} have ruled out every {cat} service",
    "start": "in {area} can start only after every {cat} intake has begun",
    "wait": "in {area} would wait over a year for any {cat}",
}


def _age_words(band: Optional[str]) -> str:
    if band == AGE_BANDS[0][2]:
        return f"too young ({band})"
    if band == AGE_BANDS[-1][2]:
        return f"too old ({band})"
    return f"the wrong age ({band})" if band else "the wrong age"


def unmet_in_words(run=None, limit: int = 8) -> list[dict]:
    """The run's unmet needs said in words, largest group first: "4 too young (13-15) for any
    housing in reach of Leeds". From `unmet_groups`, summed over months."""
    counts: Counter = Counter()
    for g in unmet_groups(run or latest_run()):
        counts[(g.reason, g.category, g.area, g.age_band)] += g.count
    out = []
    for (reason, category, area, band), count in counts.items():
        text = _WHY.get(reason, "in {area}: {cat} blocked by " + reason).format(
            cat=category_label(category).lower(), area=area, agewise=_age_words(band))
        out.append({"reason": reason, "category": category, "area": area, "age_band": band, "count": count,
                    "text": f"{count} {text}"})
    out.sort(key=lambda r: (-r["count"], REASON_ORDER.get(r["reason"], 99), r["category"], r["area"], r["age_band"] or ""))
    return out[:limit]
