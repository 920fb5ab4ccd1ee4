"""Full-text and filtered search over the directory, backed by a Whoosh index.

The database is the source of truth; this index is derived from it and can always be
rebuilt (`broker reindex`). One document is indexed per (provision, location) so that
a provision delivered in several places is found near each of them; results are
grouped back to one row per provision.

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
from dataclasses import dataclass, field
from typing import Iterable, Optional

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup

from broker.taxonomy import category_label

log = logging.getLogger(__name__)

WRITER_TIMEOUT_S = 30.0
NO_MIN_AGE, NO_MAX_AGE = 0, 999
NO_POINT = 10**12  # lat/lon column value of a document without a location
MICRO = 1_000_000
EARTH_RADIUS_KM = 6371.009  # geopy's mean radius, so distances agree with the matcher


def _schema() -> Schema:
    stem = StemmingAnalyzer()
    return Schema(
        doc_key=ID(unique=True, stored=True),
        provision=ID(),  # to delete every document of a provision at once
        pid=NUMERIC(int, bits=64, sortable=True),
        name=TEXT(analyzer=stem, field_boost=3.0),
        body=TEXT(analyzer=stem),
        category=ID(),
        # Micro-degrees as integers: Whoosh cannot keep float columns.
        lat=NUMERIC(int, bits=64, sortable=True, default=NO_POINT),
        lon=NUMERIC(int, bits=64, sortable=True, default=NO_POINT),
        min_age=NUMERIC(int),
        max_age=NUMERIC(int),
        # Intake start days as YYYYMMDD terms: term ranges over them are date ranges.
        # "open_" fields hold only intakes with a place left, so a date filter and a
        # free-places filter apply to the same intake.
        starts=KEYWORD(),
        open_starts=KEYWORD(),
        rolling_from=KEYWORD(),
        open_rolling_from=KEYWORD(),
        # Compact "YYYYMMDD|rolling|places_left;..." used to sort by soonest start.
        intakes=ID(sortable=True),
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


def _day(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def provision_documents(p) -> list[dict]:
    """The index documents for one provision (a Provision model or anything shaped like it)."""
    if p.status != "active":
        return []
    body = " ".join(
        [p.description or "", p.eligibility or "", p.organisation.name, category_label(p.category)]
    )
    starts, open_starts, rolling_from, open_rolling_from, packed = [], [], [], [], []
    for i in p.intakes:
        day = _day(i.start)
        left = i.places - i.places_taken
        (rolling_from if i.rolling else starts).append(day)
        if left > 0:
            (open_rolling_from if i.rolling else open_starts).append(day)
        packed.append(f"{day}|{int(i.rolling)}|{left}")
    common = dict(
        provision=str(p.id),
        pid=p.id,
        name=p.name,
        body=body,
        category=p.category,
        min_age=p.min_age if p.min_age is not None else NO_MIN_AGE,
        max_age=p.max_age if p.max_age is not None else NO_MAX_AGE,
        starts=" ".join(starts),
        open_starts=" ".join(open_starts),
        rolling_from=" ".join(rolling_from),
        open_rolling_from=" ".join(open_rolling_from),
        intakes=";".join(packed),
    )
    locations = p.locations or [None]
    docs = []
    for loc in locations:
        doc = dict(common, doc_key=f"{p.id}:{loc.id if loc else 0}")
        if loc is not None:
            doc.update(lat=round(loc.lat * MICRO), lon=round(loc.lon * MICRO))
        docs.append(doc)
    return docs


def update_provisions(index_dir: str, provisions: Iterable, removed_ids: Iterable[int] = ()) -> None:
    """Replace the documents of these provisions (and drop removed ones) in one commit."""
    ix = open_index(index_dir)
    writer = ix.writer(timeout=WRITER_TIMEOUT_S)
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
    writer = ix.writer(timeout=WRITER_TIMEOUT_S, limitmb=256)
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
    # mergetype=CLEAR replaces every existing segment with what this writer wrote.
    from whoosh.writing import CLEAR

    writer.commit(mergetype=CLEAR)
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


def _date_filter(sq: SearchQuery) -> Optional[wq.Query]:
    """Provision must have an intake joinable in [starts_after, starts_before].

    A dated intake matches when it starts inside the window; a rolling intake matches
    when it has started by the window's end. With has_places only intakes with a free
    place count, and only intakes not yet started (or rolling) are of use.
    """
    after, before = sq.starts_after, sq.starts_before
    if sq.has_places and after is None:
        after = sq.today
    if after is None and before is None:
        return None
    prefix = "open_" if sq.has_places else ""
    lo = _day(after) if after else None
    hi = _day(before) if before else None
    dated = wq.TermRange(prefix + "starts", lo, hi)
    rolling = wq.TermRange(prefix + "rolling_from", None, hi) if hi else wq.Every(prefix + "rolling_from")
    return wq.Or([dated, rolling])


def _build_query(sq: SearchQuery, searcher) -> wq.Query:
    parts: list[wq.Query] = []
    if sq.text.strip():
        parser = MultifieldParser(["name", "body"], SCHEMA, group=OrGroup.factory(0.9))
        parts.append(parser.parse(sq.text))
    if sq.category:
        parts.append(wq.Term("category", sq.category))
    if sq.age is not None:
        parts.append(wq.NumericRange("min_age", None, sq.age))
        parts.append(wq.NumericRange("max_age", sq.age, None))
    date_filter = _date_filter(sq)
    if date_filter is not None:
        parts.append(date_filter)
    elif sq.has_places:
        parts.append(wq.Or([wq.Every("open_starts"), wq.Every("open_rolling_from")]))
    if sq.near is not None and sq.radius_km is not None:
        lat, lon = sq.near
        dlat = math.degrees(sq.radius_km / EARTH_RADIUS_KM)
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        parts.append(wq.NumericRange("lat", math.floor((lat - dlat) * MICRO), math.ceil((lat + dlat) * MICRO)))
        parts.append(wq.NumericRange("lon", math.floor((lon - dlon) * MICRO), math.ceil((lon + dlon) * MICRO)))
    if not parts:
        return wq.Every()
    return parts[0] if len(parts) == 1 else wq.And(parts)


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """geopy.distance.great_circle, inlined because it is on the hot path."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    sin_p1, cos_p1, sin_p2, cos_p2 = math.sin(p1), math.cos(p1), math.sin(p2), math.cos(p2)
    cos_dl, sin_dl = math.cos(dl), math.sin(dl)
    d = math.atan2(
        math.sqrt((cos_p2 * sin_dl) ** 2 + (cos_p1 * sin_p2 - sin_p1 * cos_p2 * cos_dl) ** 2),
        sin_p1 * sin_p2 + cos_p1 * cos_p2 * cos_dl,
    )
    return EARTH_RADIUS_KM * d


