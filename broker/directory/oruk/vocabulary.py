"""Our taxonomy as Open Referral publishes it, and placing a feed's service in it.

Published taxonomies (ids from `ids.term_id`, never changing):
  * "Young people's provision": each need (broker.taxonomy.CATEGORIES) is a top-level
    term, code ``category:<need>``; each kind within it (KINDS) a child term, code
    ``kind:<need>:<kind>``, whose parent is its need.
  * "Eligibility criteria": what a listing can require (CRITERIA), code ``criterion:<code>``.
A listing carries its need, its kind and each criterion as `attributes`.

Placing an imported service (`place`), in order:
  1. Our own terms (by id or code, as a feed of another instance of this service
     carries them): need, kind and criteria exactly. Confident.
  2. The feed's own taxonomy terms, read for our needs' words (CATEGORY_WORDS): when
     they point to one need (ties broken by the service's name, then description),
     that need. Confident.
  3. Otherwise a guess from the name and description: never confident.
  Then eligibility: a service whose ages leave out 13 to 19 year olds, or whose name,
  eligibility or description says it is for other people (teachers, businesses, older
  people...), is not confident whatever its terms say.
A service placed without confidence comes in as "needs review" with the reason, for
an administrator to categorise (review.py); its guess, if any, is offered first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from broker.directory.oruk.ids import canonical_uuid, term_id
from broker.taxonomy import CATEGORIES, CRITERIA, KINDS

PROVISION_TAXONOMY = {
    "id": term_id("taxonomy:provision"),
    "name": "Young people's provision",
    "description": "Needs of young people aged 13-19 that a Personal Adviser brokers provision for, and the kinds of provision within each.",
    "version": "1",
}
CRITERIA_TAXONOMY = {
    "id": term_id("taxonomy:criteria"),
    "name": "Eligibility criteria",
    "description": "What a listing can require of a young person.",
    "version": "1",
}
TAXONOMIES = (PROVISION_TAXONOMY, CRITERIA_TAXONOMY)


@dataclass(frozen=True)
class Term:
    code: str  # "category:housing", "kind:housing:emergency-bed", "criterion:care_leaver"
    name: str
    description: str
    taxonomy: dict
    parent_code: Optional[str] = None

    @property
    def id(self) -> str:
        return term_id(self.code)

    @property
    def parent_id(self) -> Optional[str]:
        return term_id(self.parent_code) if self.parent_code else None


def _terms() -> list[Term]:
    terms = []
    for category, label in CATEGORIES.items():
        terms.append(Term(f"category:{category}", label, f"Provision for young people's {label.lower()} needs.", PROVISION_TAXONOMY))
        for kind, kind_label in KINDS.get(category, {}).items():
            terms.append(Term(f"kind:{category}:{kind}", kind_label, f"{kind_label} ({label.lower()}).",
                              PROVISION_TAXONOMY, f"category:{category}"))
    for code, label in CRITERIA.items():
        terms.append(Term(f"criterion:{code}", label[:1].upper() + label[1:], f"Only for {label}.", CRITERIA_TAXONOMY))
    return terms


TERMS: list[Term] = _terms()
TERMS_BY_ID: dict[str, Term] = {t.id: t for t in TERMS}
TERMS_BY_CODE: dict[str, Term] = {t.code: t for t in TERMS}


def terms_of(category: Optional[str], kind: Optional[str], requires: Iterable[str]) -> list[Term]:
    """The terms a listing carries, need first."""
    codes = []
    if category:
        codes.append(f"category:{category}")
        if kind:
            codes.append(f"kind:{category}:{kind}")
    codes += [f"criterion:{c}" for c in requires or ()]
    return [TERMS_BY_CODE[c] for c in codes if c in TERMS_BY_CODE]


# Most specific need first: on equal scores the earlier need wins, so a "youth justice
# clinic" is youth offending support, not health.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "youth-offending": (r"offend\w*", r"youth justice", r"youth offending", r"reoffend\w*", r"probation"),
    "anger-management": (r"anger", r"angry", r"aggression", r"violence"),
    "drugs-alcohol": (r"drugs?", r"alcohol\w*", r"substances?", r"drinking", r"addiction\w*"),
    "mental-health": (r"counsell?\w*", r"mental", r"wellbeing", r"anxiety", r"depression", r"therapy", r"cbt"),
    "housing": (r"hous\w*", r"homeless\w*", r"hostels?", r"accommodation", r"tenanc\w*", r"shelters?"),
    "benefits": (r"benefits", r"welfare", r"money", r"debts?", r"universal credit", r"financial"),
    "employment": (r"jobs?", r"\w*employ\w*", r"work experience", r"careers?", r"vacanc\w*"),
    "training": (r"training", r"trainee\w*", r"courses?", r"apprentice\w*", r"skills?"),
    "education": (r"college", r"schools?", r"education\w*", r"gcses?", r"tuition", r"learning"),
    "health": (r"(?<!mental )health", r"clinics?", r"nhs", r"gp", r"sexual health", r"nurse"),
}
assert set(CATEGORY_WORDS) == set(CATEGORIES)
_CATEGORY_RES = {c: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I) for c, words in CATEGORY_WORDS.items()}
_ORDER = list(CATEGORY_WORDS)
# Who a service is for, when it is plainly not young people.
_OTHER_AUDIENCE = re.compile(
    r"\b(teachers?|teaching staff|school staff|practitioners|professionals only|elderly|older (?:people|adults)|"
    r"pensioners?|retired people|over[- ]?(?:50|55|60|65)s?|businesses|retailers|grocery stores|suppliers|distributors|"
    r"non-?profit organi[sz]ations)\b",
    re.I,
)
YOUNG_AGES = (13, 19)


@dataclass(frozen=True)
class Placement:
    """Where a feed's service sits in our taxonomy, and whether we are sure."""

    category: Optional[str]
    kind: Optional[str] = None
    requires: list[str] = field(default_factory=list)
    confident: bool = False
    reason: Optional[str] = None  # why not confident


