"""Search over the directory, backed by a Whoosh index; understands what a PA types.

The database is the source of truth; this index is derived from it and can always be
rebuilt (`broker reindex`). One document is indexed per (provision, location) so a
provision delivered in several places is found near each of them; results are
grouped back to one row per provision, at the distance of its nearest site.

A search runs in three steps:
1. Understanding (broker.directory.understanding): spelling corrected from the
   index's own vocabulary, the youth-services thesaurus read into needs
   ("sofa surfing" -> housing), a place named in the words taken as the place.
2. Evaluation (broker.directory.evaluation), with numpy over each segment's arrays:
   filters, distance, BM25F text scores per unit, then ranking: listings that answer
   more of what was asked (and in the category and kind asked for) first, then by
   text relevance fading with distance.
3. Never a dead end: when nothing answers every unit, a synonym's category may stand
   in for its words, then any unit is enough, then the distance widens, and the page
   says what was relaxed.

Whoosh stores the segments (postings, lengths, a facts column), keeps the table of
contents, the write lock and deletions; broker.directory.index_writer writes whole
posting blocks. Several worker processes may write: every writer waits for the lock
instead of failing, and every query checks the index's latest generation, so it sees
the latest commit.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from broker import geography
from broker.directory import evaluation, index_writer, segments, thesaurus
from broker.directory.analysis import stem
# The query and result types are part of this module's interface (params, services, API).
from broker.directory.evaluation import CategoryGroup, Hit, SearchPage, SearchQuery, next_joinable  # noqa: F401
from broker.directory.index_writer import SCHEMA, WRITER_TIMEOUT_S, DirectoryWriter, arrays_path, live_mask  # noqa: F401
from broker.directory.segments import SegmentArrays
from broker.directory.spelling import CombinedCorrector, VocabularyCorrector, best_correction
from broker.directory.understanding import understand
from broker.taxonomy import category_label, kind_label

log = logging.getLogger(__name__)

# --- the index ---

_indexes: dict[str, whoosh_index.Index] = {}
_indexes_lock = threading.Lock()


def open_index(index_dir: str) -> whoosh_index.Index:
    """The index in index_dir, created empty if missing; cached per process.

    An index written by an earlier version (other fields) is replaced by an empty one
    and logged: `broker reindex` fills it again from the database."""
    with _indexes_lock:
        ix = _indexes.get(index_dir)
        if ix is None:
            ix = _indexes[index_dir] = _open_or_create(index_dir)
        return ix


def forget_index(index_dir: str) -> None:
    """Drop what this process keeps of index_dir (handle, snapshot, arrays) after its files were
    replaced: a rebuilt index starts its generations again, so a kept snapshot could look current."""
    with _indexes_lock:
        _indexes.pop(index_dir, None)
    with _snapshots_lock:
        _snapshots.pop(index_dir, None)
    with _arrays_lock:
        for key in [k for k in _arrays_cache if k[0] == index_dir]:
            del _arrays_cache[key]


def _open_or_create(index_dir: str) -> whoosh_index.Index:
    os.makedirs(index_dir, exist_ok=True)
    storage = FileStorage(index_dir)
    for attempt in range(10):
        if whoosh_index.TOC._latest_generation(storage, whoosh_index._DEF_INDEX_NAME) < 0:
            return whoosh_index.FileIndex.create(storage, SCHEMA)
        try:
            stored = whoosh_index.TOC.read(storage, whoosh_index._DEF_INDEX_NAME).schema
            break
        except FileNotFoundError:  # another process committed a newer generation meanwhile
            if attempt == 9:
                raise
    if sorted(stored.names()) != sorted(SCHEMA.names()):
        log.error("search index in %s has an older layout; emptied it: run `broker reindex`", index_dir)
        return whoosh_index.FileIndex.create(storage, SCHEMA)
    return whoosh_index.FileIndex(storage, schema=SCHEMA)


def provision_documents(p) -> list[dict]:
    """The index documents of one provision (a Provision model or anything shaped like it):
    one per site, none unless it is active."""
    if p.status != "active":
        return []
    kind = getattr(p, "kind", None)
    body = " ".join(
        part for part in (p.description, p.eligibility, p.organisation.name, category_label(p.category),
                          kind_label(p.category, kind) if kind else "") if part
    )
    areas = getattr(p, "areas", None)
    common = dict(
        provision=str(p.id),
        pid=p.id,
        name=p.name,
        body=body,
        category=p.category,
        kind=kind,
        min_age=p.min_age,
        max_age=p.max_age,
        areas=list(areas) if areas is not None else None,
        intakes=[[i.start.toordinal(), int(bool(i.rolling)), i.places - i.places_taken] for i in p.intakes],
    )
    docs = []
    for loc in p.locations or [None]:
        doc = dict(common, doc_key=f"{p.id}:{loc.id if loc else 0}")
        doc.update(lat=loc.lat if loc else None, lon=loc.lon if loc else None)
        docs.append(doc)
    return docs


def update_provisions(index_dir: str, provisions: Iterable, removed_ids: Iterable[int] = ()) -> None:
    """Replace the documents of these provisions (and drop removed ones) in one commit."""
    ix = open_index(index_dir)
    writer = DirectoryWriter(ix)
    try:
        provisions = list(provisions)
        pids = {int(pid) for pid in removed_ids} | {p.id for p in provisions}
        writer.delete_provisions(pids, lambda s: _arrays(index_dir, ix, s))
        for p in provisions:
            writer.builder.add_documents(provision_documents(p))
        writer.commit_arrays(lambda s: _arrays(index_dir, ix, s))
    except BaseException:
        writer.cancel()
        raise


def rebuild(index_dir: str, provisions: Iterable, progress=None) -> int:
    """Rebuild the whole index from scratch; returns the number of documents."""
    ix = open_index(index_dir)
    writer = DirectoryWriter(ix)
    try:
        for p in provisions:
            writer.builder.add_documents(provision_documents(p))
            if progress:
                progress(1)
        return writer.commit_arrays(lambda s: _arrays(index_dir, ix, s), clear=True)
    except BaseException:
        writer.cancel()
        raise


def compact(index_dir: str) -> int:
    """Merge every segment into one, dropping deleted documents (no text is re-analysed)."""
    ix = open_index(index_dir)
    writer = DirectoryWriter(ix)
    try:
        for s in writer.segments:
            writer.builder.add_segment(_arrays(index_dir, ix, s), live_mask(s))
        return writer.commit_arrays(lambda s: _arrays(index_dir, ix, s), clear=True)
    except BaseException:
        writer.cancel()
        raise


# --- segment arrays and snapshots, cached per process ---

_arrays_cache: OrderedDict[tuple, SegmentArrays] = OrderedDict()
_arrays_lock = threading.Lock()
_MAX_CACHED_SEGMENTS = 64


def _arrays(index_dir: str, ix, segment) -> SegmentArrays:
    key = (index_dir, segment.segment_id())
    with _arrays_lock:
        found = _arrays_cache.get(key)
        if found is not None:
            _arrays_cache.move_to_end(key)
            return found
    path = arrays_path(ix.storage, segment)
    try:
        found = SegmentArrays.load(path, segment.segment_id())
    except (FileNotFoundError, segments.StaleArrays) as exc:
        # Arrays missing or from another version: build them from the Whoosh segment, once.
        log.warning("search index segment %s: %s; building its arrays from Whoosh", segment.segment_id(), exc)
        reader = SegmentReader(ix.storage, SCHEMA, segment)
        try:
            built = index_writer.arrays_from_whoosh(reader)
        finally:
            reader.close()
        segments.save(path, built)
        found = SegmentArrays.load(path, segment.segment_id())
    with _arrays_lock:
        _arrays_cache[key] = found
        while len(_arrays_cache) > _MAX_CACHED_SEGMENTS:
            _arrays_cache.popitem(last=False)
    return found


@dataclass
class _Snapshot:
    """One generation of the index: its segments' arrays and which documents are live."""

    generation: int
    parts: list[tuple[SegmentArrays, Optional[np.ndarray]]]
    _vocabulary: Optional["_Vocabulary"] = None

    @property
    def vocabulary(self) -> "_Vocabulary":
        if self._vocabulary is None:
            self._vocabulary = _Vocabulary([a for a, _ in self.parts])
        return self._vocabulary


