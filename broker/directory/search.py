"""Full-text and filtered search over the directory, backed by a Whoosh index.

The database is the source of truth; this index is derived from it and can always be
rebuilt (`broker reindex`). One document is indexed per (provision, location) so that
a provision delivered in several places is found near each of them; results are
grouped back to one row per provision.

Whoosh stores the documents, analyses text (stemming) and keeps the postings. Queries
are evaluated here with numpy instead of Whoosh's matchers: Whoosh walks postings and
filters one document at a time in Python, which measured ~1 s a query at 10k
provisions with date filters (benchmarks/search.py). Per-segment arrays of the filter
columns are cached per process; Whoosh segments never change once written, so a cache
entry stays valid until the segment is merged away.

Several worker processes may write: every writer waits for the lock
(`writer(timeout=...)`) instead of failing, and every query opens a fresh searcher
so it sees the latest committed generation.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.writing import CLEAR

from broker.taxonomy import CATEGORIES, category_label
from matching.geometry import km_between, unit_vectors  # the matcher's distances, so both agree

log = logging.getLogger(__name__)

WRITER_TIMEOUT_S = 30.0
NO_POINT = 10**12  # lat/lon column value of a document without a location
MICRO = 1_000_000  # lat/lon kept as integer micro-degrees: Whoosh has no float columns
NO_AGE = -1
CATEGORY_CODES = {slug: n for n, slug in enumerate(CATEGORIES)}
# BM25F, as Whoosh's default scorer: name matches weigh three times body matches.
FIELD_BOOSTS = {"name": 3.0, "body": 1.0}
K1, B = 1.2, 0.75
DISTANCE_SCALE_KM = 10.0

ANALYZER = StemmingAnalyzer()


def _schema() -> Schema:
    return Schema(
        doc_key=ID(unique=True, stored=True),
        provision=ID(),  # to delete every document of a provision at once
        name=TEXT(analyzer=ANALYZER),
        body=TEXT(analyzer=ANALYZER),
        pid=COLUMN(NumericColumn("q")),
        cat=COLUMN(NumericColumn("b", default=-1)),
        min_age=COLUMN(NumericColumn("h", default=NO_AGE)),
        max_age=COLUMN(NumericColumn("h", default=NO_AGE)),
        lat=COLUMN(NumericColumn("q", default=NO_POINT)),
        lon=COLUMN(NumericColumn("q", default=NO_POINT)),
        # "ordinal|rolling|places_left;..." for every intake
        intakes=COLUMN(VarBytesColumn()),
    )


SCHEMA = _schema()
_indexes: dict[str, whoosh_index.Index] = {}
_indexes_lock = threading.Lock()


def open_index(index_dir: str) -> whoosh_index.Index:
    """The index in index_dir, created empty if missing; cached per process."""
    with _indexes_lock:
        ix = _indexes.get(index_dir)
        if ix is None:
            os.makedirs(index_dir, exist_ok=True)
            if whoosh_index.exists_in(index_dir):
                ix = whoosh_index.open_dir(index_dir)
            else:
                ix = whoosh_index.create_in(index_dir, SCHEMA)
            _indexes[index_dir] = ix
        return ix


def forget_index(index_dir: str) -> None:
    """Drop this process's cached handle on index_dir, after its files were replaced."""
    with _indexes_lock:
        _indexes.pop(index_dir, None)


def provision_documents(p) -> list[dict]:
    """The index documents for one provision (a Provision model or anything shaped like it)."""
    if p.status != "active":
        return []
    body = " ".join([p.description or "", p.eligibility or "", p.organisation.name, category_label(p.category)])
    packed = ";".join(f"{i.start.toordinal()}|{int(i.rolling)}|{i.places - i.places_taken}" for i in p.intakes)
    common = dict(
        provision=str(p.id),
        pid=p.id,
        name=p.name,
        body=body,
        cat=CATEGORY_CODES.get(p.category, -1),
        min_age=p.min_age if p.min_age is not None else NO_AGE,
        max_age=p.max_age if p.max_age is not None else NO_AGE,
        intakes=packed.encode(),
    )
    docs = []
    for loc in p.locations or [None]:
        doc = dict(common, doc_key=f"{p.id}:{loc.id if loc else 0}")
        if loc is not None:
            doc.update(lat=round(loc.lat * MICRO), lon=round(loc.lon * MICRO))
        docs.append(doc)
    return docs


