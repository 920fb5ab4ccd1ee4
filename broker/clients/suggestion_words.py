"""The suggestions page in a PA's words: what each option is, why it ranks where it does,
whether consent covers it, and every ruled-out start date grouped by why.

The matcher (`matching.suggest`) gives figures and rule names; this module only turns
them into sentences, so the page never shows a raw score formula.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from broker.clients.models import Client
from broker.clients.services import consent_in_force
from broker.clients.suggestions import NeedView, OptionView
from broker.councils import council_name
from broker.extensions import db
from broker.referrals.models import Referral
from broker.taxonomy import CRITERIA

# Referrals still open on a need: a new one for the same need would compete with them.
PENDING = ("sent", "more_info", "accepted")

# Headings for ruled-out start dates, in the order the matcher checks its rules (age split
# by which side of the limit they fall, as a PA would say it).
GROUP_HEADINGS = {
    "category": "Not this kind of support",
    "age_young": "Too young on the start day",
    "age_old": "Too old on the start day",
    "area": "Outside the area they serve",
    "criteria": "Only for other groups of young people",
    "distance": "Further than they can travel",
    "exclude": "Ruled out for this young person",
    "start": "Started before they are available",
    "wait": "Starts more than a year away",
    "no_places": "No places left",
    "not_worth_placing": "Too far or too long a wait to be worth it",
}
URGENCY_WORDS = {1: "standard", 2: "high", 3: "very high"}


def _n(x: float) -> str:
    """2986.9 -> "2,986.9"; 50.0 -> "50"."""
    return f"{x:,.1f}".removesuffix(".0")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _areas(codes) -> str:
    names = [council_name(c) for c in sorted(codes or ())]
    return " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def who_for(provision) -> str:
    """"for 16-19s living in Leeds", "for care leavers aged 16 and over"; "" when open to all."""
    lo, hi = provision.min_age, provision.max_age
    groups = " and ".join(CRITERIA.get(r, r) for r in sorted(provision.requires or ()))
    if lo is not None and hi is not None:
        ages = f"aged {lo}-{hi}" if groups else f"{lo}-{hi}s"
    elif lo is not None or hi is not None:
        ages = f"aged {lo} and over" if lo is not None else f"aged up to {hi}"
    else:
        ages = ""
    if groups:
        who = f"{groups} {ages}".strip()
    elif ages.startswith("aged"):
        who = f"young people {ages}"
    else:
        who = ages
    if provision.areas:
        who = f"{who or 'young people'} living in {_areas(provision.areas)}"
    return f"for {who}" if who else ""


def starts_words(option, today: dt.date) -> str:
    if option.rolling:
        return "Join any day"
    days = (option.start - today).days
    return "Starts today" if days <= 0 else f"Starts in {_days(days)}"


def summary_line(o: OptionView, today: dt.date) -> str:
    """"Starts in 8 days · 2.6 km · 6 places left · for 16-19s living in Leeds"."""
    m = o.option
    parts = [starts_words(m, today), f"{m.km:.1f} km", f"{m.places_left} {'place' if m.places_left == 1 else 'places'} left"]
    if who := who_for(o.provision):
        parts.append(who)
    return " · ".join(parts)


def why_lines(o: OptionView, client: Client) -> list[str]:
    """The value's arithmetic, one sentence a term, ending with the value it adds up to."""
    m = o.option
    urgency = f"Urgency {client.urgency} ({URGENCY_WORDS.get(client.urgency, client.urgency)}) counts {_n(m.urgency_part)}"
    if o.stale:
        urgency += " (a little less because the provider has not confirmed the listing recently)"
    lines = [urgency]
    if m.waited_part:
        lines.append(f"Time already waited for this support adds {_n(m.waited_part)}")
    if m.preference_part:
        lines.append(f"Being one of the young person's own choices adds {_n(m.preference_part)}")
    lines.append(f"Waiting {_days(m.wait_days)} for the start costs {_n(m.wait_cost)}")
    lines.append(f"Travelling {m.km:.1f} km costs {_n(m.km_cost)}")
    lines.append(f"Value {_n(m.value)}: the higher the value, the higher the option is listed")
    return lines


