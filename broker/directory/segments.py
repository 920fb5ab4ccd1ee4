"""Per-segment arrays: what a query needs from one Whoosh segment, as numpy arrays.

Every Whoosh segment the directory writes gets a companion file `<segment>.arrays`,
written before the segment is published (so no query ever waits to build it) and
deleted by Whoosh with the segment (the name follows Whoosh's segment file pattern).
It holds the filter columns (provision id, category, kind, ages, point, areas served,
intakes), each field's postings in compressed-row form with exact field lengths, and
the segment's unstemmed vocabulary for spelling correction. The file is memory-mapped:
opening it costs microseconds and worker processes share its pages.

The Whoosh segment itself holds the same documents (postings and a `facts` column),
so the arrays can be rebuilt from Whoosh alone (`arrays_from_whoosh`).
"""
from __future__ import annotations

import json
import os
from array import array
from collections import Counter
from functools import cached_property
from typing import Iterable, Optional

import numpy as np

from broker.directory.analysis import WORD, stem
from broker.directory.spelling import VocabularyCorrector
from broker.taxonomy import CATEGORIES, KINDS
from matching.geometry import unit_vectors

ARRAYS_EXT = ".arrays"
FORMAT = "broker-segment-arrays/2"  # bump when the arrays change: older files are rebuilt
FIELDS = ("body", "name")  # Whoosh writes fields in name order
CATEGORY_LIST = list(CATEGORIES)
KIND_LIST = [kind for kinds in KINDS.values() for kind in kinds]
CATEGORY_CODES = {slug: n for n, slug in enumerate(CATEGORY_LIST)}
KIND_CODES = {slug: n for n, slug in enumerate(KIND_LIST)}
MAX_TF = 65535
_ALIGN = 64
# BM25F, as Whoosh's default scorer, with the per-posting part computed when the segment
# is written: weight = sum over fields of boost * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len / avg len)).
# A name match weighs three body matches.
FIELD_BOOSTS = {"name": 3.0, "body": 1.0}
K1, B = 1.2, 0.75


def _ints(values: array) -> np.ndarray:
    return np.frombuffer(values, dtype=np.int32) if len(values) else np.empty(0, np.int32)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy's hashing unique is slower on large int arrays)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def sorted_union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct documents of two sorted lists (np.union1d imports numpy.ma on first use)."""
    if not len(a):
        return b
    if not len(b):
        return a
    return sorted_unique(np.concatenate([a, b]))


def facts_of(doc: dict) -> bytes:
    """The Whoosh `facts` column value of a document: everything but its text."""
    keep = {k: v for k, v in doc.items() if k not in ("name", "body")}
    return json.dumps(keep, separators=(",", ":")).encode()


