"""Evaluating a search over one generation of the index: filters, distance, BM25F text
scores per unit of what was asked, the relaxation ladder and one page of results.

Works on numpy arrays of each segment (broker.directory.segments); the words have been
read already (broker.directory.understanding). Ranking, highest first: listings that
answer everything asked (when relaxed), then those answering more of it, then those in
the category and kind asked for, then text relevance, fading with distance near a place.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from broker.directory import segments
from broker.directory.segments import CATEGORY_CODES, CATEGORY_LIST, FIELDS, KIND_CODES, KIND_LIST, SegmentArrays
from broker.directory.understanding import Understanding, Unit
from broker.taxonomy import category_label
from matching.geometry import km_between, unit_vectors  # the matcher's distances, so both agree

TEXT_HALF = 5.0  # the BM25F score at which a unit's text counts half (a good body match)
FILLER_WEIGHT = 0.2  # words like "young person" only nudge the order
FINDS_WEIGHT = 0.5  # a thesaurus word listings use for what was typed, against the typed word itself
PREFERRED_CATEGORY = 0.3  # a synonym's category, when the listing uses the words
AGE_FIT = 0.3  # an age named in the words ("17 year old") that the listing takes
FEW = 5  # fewer strict matches than this are followed by listings that match part of the search
DISTANCE_SCALE_KM = 10.0  # at this distance a match counts half as much as on the doorstep
WIDER_RADII_KM = (2, 5, 10, 15, 25, 50, 100)
GROUP_SIZE = 3  # nearest listings shown per category when browsing near a place
NEVER = np.iinfo(np.int64).max
_NO_DOCS = np.empty(0, np.int32)


@dataclass
class SearchQuery:
    """A validated search; see broker.directory.params for parsing user input."""

    text: str = ""
    category: Optional[str] = None
    kind: Optional[str] = None
    area: Optional[str] = None  # ONS code: listings serving it (or serving anywhere)
    near: Optional[tuple[float, float]] = None
    radius_km: Optional[float] = None
    starts_after: Optional[dt.date] = None
    starts_before: Optional[dt.date] = None
    has_places: bool = False
    age: Optional[int] = None
    # The criteria the young person meets (broker.taxonomy.CRITERIA); None: not asked. With it,
    # listings requiring another criterion are left out (`excluded`, found in the database).
    criteria: Optional[tuple[str, ...]] = None
    excluded: frozenset = frozenset()
    sort: str = "relevance"  # relevance | distance | start
    exact: bool = False  # the words as typed: no spelling correction, thesaurus or place
    page: int = 1
    per_page: int = 20
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Hit:
    provision_id: int
    score: float
    distance_km: Optional[float]  # to the nearest site
    next_start: Optional[dt.date]
    category: Optional[str] = None
    kind: Optional[str] = None


@dataclass
class CategoryGroup:
    """Browsing near a place: the nearest listings of one category."""

    category: str
    total: int
    hits: list[Hit]


@dataclass
class SearchPage:
    total: int
    hits: list[Hit]
    notices: list[dict] = field(default_factory=list)  # what was corrected, expanded or relaxed, in words
    corrected_text: Optional[str] = None  # the words searched for, when spelling was corrected
    relaxed: list[str] = field(default_factory=list)  # "broader", "any_word", "distance"
    radius_km: Optional[float] = None  # the radius results are within, after any widening
    near: Optional[tuple[float, float]] = None  # where distances are measured from
    near_label: Optional[str] = None  # set when the place came from the search words
    groups: list[CategoryGroup] = field(default_factory=list)
    category_counts: dict[str, int] = field(default_factory=dict)
    kind_counts: dict[str, int] = field(default_factory=dict)
    # Whether listings answer the search as asked (every word, within the distance asked);
    # a search that needed relaxing is demand the directory did not meet (insight).
    found_as_asked: bool = True


def next_joinable(intakes, sq: SearchQuery) -> Optional[dt.date]:
    """Soonest day a young person could join, among the intakes the filters allow.

    `intakes` holds (start, rolling, places_left) tuples. A dated intake counts when it
    has not started; a rolling one can be joined any day from its start. This is the
    rule the vectorised search applies too (tests check they agree).
    """
    best = None
    for start, rolling, left in intakes:
        if rolling:
            start = max(start, sq.today, sq.starts_after or sq.today)
        elif start < sq.today:
            continue
        if sq.has_places and left <= 0:
            continue
        if sq.starts_after and start < sq.starts_after:
            continue
        if sq.starts_before and start > sq.starts_before:
            continue
        if best is None or start < best:
            best = start
    return best


def evaluate(parts, sq: SearchQuery, und: Understanding, near, notices: list[dict],
             near_label: Optional[str]) -> SearchPage:
    """One page of results for `sq` over `parts` ([(segment arrays, live mask or None)])."""
    return _Evaluation(parts, sq, und, near).page(notices, near_label)


@dataclass
class _Part:
    """One segment's candidates: documents passing the filters, and what they match."""

    arrays: SegmentArrays
    idx: np.ndarray  # candidate document numbers
    distance: np.ndarray  # km to `near` (inf without a point, or when no place was given)
    next_start: Optional[np.ndarray]  # soonest joinable day (ordinal), when the filters need it
    ok: list[np.ndarray]  # per required unit: the candidate answers it (strictly)
    broad_ok: list[np.ndarray]  # ... or by the unit's category, for synonyms
    tier: np.ndarray  # units answered by category and kind
    relevance: np.ndarray  # text relevance (before distance)