def group_key(excluded, provision, client: Client) -> str:
    if excluded.rule != "age":
        return excluded.rule
    # The matcher says which limit in its reason; the listing's limits say it the same way.
    return "age_young" if "below minimum" in excluded.reason else "age_old"


def ruled_out_words(excluded, provision, client: Client) -> str:
    """Why one start date is ruled out, said about this young person."""
    name, rule = client.first_name, excluded.rule
    if rule == "age":
        limit = f"from age {provision.min_age}" if "below minimum" in excluded.reason else f"up to age {provision.max_age}"
        return f"For young people {limit}; {name} would be too {'young' if 'below' in excluded.reason else 'old'}"
    if rule == "area":
        lives = f"{name} lives in {council_name(client.area)}" if client.area else f"no home area recorded for {name}"
        return f"Serves {_areas(provision.areas) or 'no area'} only; {lives}"
    if rule == "criteria":
        missing = sorted(set(provision.requires or ()) - set(client.criteria or ()))
        return f"Only for {' and '.join(CRITERIA.get(r, r) for r in missing)}"
    if rule == "distance":
        return f"{excluded.km:.1f} km away; {name} travels up to {client.max_travel_km:g} km"
    if rule == "exclude":
        return f"{name} does not want this listing"
    if rule == "start":
        return f"Started before {name} is available ({client.available_from.strftime('%-d %b %Y')})"
    if rule == "wait":
        return "Starts more than a year after they are available"
    if rule == "no_places":
        return "Every place is taken or held by a referral"
    if rule == "not_worth_placing":
        return "The wait and the travel outweigh the benefit"
    if rule == "category":
        return "Offers a different kind of support"
    return excluded.reason


@dataclass
class RuledOut:
    provision: object
    intake_id: str
    words: str
    km: float


@dataclass
class RuledOutGroup:
    key: str
    heading: str
    rows: list[RuledOut] = field(default_factory=list)


@dataclass
class OptionWords:
    view: OptionView
    summary: str
    why: list[str]
    has_consent: bool


@dataclass
class NeedWords:
    view: NeedView
    options: list[OptionWords]
    groups: list[RuledOutGroup]
    pending: list[Referral]

    @property
    def ruled_out_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)


def pending_referrals(client: Client) -> dict[int, list[Referral]]:
    """Open referrals of this young person, by need."""
    out: dict[int, list[Referral]] = {}
    for r in db.session.scalars(
        select(Referral).where(Referral.client_id == client.id, Referral.status.in_(PENDING)).order_by(Referral.id)
    ):
        out.setdefault(r.need_id, []).append(r)
    return out


def in_words(client: Client, views: list[NeedView], today: dt.date) -> list[NeedWords]:
    """Each need's options and ruled-out start dates, as the page says them."""
    pending = pending_referrals(client)
    consent: dict[int, bool] = {}
    out = []
    for view in views:
        options = []
        for o in view.options:
            org = o.provision.organisation_id
            if org not in consent:
                consent[org] = consent_in_force(client.id, org, "referral")
            options.append(OptionWords(o, summary_line(o, today), why_lines(o, client), consent[org]))
        groups: dict[str, RuledOutGroup] = {}
        for provision, excluded in view.ruled_out:
            key = group_key(excluded, provision, client)
            group = groups.setdefault(key, RuledOutGroup(key, GROUP_HEADINGS.get(key, key)))
            group.rows.append(RuledOut(provision, excluded.intake, ruled_out_words(excluded, provision, client), excluded.km))
        order = list(GROUP_HEADINGS)
        ordered = sorted(groups.values(), key=lambda g: order.index(g.key) if g.key in order else len(order))
        out.append(NeedWords(view, options, ordered, pending.get(view.need.id, [])))
    return out
