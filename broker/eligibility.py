"""Who a listing is for, in one place: the young person's area, the listing's rules in
words, and which of them a young person breaks on the day they would start.

The matcher applies the same rules to every suggestion and allocation run
(docs/matching-problem-v2.md, rules `age`, `area`, `criteria`); referrals are screened
here so that a PA sending one by hand meets the same rules, in plain words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from broker.councils import code_for_postcode, council_name
from broker.taxonomy import CRITERIA


def client_area(client) -> str | None:
    """The council whose services a young person can use: the one the PA recorded (placed
    elsewhere), else their home postcode's."""
    return client.area or code_for_postcode(client.home_postcode)


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years on `day` (a 29 February birthday falls on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def areas_words(codes) -> str:
    return _and([council_name(c) for c in codes])


def ages_words(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo}-{hi}s" if lo != hi else f"{lo}-year-olds"
    if lo is not None:
        return f"people aged {lo} and over"
    if hi is not None:
        return f"people aged {hi} and under"
    return ""


def describe(p) -> str:
    """A listing's rules in words, from its structure: "for 16-19s living in Leeds and
    Wakefield, care leavers only"; "" when it is open to everyone."""
    ages = ages_words(p.min_age, p.max_age)
    parts = []
    if ages or p.areas is not None:
        who = ages or "young people"
        if p.areas is not None:
            who += f" living in {areas_words(p.areas)}" if p.areas else " (no areas served yet)"
        parts.append(f"for {who}")
    if p.requires:
        needs = _and([CRITERIA.get(c, c) for c in p.requires])
        parts.append(f"{needs} only" if parts else f"for {needs} only")
    return ", ".join(parts)


@dataclass(frozen=True)
class Broken:
    rule: str  # the matcher's rule name: age, area or criteria
    message: str


def broken_rules(p, client, start: dt.date) -> list[Broken]:
    """The listing's rules this young person breaks if they start on `start` (the intake's
    start, or the day they are available if later), in the matcher's order."""
    name = client.first_name
    broken = []
    age = age_on(client.date_of_birth, start)
    lo, hi = p.min_age, p.max_age
    if (lo is not None and age < lo) or (hi is not None and age > hi):
        broken.append(Broken("age", f"Is for {ages_words(lo, hi)}; {name} would be {age} on {start:%-d %B %Y}"))
    area = client_area(client)
    if p.areas is not None and area not in p.areas:
        where = council_name(area) if area else "an area we cannot place"
        served = f"Serves {areas_words(p.areas)} only" if p.areas else "Serves no areas yet"
        broken.append(Broken("area", f"{served}; {name} lives in {where}"))
    missing = [c for c in (p.requires or ()) if c not in (client.criteria or ())]
    if missing:
        broken.append(Broken("criteria", f"Is for {_and([CRITERIA.get(c, c) for c in missing])} only; "
                                         f"{name}'s record does not say so"))
    return broken


def eligibility_text(p) -> str:
    """Who a listing is for, as the listing page, search results, the API and the Open
    Referral feed say it: the rules in words (`describe`), then the provider's own words
    about anything else."""
    rules = describe(p)
    rules = rules[:1].upper() + rules[1:] if rules else ""
    own = (p.eligibility or "").strip()
    if rules and own:
        return f"{rules}. {own}"
    return rules or own