class SegmentBuilder:
    """Collects documents (new ones, or the live documents of segments being merged)
    and produces the arrays of the one segment they will form."""

    def __init__(self):
        self.n = 0
        # Typed arrays, not lists: a rebuild holds every listing's columns at once.
        self._cols = {"pid": array("q"), "cat": array("b"), "kind": array("h"), "min_age": array("h"),
                      "max_age": array("h"), "lat": array("d"), "lon": array("d")}
        self._anywhere = array("b")
        self._area_doc, self._area_code = array("i"), array("i")
        self._area_codes: dict[str, int] = {}
        self._intakes = (array("i"), array("b"), array("i"))  # start (ordinal), rolling, places left
        self._intake_count = array("i")
        self._facts = bytearray()
        self._facts_size = array("i")
        # Text is kept as word ids counted per document (in C); words are stemmed once each,
        # at build time, and counts of words sharing a stem are added up there.
        self._word_ids: dict[str, int] = {}
        self._postings = {f: (array("i"), array("i"), array("i")) for f in FIELDS}  # word id, count, words per doc
        self._first_site: list[bool] = []  # a provision's first document: its words count once
        self._parts: list[tuple[SegmentArrays, np.ndarray]] = []
        self._last_text = None

    def add_documents(self, docs: Iterable[dict]) -> None:
        for doc in docs:
            self._add(doc)

    def _add(self, doc: dict) -> None:
        d = self.n
        self.n += 1
        c = self._cols
        c["pid"].append(doc["pid"])
        c["cat"].append(CATEGORY_CODES.get(doc["category"], -1))
        c["kind"].append(KIND_CODES.get(doc.get("kind") or "", -1))
        c["min_age"].append(-1 if doc.get("min_age") is None else doc["min_age"])
        c["max_age"].append(-1 if doc.get("max_age") is None else doc["max_age"])
        c["lat"].append(np.nan if doc.get("lat") is None else doc["lat"])
        c["lon"].append(np.nan if doc.get("lon") is None else doc["lon"])
        areas = doc.get("areas")
        self._anywhere.append(areas is None)
        for code in areas or ():
            self._area_doc.append(d)
            self._area_code.append(self._area_codes.setdefault(code, len(self._area_codes)))
        intakes = doc.get("intakes") or ()
        starts, rolling, left = self._intakes
        for start, roll, places_left in intakes:
            starts.append(start)
            rolling.append(bool(roll))
            left.append(places_left)
        self._intake_count.append(len(intakes))
        facts = facts_of(doc)
        self._facts += facts
        self._facts_size.append(len(facts))
        # The documents of one provision (one per site) share their text: read it once.
        text = (doc["name"], doc["body"])
        first = text != self._last_text
        self._first_site.append(first)
        if first:
            self._last_text = text
            self._counted = [self._word_counts(value) for value in text]
        for field, (wids, counts) in zip(("name", "body"), self._counted):
            ids, tfs, per_doc = self._postings[field]
            ids.extend(wids)
            tfs.extend(counts)
            per_doc.append(len(wids))

    def _word_counts(self, text: str) -> tuple[list[int], list[int]]:
        table = self._word_ids
        words = WORD.findall(text.lower())
        wids = list(map(table.get, words))
        if None in wids:  # words not seen before in this segment
            for word in words:
                if word not in table:
                    table[word] = len(table)
            wids = list(map(table.__getitem__, words))
        counted = Counter(wids)
        return list(counted), list(counted.values())

    def add_segment(self, seg: "SegmentArrays", live: Optional[np.ndarray]) -> None:
        """Carry over the live documents of an existing segment (a merge)."""
        keep = np.ones(seg.n, dtype=bool) if live is None else live
        count = int(keep.sum())
        if count:
            self._parts.append((seg, keep))
            self.n += count

    def build(self) -> dict:
        """The arrays of the new segment (see SegmentArrays for their meaning)."""
        own = len(self._first_site)
        parts = self._parts
        offsets, at = [], own
        for seg, keep in parts:
            offsets.append(at)
            at += int(keep.sum())

        dtypes = {"pid": np.int64, "cat": np.int8, "kind": np.int16, "min_age": np.int16, "max_age": np.int16,
                  "lat": np.float64, "lon": np.float64}
        out = {}
        for name, dtype in dtypes.items():
            mine = np.frombuffer(self._cols[name], dtype=dtype) if own else np.empty(0, dtype)
            out[name] = np.concatenate([mine] + [getattr(seg, name)[keep].astype(dtype) for seg, keep in parts])
        out.update(self._build_areas(parts))
        out.update(self._build_intakes(parts))
        out.update(self._build_facts(parts))
        for field in FIELDS:
            out.update(self._build_postings(field, parts, offsets))
        out.update(self._build_words(parts))
        out.update(derived_columns(out))
        return out

    def _build_areas(self, parts) -> dict:
        codes = dict(self._area_codes)
        at = len(self._anywhere)
        anywhere = [np.frombuffer(self._anywhere, np.int8).astype(bool) if at else np.empty(0, bool)]
        docs, ids = [_ints(self._area_doc)], [_ints(self._area_code)]
        for seg, keep in parts:
            remap = np.cumsum(keep) - 1 + at
            names = seg.area_names
            table = np.array([codes.setdefault(c, len(codes)) for c in names.tolist()], dtype=np.int32)
            sel = keep[seg.area_doc]
            docs.append(remap[seg.area_doc[sel]].astype(np.int32))
            ids.append(table[seg.area_code[sel]] if len(names) else np.empty(0, np.int32))
            anywhere.append(seg.anywhere[keep])
            at += int(keep.sum())
        names = sorted(codes, key=codes.get)
        return {
            "anywhere": np.concatenate(anywhere),
            "area_doc": np.concatenate(docs).astype(np.int32),
            "area_code": np.concatenate(ids).astype(np.int32),
            "area_names": np.array(names, dtype=str) if names else np.empty(0, dtype="<U9"),
        }

    def _build_intakes(self, parts) -> dict:
        starts, rolling, left = self._intakes
        start = [_ints(starts)]
        rolls = [np.frombuffer(rolling, np.int8).astype(bool) if len(rolling) else np.empty(0, bool)]
        lefts = [_ints(left)]
        count_parts = [_ints(self._intake_count).astype(np.int64)]
        for seg, keep in parts:
            per_doc = np.diff(seg.intake_ptr)
            sel = np.repeat(keep, per_doc)
            start.append(seg.intake_start[sel])
            rolls.append(seg.intake_rolling[sel])
            lefts.append(seg.intake_left[sel])
            count_parts.append(per_doc[keep])
        counts = np.concatenate(count_parts)
        return {
            "intake_ptr": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            "intake_start": np.concatenate(start).astype(np.int32),
            "intake_rolling": np.concatenate(rolls),
            "intake_left": np.concatenate(lefts).astype(np.int32),
        }

    def _build_facts(self, parts) -> dict:
        blobs = [np.frombuffer(bytes(self._facts), dtype=np.uint8)]
        sizes = [_ints(self._facts_size).astype(np.int64)]
        for seg, keep in parts:
            per_doc = np.diff(seg.facts_ptr)
            blobs.append(seg.facts[np.repeat(keep, per_doc)])
            sizes.append(per_doc[keep])
        return {"facts": np.concatenate(blobs), "facts_ptr": np.concatenate([[0], np.cumsum(np.concatenate(sizes))]).astype(np.int64)}

    def _own_terms(self):
        """Stem every word seen once: (sorted terms, term number of each word id, -1 for none)."""
        if not hasattr(self, "_stemmed"):
            words = list(self._word_ids)
            stems = [stem(w) for w in words]
            terms = np.array(sorted({t for t in stems if t}), dtype=str) if any(stems) else np.empty(0, "<U1")
            lookup = {t: i for i, t in enumerate(terms.tolist())}
            self._stemmed = (terms, np.array([lookup.get(t, -1) if t else -1 for t in stems] + [-1], dtype=np.int32))
        return self._stemmed

    def _own_postings(self, field: str):
        """(word ids, counts, documents) of the documents added, one row per distinct word."""
        ids, tfs, per_doc = (_ints(a) for a in self._postings[field])
        docs = np.repeat(np.arange(len(per_doc), dtype=np.int32), per_doc)
        return ids, tfs, docs

    def _build_postings(self, field: str, parts, offsets) -> dict:
        own_terms, term_of_word = self._own_terms()
        n_own = len(self._first_site)
        wids, counts, docs = self._own_postings(field)
        tids = term_of_word[wids] if len(wids) else wids
        del wids
        kept = tids >= 0  # stop words have no term
        tids, docs, counts = tids[kept], docs[kept], counts[kept]
        del kept
        lengths = [np.bincount(docs, weights=counts, minlength=n_own).astype(np.int32) if n_own else np.empty(0, np.int32)]
        vocab_parts = [own_terms] + [seg.terms(field) for seg, _ in parts]
        vocab = np.unique(np.concatenate(vocab_parts)) if sum(len(v) for v in vocab_parts) else np.empty(0, "<U1")
        own_ids = np.searchsorted(vocab, own_terms).astype(np.int32)
        all_terms = [own_ids[tids] if len(tids) else np.empty(0, np.int32)]
        all_docs, all_tfs = [docs], [counts]
        for (seg, keep), offset, seg_vocab in zip(parts, offsets, vocab_parts[1:]):
            ptr = seg.ptr(field)
            term_of = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))
            pdocs = seg.docs(field)
            sel = keep[pdocs]
            remap = np.cumsum(keep) - 1 + offset
            all_terms.append(np.searchsorted(vocab, seg_vocab).astype(np.int32)[term_of[sel]])
            all_docs.append(remap[pdocs[sel]].astype(np.int32))
            all_tfs.append(seg.tfs(field)[sel].astype(np.int32))
            lengths.append(seg.lengths(field)[keep].astype(np.int32))
        if len(all_terms) == 1:  # no merge: nothing to join
            terms, docs, tfs = all_terms[0], all_docs[0], all_tfs[0]
        else:
            terms, docs, tfs = (np.concatenate(a).astype(np.int32) for a in (all_terms, all_docs, all_tfs))
        del all_terms, all_docs, all_tfs, tids, counts
        # Postings come in document order, so a stable sort by term gives (term, document)
        # order; then one posting per pair: words sharing a stem ("course", "courses") add up.
        order = np.argsort(terms, kind="stable")
        terms, docs, tfs = terms[order], docs[order], tfs[order]
        del order
        first = np.ones(len(terms), dtype=bool)
        first[1:] = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(first)
        tfs = np.add.reduceat(tfs, starts) if len(starts) else tfs
        terms, docs = terms[starts], docs[starts]
        per_term = np.bincount(terms, minlength=len(vocab))
        used = per_term > 0  # a word of the other field only: no postings here
        ptr = np.concatenate([[0], np.cumsum(per_term[used])]).astype(np.int64)
        lengths = np.concatenate(lengths).astype(np.float32)
        tfs = np.minimum(tfs, MAX_TF).astype(np.uint16)
        return {
            f"{field}_terms": vocab[used],
            f"{field}_ptr": ptr,
            f"{field}_docs": docs.astype(np.int32),
            f"{field}_tfs": tfs,
            f"{field}_len": lengths,
            f"{field}_weight": posting_weights(field, docs, tfs, lengths),
        }

    def _build_words(self, parts) -> dict:
        """The unstemmed vocabulary and how many provisions use each word (for spelling)."""
        words = list(self._word_ids)
        kept = np.array([stem(w) is not None for w in words] + [False], dtype=bool)
        first = np.array(self._first_site + [False], dtype=bool)
        pairs = []
        for field in FIELDS:
            wids, _, docs = self._own_postings(field)
            sel = first[docs] & kept[wids] if len(wids) else np.zeros(0, bool)
            pairs.append(wids[sel] * (len(first) + 1) + docs[sel])
        unique = sorted_unique(np.concatenate(pairs)) if pairs else np.empty(0, np.int64)
        df = np.bincount(unique // (len(first) + 1), minlength=len(words)) if len(words) else np.empty(0, np.int64)
        counts = Counter({w: int(c) for w, c in zip(words, df.tolist()) if c})
        for seg, _keep in parts:  # a merge keeps the vocabulary of what it merged
            counts.update(dict(zip(seg.words.tolist(), seg.word_df.tolist())))
        ordered = sorted(counts)
        return {
            "words": np.array(ordered, dtype=str) if ordered else np.empty(0, dtype="<U1"),
            "word_df": np.array([counts[w] for w in ordered], dtype=np.int32),
        }


def posting_weights(field: str, docs: np.ndarray, tfs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The BM25F weight of each posting of one field (without the term's idf)."""
    avg = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
    tf = tfs.astype(np.float32)
    norm = K1 * ((1 - B) + B * lengths[docs] / avg)
    return (FIELD_BOOSTS[field] * tf * (K1 + 1) / (tf + norm)).astype(np.float32)


def derived_columns(arrays: dict) -> dict:
    """Columns queries need at once, computed here so the first query never waits for them."""
    lat, lon = arrays["lat"], arrays["lon"]
    has_point = ~np.isnan(lat)
    pid = arrays["pid"]
    # A provision's documents (one per site) are always next to each other in one segment.
    shares = np.zeros(len(pid), dtype=bool)
    if len(pid) > 1:
        same = pid[1:] == pid[:-1]
        shares[1:] |= same
        shares[:-1] |= same
    return {
        "has_point": has_point,
        "points": unit_vectors(np.where(has_point, lat, 0.0), np.where(has_point, lon, 0.0)),
        "shares_provision": shares,
    }


# --- the file ---


def save(path: str, arrays: dict) -> None:
    """Write the arrays (and the code tables their numbers refer to) to `path`, atomically."""
    header = {"format": FORMAT, "categories": CATEGORY_LIST, "kinds": KIND_LIST, "arrays": {}}
    offset = 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        header["arrays"][name] = [a.dtype.str, list(a.shape), offset]
        offset += -(-a.nbytes // _ALIGN) * _ALIGN
    head = json.dumps(header).encode()
    prefix = 16 + len(head)
    prefix += -prefix % _ALIGN
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")  # a dot name: Whoosh's cleanup skips it
    with open(tmp, "wb") as out:
        out.write(b"BRKARR01" + len(head).to_bytes(8, "little") + head)
        out.write(b"\0" * (prefix - 16 - len(head)))
        for name, a in arrays.items():
            out.write(a.tobytes())
            out.write(b"\0" * (-a.nbytes % _ALIGN))
    os.replace(tmp, path)


class StaleArrays(ValueError):
    """An arrays file written by another version of this code."""


class SegmentArrays:
    """One segment's arrays, memory-mapped. Document numbers are the segment's own.

    pid, cat, kind (codes into broker.taxonomy order), min_age/max_age (-1: none),
    points (unit vectors; has_point False where a document has no location),
    anywhere + area_doc/area_code/area_names (areas served), intake_* (compressed rows
    per document), <field>_terms/_ptr/_docs/_tfs (postings), <field>_len (lengths),
    words/word_df (vocabulary), facts/facts_ptr (the Whoosh `facts` column).
    """

    def __init__(self, arrays: dict, segment_id: str = ""):
        self.segment_id = segment_id
        self._a = arrays
        self.n = len(arrays["pid"])
        for name in ("pid", "min_age", "max_age", "anywhere", "area_doc", "area_code", "area_names",
                     "intake_ptr", "intake_start", "intake_rolling", "intake_left", "words", "word_df",
                     "facts", "facts_ptr", "cat", "kind"):
            setattr(self, name, arrays[name])

    @classmethod
    def load(cls, path: str, segment_id: str = "") -> "SegmentArrays":
        # Plain arrays over the mapping (np.memmap's subclass costs microseconds per operation).
        raw = np.memmap(path, mode="r", dtype=np.uint8).view(np.ndarray)
        if bytes(raw[:8]) != b"BRKARR01":
            raise ValueError(f"{path} is not a segment arrays file")
        size = int.from_bytes(bytes(raw[8:16]), "little")
        header = json.loads(bytes(raw[16:16 + size]))
        if header.get("format") != FORMAT:
            raise StaleArrays(f"{path}: written as {header.get('format')!r}, this code reads {FORMAT!r}")
        base = 16 + size
        base += -base % _ALIGN
        arrays = {}
        for name, (dtype, shape, offset) in header["arrays"].items():
            dt = np.dtype(dtype)
            count = int(np.prod(shape)) if shape else 1
            start = base + offset
            arrays[name] = raw[start:start + count * dt.itemsize].view(dt).reshape(shape)
        # Codes written under an older taxonomy are renumbered to today's.
        if header["categories"] != CATEGORY_LIST:
            table = np.array([CATEGORY_CODES.get(c, -1) for c in header["categories"]] + [-1], np.int8)
            arrays["cat"] = table[arrays["cat"]]
        if header["kinds"] != KIND_LIST:
            table = np.array([KIND_CODES.get(k, -1) for k in header["kinds"]] + [-1], np.int16)
            arrays["kind"] = table[arrays["kind"]]
        return cls(arrays, segment_id)

    @property
    def has_point(self) -> np.ndarray:
        return self._a["has_point"]

    @property
    def points(self) -> np.ndarray:
        """Unit vectors of the documents' sites (distances as the matcher measures them)."""
        return self._a["points"]

    @property
    def lat(self):
        return self._a["lat"]

    @property
    def lon(self):
        return self._a["lon"]

    def terms(self, field):
        return self._a[f"{field}_terms"]

    def ptr(self, field):
        return self._a[f"{field}_ptr"]

    def docs(self, field):
        return self._a[f"{field}_docs"]

    def tfs(self, field):
        return self._a[f"{field}_tfs"]

    def lengths(self, field):
        return self._a[f"{field}_len"]

    def postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per field: (documents in order, BM25F weights) of one term."""
        out = []
        for field in FIELDS:
            terms = self._a[f"{field}_terms"]
            at = int(np.searchsorted(terms, term))
            if at >= len(terms) or terms[at] != term:
                out.append((_EMPTY_I, _EMPTY_F))
                continue
            ptr = self._a[f"{field}_ptr"]
            lo, hi = int(ptr[at]), int(ptr[at + 1])
            out.append((self._a[f"{field}_docs"][lo:hi], self._a[f"{field}_weight"][lo:hi]))
        return out

    def field_docs(self, field: str, term: str) -> np.ndarray:
        """The documents using a term in one field (as Whoosh's postings of that field)."""
        terms = self.terms(field)
        at = int(np.searchsorted(terms, term))
        if at >= len(terms) or terms[at] != term:
            return _EMPTY_I
        ptr = self.ptr(field)
        return self.docs(field)[int(ptr[at]):int(ptr[at + 1])]

    @cached_property
    def corrector(self) -> VocabularyCorrector:
        """Spelling suggestions from this segment's words, weighted by how many listings use them."""
        return VocabularyCorrector(dict(zip(self.words.tolist(), self.word_df.tolist())))

    def has_word(self, word: str) -> bool:
        at = int(np.searchsorted(self.words, word))
        return at < len(self.words) and self.words[at] == word

    def has_term(self, term: str) -> bool:
        return any(len(docs) for docs, _ in self.postings(term))

    @cached_property
    def area_masks(self) -> dict[str, np.ndarray]:
        masks = {}
        for code_id, code in enumerate(self.area_names.tolist()):
            mask = np.zeros(self.n, dtype=bool)
            mask[self.area_doc[self.area_code == code_id]] = True
            masks[code] = mask
        return masks

    @property
    def shares_provision(self) -> np.ndarray:
        """True for documents whose provision has another document (site) in the segment."""
        return self._a["shares_provision"]

    def facts_of(self, docnum: int) -> dict:
        lo, hi = int(self.facts_ptr[docnum]), int(self.facts_ptr[docnum + 1])
        return json.loads(bytes(self.facts[lo:hi]))


_EMPTY_I = np.empty(0, np.int32)
_EMPTY_F = np.empty(0, np.float32)