class _Evaluation:
    def __init__(self, parts, sq: SearchQuery, und: Understanding, near):
        self.sq, self.und, self.near = sq, und, near
        self.units = und.units
        self.required = und.required
        self._postings: dict = {}
        self._stats(parts)
        self.parts = [self._part(a, live) for a, live in parts]

    # BM25F statistics over the whole index
    def _stats(self, parts) -> None:
        self.n_docs = max(sum(a.n for a, _ in parts), 1)
        self.idf = {}
        for t in {t for u in self.units for t in u.literal + u.finds}:
            df = 0
            for a, _ in parts:
                fields = _by_field(a.postings(t))
                (name, _), (body, _) = fields
                self._postings[(a.segment_id, t)] = fields
                df += len(name) + len(body) - _overlap(name, body)
            self.idf[t] = math.log(self.n_docs / (df + 1)) + 1

    def _filters(self, a: SegmentArrays, live) -> np.ndarray:
        sq = self.sq
        keep = np.ones(a.n, dtype=bool) if live is None else live.copy()
        if sq.category:
            keep &= a.cat == CATEGORY_CODES[sq.category]
        if sq.kind:
            keep &= a.kind == KIND_CODES[sq.kind]
        if sq.age is not None:
            keep &= ((a.min_age < 0) | (a.min_age <= sq.age)) & ((a.max_age < 0) | (a.max_age >= sq.age))
        if sq.area:
            mask = a.area_masks.get(sq.area)
            keep &= a.anywhere | mask if mask is not None else a.anywhere
        if sq.excluded:
            keep &= ~np.isin(a.pid, np.fromiter(sq.excluded, dtype=np.int64))
        return keep

    def _next_start(self, a: SegmentArrays, idx: np.ndarray) -> np.ndarray:
        """Soonest joinable day of each candidate among the intakes the filters allow."""
        sq = self.sq
        today = sq.today.toordinal()
        after = sq.starts_after.toordinal() if sq.starts_after else None
        before = sq.starts_before.toordinal() if sq.starts_before else None
        lo = a.intake_ptr[idx]
        counts = a.intake_ptr[idx + 1] - lo
        soonest = np.full(len(idx), NEVER, dtype=np.int64)
        total = int(counts.sum())
        if not total:
            return soonest
        offsets = np.cumsum(counts) - counts
        rows = np.repeat(lo - offsets, counts) + np.arange(total)  # the candidates' intakes, in order
        start = a.intake_start[rows].astype(np.int64)
        rolling = a.intake_rolling[rows]
        joinable = np.where(rolling, np.maximum(start, max(today, after or today)), start)
        ok = rolling | (start >= today)
        if sq.has_places:
            ok &= a.intake_left[rows] > 0
        if after is not None:
            ok &= joinable >= after
        if before is not None:
            ok &= joinable <= before
        has = counts > 0
        soonest[has] = np.minimum.reduceat(np.where(ok, joinable, NEVER), offsets[has])
        return soonest

    def _unit_text(self, a: SegmentArrays, unit: Unit):
        """(BM25F score of the typed words, of the thesaurus' other words, the documents
        using every typed word), per document."""
        typed_score = np.zeros(a.n, dtype=np.float32)
        other_score = np.zeros(a.n, dtype=np.float32)
        for t in dict.fromkeys(unit.literal + unit.finds):
            idf = self.idf[t]
            score = typed_score if t in unit.literal else other_score
            for docs, weights in self._postings[(a.segment_id, t)]:
                if len(docs):
                    score[docs] += idf * weights
        if not unit.literal:
            return typed_score, other_score, _NO_DOCS
        # Documents with every typed word: start from the rarest word's, look the others up.
        fields = sorted((self._postings[(a.segment_id, t)] for t in unit.literal),
                        key=lambda f: len(f[0][0]) + len(f[1][0]))
        (name, _), (body, _) = fields[0]
        typed = segments.sorted_union(name, body)
        for (name, _), (body, _) in fields[1:]:
            if not len(typed):
                break
            typed = typed[_contains(name, typed) | _contains(body, typed)]
        return typed_score, other_score, typed

    def _part(self, a: SegmentArrays, live) -> _Part:
        sq = self.sq
        keep = self._filters(a, live)
        texts = [(unit, *self._unit_text(a, unit)) for unit in self.units]
        if self.required:
            # Only documents answering some unit, by their words or their category, can be shown.
            reach = np.zeros(a.n, dtype=bool)
            for unit, typed_score, other_score, _typed in texts:
                if unit.required:
                    reach |= (typed_score > 0) | (other_score > 0)
                    if unit.category:
                        reach |= a.cat == CATEGORY_CODES[unit.category]
            keep &= reach
        idx = np.flatnonzero(keep)
        next_start = None
        if sq.has_places or sq.starts_after or sq.starts_before or sq.sort == "start":
            next_start = self._next_start(a, idx)
            if sq.has_places or sq.starts_after or sq.starts_before:
                joinable = next_start != NEVER
                idx, next_start = idx[joinable], next_start[joinable]
        if self.near is not None and len(idx):
            distance = km_between(unit_vectors([self.near[0]], [self.near[1]]), a.points[idx])[0]
            distance = np.where(a.has_point[idx], distance, np.inf)
        else:
            distance = np.full(len(idx), np.inf)

        ok, broad_ok = [], []
        tier = np.zeros(len(idx), dtype=np.float32)
        relevance = np.zeros(len(idx), dtype=np.float32)
        cat, kind = a.cat[idx], a.kind[idx]
        for unit, typed_score, other_score, typed_docs in texts:
            typed_score, other_score = typed_score[idx], other_score[idx]
            found = (typed_score > 0) | (other_score > 0)
            typed = np.zeros(a.n, dtype=bool)
            typed[typed_docs] = True
            typed = typed[idx]
            # The PA's own words count fully; the thesaurus' words for them count half.
            text = typed_score / (typed_score + TEXT_HALF) + FINDS_WEIGHT * other_score / (other_score + TEXT_HALF)
            in_category = cat == CATEGORY_CODES[unit.category] if unit.category else np.zeros(len(idx), bool)
            in_kind = kind == KIND_CODES[unit.kind] if unit.kind else np.zeros(len(idx), bool)
            if unit.role == "filler":
                relevance += FILLER_WEIGHT * text
                continue
            if unit.role == "need":
                answered = in_category | typed
                tier += in_category.astype(np.float32) + in_kind.astype(np.float32)
                relevance += text
                ok.append(answered)
                broad_ok.append(answered)
            else:  # a synonym or a plain word: the listing must use the words
                relevance += text + PREFERRED_CATEGORY * (in_category & found)
                ok.append(found)
                broad_ok.append(found | in_category)
        if self.und.age is not None:
            age = self.und.age
            fits = ((a.min_age < 0) | (a.min_age <= age)) & ((a.max_age < 0) | (a.max_age >= age))
            relevance += AGE_FIT * fits[idx]
        return _Part(a, idx, distance, next_start, ok, broad_ok, tier, relevance)

    # relaxation ladder
    def _stages(self) -> list[str]:
        stages = ["strict"]
        if any(u.role == "synonym" and u.category for u in self.required):
            stages.append("broader")
        if len(self.required) > 1:
            stages.append("any_word")
        return stages

    def _answered(self, part: _Part, stage: str) -> np.ndarray:
        if not self.required:
            return np.ones(len(part.idx), dtype=bool)
        units = part.broad_ok if stage != "strict" else part.ok
        stacked = np.vstack(units)
        return stacked.any(axis=0) if stage == "any_word" else stacked.all(axis=0)

    def _count_within(self, stage: str, radius: Optional[float]) -> int:
        """How many provisions answer at this stage (exact when few; at least that many otherwise)."""
        pids = []
        for part in self.parts:
            mask = self._answered(part, stage)
            if radius is not None:
                mask = mask & (part.distance <= radius)
            pids.append(part.arrays.pid[part.idx[mask]])
        docs = sum(len(p) for p in pids)
        # A provision has a document per site, so many documents are surely enough provisions.
        return docs if docs > 10 * FEW else len(segments.sorted_unique(np.concatenate(pids))) if pids else 0

    def page(self, notices: list[dict], near_label: Optional[str]) -> SearchPage:
        sq = self.sq
        relaxed: list[str] = []
        radius = sq.radius_km if self.near is not None else None
        stages = self._stages()
        strict = self._count_within("strict", radius)
        chosen = "strict"
        if 0 < strict < FEW:
            # Few listings answer everything: follow them with those answering part of it.
            chosen = next((s for s in stages[1:] if self._count_within(s, radius) > strict), "strict")
            if chosen != "strict":
                relaxed.append(chosen)
                notices.append(self._relaxed_notice(chosen, radius, strict))
        elif strict == 0:
            found = next((s for s in stages[1:] if self._count_within(s, radius)), None)
            if found is None and radius is not None:
                # Widen the distance, step by step, for the strictest reading that finds something.
                for wider in [r for r in WIDER_RADII_KM if r > radius] + [None]:
                    found = next((s for s in stages if self._count_within(s, wider)), None)
                    if found is not None:
                        relaxed.append("distance")
                        notices.append({
                            "type": "relaxed", "relaxed": "distance", "from_km": radius, "to_km": wider,
                            "message": f"Nothing within {radius:g} km, so showing listings "
                                       + (f"within {wider:g} km" if wider is not None else "at any distance"),
                        })
                        radius = wider
                        break
            if found not in (None, "strict"):
                relaxed.insert(0, found)
                notices.append(self._relaxed_notice(found, radius, 0))
            chosen = found or "strict"

        pid, score, distance, start, cat, kind = self._collect(chosen, radius)
        result = SearchPage(total=len(pid), hits=[], notices=notices, corrected_text=self.und.corrected_text,
                            relaxed=relaxed, radius_km=radius, near=self.near, near_label=near_label,
                            found_as_asked=strict > 0)
        if len(pid):
            result.category_counts = _counts(cat, CATEGORY_LIST)
            result.kind_counts = _counts(kind, KIND_LIST)
            order = self._order(pid, score, distance, start)
            lo = (sq.page - 1) * sq.per_page
            result.hits = [_hit(i, pid, score, distance, start, cat, kind) for i in order[lo:lo + sq.per_page]]
            if not self.required and self.near is not None and not sq.category and not sq.kind:
                result.groups = _groups(pid, score, distance, start, cat, kind)
        return result

    def _relaxed_notice(self, stage: str, radius, strict: int) -> dict:
        within = f" within {radius:g} km" if radius is not None else ""
        if strict:
            few = f"Only {strict} listing{'s' if strict > 1 else ''}{within} {'match' if strict > 1 else 'matches'} everything you searched for"
            follow = "listings in the same category follow" if stage == "broader" else "listings matching part of it follow"
            return {"type": "relaxed", "relaxed": stage, "strict_total": strict, "message": f"{few}; {follow}"}
        if stage == "broader":
            words = [u for u in self.required if u.role == "synonym" and u.category]
            names = ", ".join(f"\u2018{u.text}\u2019" for u in words)
            cats = ", ".join(dict.fromkeys(category_label(u.category) for u in words))
            return {"type": "relaxed", "relaxed": "broader",
                    "message": f"No listing{within} uses {names}, so showing {cats} listings"}
        unmatched = [u.text for i, u in enumerate(self.required)
                     if not any(p.broad_ok[i].any() for p in self.parts)]
        message = f"No listing{within} matches every word, so showing listings that match some of them"
        if unmatched:
            message += " (nothing matches " + ", ".join(f"\u2018{w}\u2019" for w in unmatched) + ")"
        return {"type": "relaxed", "relaxed": "any_word", "unmatched": unmatched, "message": message}

    def _collect(self, stage: str, radius: Optional[float]):
        """Matching documents reduced to one row per provision (its nearest site)."""
        cols = [[] for _ in range(6)]
        for part in self.parts:
            mask = self._answered(part, stage)
            if radius is not None:
                mask &= part.distance <= radius
            sel = np.flatnonzero(mask)
            a = part.arrays
            docs = part.idx[sel]
            distance = part.distance[sel]
            relevance = part.relevance[sel]
            tier = part.tier[sel]
            if stage != "strict" and self.required:
                # Listings answering everything first, then those answering more of it.
                tier = tier + 100 * np.vstack(part.ok)[:, sel].all(axis=0)
                if stage == "any_word":
                    tier = tier + 10 * np.vstack(part.broad_ok)[:, sel].sum(axis=0)
            if self.near is not None:
                relevance = relevance / (1.0 + np.where(np.isfinite(distance), distance, 1e6) / DISTANCE_SCALE_KM)
            score = tier * 10.0 + relevance
            start = part.next_start[sel] if part.next_start is not None else np.full(len(sel), NEVER)
            pid = a.pid[docs]
            shared = a.shares_provision[docs]
            if shared.any():
                # Several sites of one provision matched: keep the nearest (then best scoring).
                single = np.flatnonzero(~shared)
                multi = np.flatnonzero(shared)
                order = np.lexsort((-score[multi], distance[multi], pid[multi]))
                multi = multi[order]
                first = np.ones(len(multi), dtype=bool)
                first[1:] = pid[multi][1:] != pid[multi][:-1]
                rows = np.concatenate([single, multi[first]])
            else:
                rows = slice(None)
            for c, v in zip(cols, (pid, score, distance, start, a.cat[docs], a.kind[docs])):
                c.append(v[rows])
        if not cols[0]:
            return tuple(np.empty(0) for _ in range(6))
        return tuple(np.concatenate(c) for c in cols)

    def _order(self, pid, score, distance, start) -> np.ndarray:
        sq = self.sq
        if sq.sort == "distance" and self.near is not None:
            keys = (pid, -score, distance)
        elif sq.sort == "start":
            keys = (pid, -score, start)
        elif self.near is not None:
            keys = (pid, distance, -score)
        else:
            keys = (pid, -score)
        need = sq.page * sq.per_page
        if len(pid) > 4 * need:
            # Only the first pages are shown: sort the candidates that can reach them.
            primary = keys[-1]
            cut = np.partition(primary, need - 1)[need - 1]
            candidates = np.flatnonzero(primary <= cut)
            order = np.lexsort(tuple(k[candidates] for k in keys))
            return candidates[order]
        return np.lexsort(keys)