def update_provisions(index_dir: str, provisions: Iterable, removed_ids: Iterable[int] = ()) -> None:
    """Replace the documents of these provisions (and drop removed ones) in one commit."""
    ix = open_index(index_dir)
    writer = ix.writer(timeout=WRITER_TIMEOUT_S, compound=False)
    try:
        for pid in removed_ids:
            writer.delete_by_term("provision", str(pid))
        for p in provisions:
            writer.delete_by_term("provision", str(p.id))
            for doc in provision_documents(p):
                writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def rebuild(index_dir: str, provisions: Iterable, progress=None) -> int:
    """Rebuild the whole index from scratch; returns the number of documents."""
    ix = open_index(index_dir)
    # Separate segment files, not one compound file: Whoosh copies each part of a
    # compound file into memory on every open, ~9 ms a query at 100k provisions.
    writer = ix.writer(timeout=WRITER_TIMEOUT_S, limitmb=256, compound=False)
    count = 0
    try:
        for p in provisions:
            for doc in provision_documents(p):
                writer.add_document(**doc)
                count += 1
            if progress:
                progress(1)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=CLEAR)  # CLEAR: replace every existing segment
    return count


@dataclass
class SearchQuery:
    """A validated search; see broker.directory.params for parsing user input."""

    text: str = ""
    category: Optional[str] = None
    near: Optional[tuple[float, float]] = None
    radius_km: Optional[float] = None
    starts_after: Optional[dt.date] = None
    starts_before: Optional[dt.date] = None
    has_places: bool = False
    age: Optional[int] = None
    sort: str = "relevance"  # relevance | distance | start
    page: int = 1
    per_page: int = 20
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Hit:
    provision_id: int
    score: float
    distance_km: Optional[float]
    next_start: Optional[dt.date]


@dataclass
class SearchPage:
    total: int
    hits: list[Hit]


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


class _Segment:
    """numpy arrays of one Whoosh segment's columns, indexed by the segment's docnum."""

    def __init__(self, reader):
        n = reader.doc_count_all()

        def column(name, dtype):
            return np.fromiter(reader.column_reader(name), dtype=dtype, count=n)

        self.pid = column("pid", np.int64)
        self.cat = column("cat", np.int8)
        self.min_age = column("min_age", np.int16)
        self.max_age = column("max_age", np.int16)
        lat, lon = column("lat", np.int64), column("lon", np.int64)
        self.has_point = lat != NO_POINT
        self.points = unit_vectors(np.where(self.has_point, lat, 0) / MICRO, np.where(self.has_point, lon, 0) / MICRO)
        self.lengths = {
            f: np.fromiter((reader.doc_field_length(d, f) for d in range(n)), dtype=np.float32, count=n)
            for f in FIELD_BOOSTS
        }
        docs, starts, rolling, left = [], [], [], []
        for d, packed in enumerate(reader.column_reader("intakes")):
            for item in packed.decode().split(";") if packed else ():
                s, r, l = item.split("|")
                docs.append(d)
                starts.append(int(s))
                rolling.append(r == "1")
                left.append(int(l))
        self.intake_doc = np.array(docs, dtype=np.int64)
        self.intake_start = np.array(starts, dtype=np.int64)
        self.intake_rolling = np.array(rolling, dtype=bool)
        self.intake_left = np.array(left, dtype=np.int64)


_segments: OrderedDict[tuple, _Segment] = OrderedDict()
_segments_lock = threading.Lock()
_MAX_CACHED_SEGMENTS = 64


def _segment_arrays(index_dir: str, reader) -> _Segment:
    key = (index_dir, reader.segment().segment_id())
    with _segments_lock:
        seg = _segments.get(key)
        if seg is not None:
            _segments.move_to_end(key)
            return seg
    seg = _Segment(reader)
    with _segments_lock:
        _segments[key] = seg
        while len(_segments) > _MAX_CACHED_SEGMENTS:
            _segments.popitem(last=False)
    return seg