_snapshots: dict[str, _Snapshot] = {}
_snapshots_lock = threading.Lock()


def _snapshot(index_dir: str) -> _Snapshot:
    ix = open_index(index_dir)
    for attempt in range(10):
        generation = ix.latest_generation()
        with _snapshots_lock:
            current = _snapshots.get(index_dir)
        if current is not None and current.generation == generation:
            return current
        try:
            toc = whoosh_index.TOC.read(ix.storage, ix.indexname, generation, schema=SCHEMA)
            parts = [(_arrays(index_dir, ix, s), live_mask(s)) for s in toc.segments]
        except (FileNotFoundError, OSError):
            if attempt == 9:
                raise
            continue  # a writer replaced that generation while we read it: read the new one
        snap = _Snapshot(generation, parts)
        with _snapshots_lock:
            _snapshots[index_dir] = snap
        return snap
    raise RuntimeError("unreachable")


class _Vocabulary:
    """The index's words, for telling a misspelling from a rare word and correcting it."""

    def __init__(self, parts: list[SegmentArrays]):
        self._parts = parts

    def knows(self, word: str) -> bool:
        term = stem(word)
        return any(a.has_word(word) or (term and a.has_term(term)) for a in self._parts)

    def correction(self, word: str) -> Optional[str]:
        # One corrector per segment (built once, kept with its arrays) and one for the
        # thesaurus, so a write never rebuilds the vocabulary of the whole index.
        correctors = [a.corrector for a in self._parts] + [_thesaurus_corrector()]
        return best_correction(CombinedCorrector(correctors), word)


@functools.cache
def _thesaurus_corrector() -> VocabularyCorrector:
    # The PA's own words count as common ones: 50 listings' worth.
    return VocabularyCorrector({w: 50 for w in thesaurus.default().vocabulary})


def search(index_dir: str, sq: SearchQuery) -> SearchPage:
    """Run a search and return one page of hits, one per provision."""
    snap = _snapshot(index_dir)
    und = understand(sq.text, snap.vocabulary, thesaurus.default(), exact=sq.exact)
    near, near_label, notices = sq.near, None, list(und.notices)
    if und.place is not None:
        if near is None:
            near, near_label = (und.place.lat, und.place.lon), und.place.label
            notices.append({"type": "place", "place": und.place.label,
                            "message": f"Showing listings near {und.place.label}, from your search words"})
    return evaluation.evaluate(snap.parts, sq, und, near, notices, near_label)


# The thesaurus and the geography are read when the search module loads (when the service
# starts), not by the first search; a thesaurus that contradicts itself stops the start,
# naming the entry.
thesaurus.default()
geography.preload()