def next_joinable(intakes, sq: SearchQuery) -> Optional[dt.date]:
    """Soonest day a young person could join, among the intakes the filters allow.

    `intakes` holds (start, rolling, places_left) tuples; the same rule serves the index
    (for sorting) and the database rows (for display).
    """
    best = None
    for start, rolling, left in intakes:
        if rolling:
            start = max(start, sq.today)
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


def _unpack_intakes(packed: str):
    for item in packed.split(";") if packed else ():
        day, rolling, left = item.split("|")
        yield dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), rolling == "1", int(left)


def search(index_dir: str, sq: SearchQuery) -> SearchPage:
    """Run a search and return one page of hits, one per provision."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        if searcher.doc_count() == 0:  # an empty index has no columns to read
            return SearchPage(total=0, hits=[])
        q = _build_query(sq, searcher)
        results = searcher.search(q, limit=None, scored=bool(sq.text.strip()))
        pid_col = searcher.reader().column_reader("pid", translate=True)
        lat_col = lon_col = None
        if sq.near is not None:
            lat_col = searcher.reader().column_reader("lat", translate=True)
            lon_col = searcher.reader().column_reader("lon", translate=True)
        intake_col = searcher.reader().column_reader("intakes", translate=True) if sq.sort == "start" else None

        best: dict[int, Hit] = {}
        for rank, (score, docnum) in enumerate(results.top_n):
            pid = pid_col[docnum]
            distance = None
            if lat_col is not None:
                lat, lon = lat_col[docnum], lon_col[docnum]
                if lat == NO_POINT:  # no location, so no distance
                    if sq.radius_km is not None:
                        continue
                else:
                    distance = great_circle_km(sq.near[0], sq.near[1], lat / MICRO, lon / MICRO)
                    if sq.radius_km is not None and distance > sq.radius_km:
                        continue
            hit = best.get(pid)
            if hit is None:
                next_start = next_joinable(_unpack_intakes(intake_col[docnum]), sq) if intake_col is not None else None
                # Without a text query every document scores alike: keep index order stable.
                best[pid] = Hit(pid, score if sq.text.strip() else -rank, distance, next_start)
            elif distance is not None and (hit.distance_km is None or distance < hit.distance_km):
                hit.distance_km = distance
        hits = list(best.values())

    if sq.sort == "distance" and sq.near is not None:
        hits.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0, -h.score))
    elif sq.sort == "start":
        hits.sort(key=lambda h: (h.next_start is None, h.next_start or dt.date.max, -h.score))
    else:
        hits.sort(key=lambda h: -h.score)
    start = (sq.page - 1) * sq.per_page
    return SearchPage(total=len(hits), hits=hits[start : start + sq.per_page])