def _by_field(postings):
    """(name, body) postings, whatever order the arrays keep fields in."""
    by = dict(zip(FIELDS, postings))
    return by["name"], by["body"]


def _contains(sorted_docs: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Which of `docs` are in `sorted_docs`."""
    if not len(sorted_docs):
        return np.zeros(len(docs), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_docs, docs), len(sorted_docs) - 1)
    return sorted_docs[at] == docs


def _overlap(name: np.ndarray, body: np.ndarray) -> int:
    """How many documents use a term in both fields (names are short: look them up)."""
    return int(_contains(body, name).sum()) if len(name) and len(body) else 0


def _hit(i, pid, score, distance, start, cat, kind) -> Hit:
    return Hit(
        provision_id=int(pid[i]),
        score=float(score[i]),
        distance_km=float(distance[i]) if np.isfinite(distance[i]) else None,
        next_start=dt.date.fromordinal(int(start[i])) if start[i] != NEVER else None,
        category=CATEGORY_LIST[int(cat[i])] if cat[i] >= 0 else None,
        kind=KIND_LIST[int(kind[i])] if kind[i] >= 0 else None,
    )


def _counts(codes: np.ndarray, names: list[str]) -> dict[str, int]:
    counts = np.bincount(codes[codes >= 0].astype(np.int64), minlength=len(names))
    return {names[n]: int(c) for n, c in enumerate(counts) if c}


def _groups(pid, score, distance, start, cat, kind) -> list[CategoryGroup]:
    order = np.lexsort((pid, distance, cat))
    groups = []
    for code in np.unique(cat[cat >= 0]).tolist():
        rows = order[cat[order] == code]
        groups.append(CategoryGroup(
            category=CATEGORY_LIST[code],
            total=len(rows),
            hits=[_hit(i, pid, score, distance, start, cat, kind) for i in rows[:GROUP_SIZE]],
        ))
    # The category with the nearest listing first.
    groups.sort(key=lambda g: (g.hits[0].distance_km if g.hits[0].distance_km is not None else math.inf, g.category))
    return groups