def _postings(reader, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, term frequencies) of a term in one segment.

    Block postings of the W3 codec are read a block (~128 postings) at a time rather
    than one posting per Python step; short inlined posting lists are walked as usual.
    """
    ids, weights = [], []
    if (fieldname, term) in reader:
        m = reader.postings(fieldname, term)
        if isinstance(m, W3LeafMatcher):
            while m.is_active():
                m._read_ids()
                m._read_weights()
                ids.append(np.asarray(m._ids, dtype=np.int64))
                weights.append(np.asarray(m._weights, dtype=np.float32))
                m._next_block()
        else:
            found, tfs = [], []
            while m.is_active():
                found.append(m.id())
                tfs.append(m.weight())
                m.next()
            ids.append(np.array(found, dtype=np.int64))
            weights.append(np.array(tfs, dtype=np.float32))
    if not ids:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def _query_terms(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in ANALYZER(text):
        seen.setdefault(token.text, None)
    return list(seen)


def _text_scores(searcher, terms, leaves):
    """Per segment: BM25F score of each document containing every term (else -inf)."""
    n_all = max(searcher.doc_count_all(), 1)
    reader = searcher.reader()
    avg_len = {f: max(reader.field_length(f) / n_all, 1.0) for f in FIELD_BOOSTS}
    idf = {(f, t): math.log(n_all / (reader.doc_frequency(f, t) + 1)) + 1 for f in FIELD_BOOSTS for t in terms}
    out = []
    for leaf, seg in leaves:
        n = len(seg.pid)
        score = np.zeros(n, dtype=np.float32)
        matched_all = np.ones(n, dtype=bool)
        for t in terms:
            has_term = np.zeros(n, dtype=bool)
            for f, boost in FIELD_BOOSTS.items():
                ids, tf = _postings(leaf, f, t)
                if len(ids) == 0:
                    continue
                norm = K1 * ((1 - B) + B * seg.lengths[f][ids] / avg_len[f])
                score[ids] += boost * idf[(f, t)] * tf * (K1 + 1) / (tf + norm)
                has_term[ids] = True
            matched_all &= has_term
        out.append(np.where(matched_all, score, -np.inf))
    return out


def search(index_dir: str, sq: SearchQuery) -> SearchPage:
    """Run a search and return one page of hits, one per provision."""
    ix = open_index(index_dir)
    today = sq.today.toordinal()
    after = sq.starts_after.toordinal() if sq.starts_after else None
    before = sq.starts_before.toordinal() if sq.starts_before else None
    check_intakes = sq.has_places or after is not None or before is not None
    terms = _query_terms(sq.text) if sq.text.strip() else []
    if sq.text.strip() and not terms:  # only stop words: nothing to look for
        return SearchPage(total=0, hits=[])

    pids, scores, distances, starts = [], [], [], []
    with ix.searcher() as searcher:
        leaves = [(leaf, _segment_arrays(index_dir, leaf)) for leaf, _ in searcher.reader().leaf_readers()
                  if leaf.segment() is not None]  # an empty index has one reader without a segment
        text = _text_scores(searcher, terms, leaves) if terms else [None] * len(leaves)
        for (leaf, seg), score in zip(leaves, text):
            keep = np.ones(len(seg.pid), dtype=bool)
            if leaf.has_deletions():
                keep[list(leaf.deleted_docs_set)] = False  # a property in whoosh-reloaded
            if score is not None:
                keep &= np.isfinite(score)
            if sq.category:
                keep &= seg.cat == CATEGORY_CODES[sq.category]
            if sq.age is not None:
                keep &= ((seg.min_age == NO_AGE) | (seg.min_age <= sq.age)) & (
                    (seg.max_age == NO_AGE) | (seg.max_age >= sq.age)
                )

            # Soonest joinable day per document among the intakes the filters allow.
            joinable = np.where(
                seg.intake_rolling, np.maximum(seg.intake_start, max(today, after or today)), seg.intake_start
            )
            ok = seg.intake_rolling | (seg.intake_start >= today)
            if sq.has_places:
                ok &= seg.intake_left > 0
            if after is not None:
                ok &= joinable >= after
            if before is not None:
                ok &= joinable <= before
            next_start = np.full(len(seg.pid), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(next_start, seg.intake_doc[ok], joinable[ok])
            if check_intakes:
                keep &= next_start != np.iinfo(np.int64).max

            distance = None
            if sq.near is not None:
                distance = km_between(unit_vectors([sq.near[0]], [sq.near[1]]), seg.points)[0]
                distance = np.where(seg.has_point, distance, np.inf)
                if sq.radius_km is not None:
                    keep &= distance <= sq.radius_km

            idx = np.flatnonzero(keep)
            pids.append(seg.pid[idx])
            if score is not None and distance is not None:
                # Near a place, relevance fades with distance: at DISTANCE_SCALE_KM a match
                # counts half as much as the same match on the doorstep.
                score = score / (1.0 + distance / DISTANCE_SCALE_KM)
            scores.append(score[idx] if score is not None else np.zeros(len(idx), dtype=np.float32))
            distances.append(distance[idx] if distance is not None else np.full(len(idx), np.inf))
            starts.append(next_start[idx])

    if not pids:
        return SearchPage(total=0, hits=[])
    pid, score, distance, start = (np.concatenate(a) for a in (pids, scores, distances, starts))
    # One row per provision: its nearest location (and, at equal distance, best score).
    order = np.lexsort((-score, distance, pid))
    pid, score, distance, start = pid[order], score[order], distance[order], start[order]
    first = np.ones(len(pid), dtype=bool)
    first[1:] = pid[1:] != pid[:-1]
    pid, score, distance, start = pid[first], score[first], distance[first], start[first]

    if sq.sort == "distance" and sq.near is not None:
        order = np.lexsort((pid, -score, distance))
    elif sq.sort == "start":
        order = np.lexsort((pid, -score, start))
    else:
        order = np.lexsort((pid, -score))
    lo = (sq.page - 1) * sq.per_page
    page = order[lo : lo + sq.per_page]
    never = np.iinfo(np.int64).max
    hits = [
        Hit(
            provision_id=int(pid[i]),
            score=float(score[i]),
            distance_km=float(distance[i]) if np.isfinite(distance[i]) else None,
            next_start=dt.date.fromordinal(int(start[i])) if start[i] != never else None,
        )
        for i in page
    ]
    return SearchPage(total=len(pid), hits=hits)