def _scores(texts: Iterable[str], weight: int = 1, among: Iterable[str] = CATEGORY_WORDS) -> dict[str, int]:
    scores: dict[str, int] = {}
    for category in among:
        n = sum(len(_CATEGORY_RES[category].findall(t or "")) for t in texts)
        if n:
            scores[category] = n * weight
    return scores


def _top(scores: dict[str, int]) -> list[str]:
    if not scores:
        return []
    best = max(scores.values())
    return [c for c in _ORDER if scores.get(c) == best]


def _kind_in(category: str, texts: Iterable[str]) -> Optional[str]:
    words = " ".join(t or "" for t in texts).lower()
    for kind, label in KINDS.get(category, {}).items():
        if re.search(r"\b" + re.escape(label.lower()) + r"\b", words):
            return kind
    return None


def _term_texts(terms: list[dict]) -> list[str]:
    return [str(t.get(k) or "") for t in terms for k in ("name", "term", "code") if isinstance(t.get(k), (str, int))]


def _not_for_young_people(name, description, eligibility, min_age, max_age) -> Optional[str]:
    low, high = YOUNG_AGES
    if (max_age is not None and max_age < low) or (min_age is not None and min_age > high):
        ages = f"{'any' if min_age is None else min_age} to {'any' if max_age is None else max_age}"
        return f"its ages ({ages}) leave out young people aged {low} to {high}"
    for label, text in (("name", name), ("eligibility", eligibility), ("description", description)):
        found = _OTHER_AUDIENCE.search(text or "")
        if found:
            return f"its {label} mentions {found.group(0).lower()!r}: it seems to be for other people than young people"
    return None


def place(terms: list[dict], name: str, description: str, eligibility: str = "",
          min_age: Optional[int] = None, max_age: Optional[int] = None) -> Placement:
    """Place a feed's service in our taxonomy from its taxonomy terms and eligibility (see the module doc)."""
    ours = [t for t in (_our_term(x) for x in terms) if t is not None]
    categories = [t.code.split(":")[1] for t in ours if t.code.startswith("category:")]
    if categories:
        category = categories[0]
        kinds = [t.code.split(":")[2] for t in ours if t.code.startswith(f"kind:{category}:")]
        requires = [t.code.split(":")[1] for t in ours if t.code.startswith("criterion:")]
        return Placement(category, kinds[0] if kinds else None, requires, True)

    texts = _term_texts(terms)
    top = _top(_scores(texts))
    if len(top) > 1:
        top = _top(_scores([name], 3, top) or _scores([description], 1, top)) or top
    unfit = _not_for_young_people(name, description, eligibility, min_age, max_age)
    if len(top) == 1:
        category = top[0]
        kind = _kind_in(category, texts + [name])
        if unfit:
            return Placement(category, kind, [], False, f"its taxonomy terms say {CATEGORIES[category].lower()}, but {unfit}")
        return Placement(category, kind, [], True)

    scores = _scores([name], 3)
    for c, n in _scores([description]).items():
        scores[c] = scores.get(c, 0) + n
    guess = _top(scores)
    category = guess[0] if guess else None
    said = "its taxonomy terms match none of our needs" if terms else "it has no taxonomy terms"
    if category:
        reason = f"{said}; its name and description suggest {CATEGORIES[category].lower()}"
    else:
        reason = f"{said}, and nothing in its name or description does either"
    if unfit:
        reason += f"; {unfit}"
    return Placement(category, _kind_in(category, [name]) if category else None, [], False, reason)


def _our_term(term: dict) -> Optional[Term]:
    if not isinstance(term, dict):
        return None
    found = TERMS_BY_ID.get(canonical_uuid(term.get("id")) or "")
    if found is None and isinstance(term.get("code"), str):
        found = TERMS_BY_CODE.get(term["code"].strip())
    return found
