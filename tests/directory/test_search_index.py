"""The search index itself: its segments are genuine Whoosh segments, its arrays files
agree with them, merges keep few segments, and the text analysis, thesaurus and
spelling corrector behave as documented. No database needed."""
from __future__ import annotations

import datetime as dt
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser
from whoosh.reading import SegmentReader

from broker.config import PROJECT_ROOT
from broker.directory import index_writer, search, segments, thesaurus
from broker.directory.analysis import ANALYZER, analyse
from broker.directory.spelling import VocabularyCorrector, best_correction
from broker.taxonomy import KINDS

TODAY = dt.date.today()
DEMO = json.loads((PROJECT_ROOT / "directory_data" / "demo_directory.json").read_text(encoding="utf-8"))


def demo_listings():
    out, pid = [], 0
    for org in DEMO["organisations"]:
        for p in org["provisions"]:
            pid += 1
            out.append(SimpleNamespace(
                id=pid, status=p["status"], name=p["name"], description=p["description"],
                eligibility=p["eligibility"], organisation=SimpleNamespace(name=org["name"]),
                category=p["category"], kind=p.get("kind"), min_age=p["min_age"], max_age=p["max_age"],
                areas=["E08000035"] if pid % 3 == 0 else None,
                intakes=[SimpleNamespace(start=TODAY + dt.timedelta(days=i["start_in_days"]), places=i["places"],
                                         places_taken=i["taken"], rolling=i["rolling"]) for i in p["intakes"]],
                locations=[SimpleNamespace(id=pid * 10 + n, lat=loc["lat"], lon=loc["lon"])
                           for n, loc in enumerate(p["locations"])],
            ))
    return out


@pytest.fixture
def demo_index(tmp_path):
    index_dir = str(tmp_path / "index")
    listings = demo_listings()
    search.rebuild(index_dir, listings)
    return index_dir, listings


def only_segment(index_dir):
    ix = search.open_index(index_dir)
    (segment,) = ix._segments()
    return ix, segment


def test_whoosh_reads_the_segments_we_write(demo_index):
    index_dir, listings = demo_index
    ix = whoosh_index.open_dir(index_dir)
    ours = search._snapshot(index_dir).parts[0][0]
    with ix.searcher() as searcher:
        facts = searcher.reader().column_reader("facts")
        for word in ("counselling", "hostel", "apprenticeship", "cannabis"):
            (term,) = analyse(word)
            whoosh_docs = set(QueryParser("body", ix.schema).parse(word).docs(searcher))
            assert whoosh_docs and whoosh_docs == set(ours.field_docs("body", term).tolist())
        # Whoosh's own scorer and stored facts: the name matches are listings that say it.
        names = {p.id: p.name for p in listings}
        hits = searcher.search(QueryParser("name", ix.schema).parse("foyer"), limit=3)
        assert len(hits) and all("foyer" in names[json.loads(facts[h.docnum])["pid"]].lower() for h in hits)


def test_arrays_rebuilt_from_whoosh_alone_agree_with_the_arrays_file(demo_index):
    index_dir, _ = demo_index
    ix, segment = only_segment(index_dir)
    written = segments.SegmentArrays.load(index_writer.arrays_path(ix.storage, segment))
    reader = SegmentReader(ix.storage, index_writer.SCHEMA, segment)
    try:
        rebuilt = index_writer.arrays_from_whoosh(reader)
    finally:
        reader.close()
    for name in ("pid", "cat", "kind", "min_age", "max_age", "anywhere", "intake_ptr", "intake_start", "intake_left",
                 "body_terms", "body_ptr", "body_docs", "body_tfs", "name_terms", "name_docs"):
        assert np.array_equal(written._a[name], rebuilt[name]), name
    assert np.array_equal(written.lat, rebuilt["lat"])
    # Whoosh keeps field lengths as one byte; its lengths are the quantised exact ones.
    exact = written.lengths("body").astype(np.int64)
    assert np.array_equal(rebuilt["body_len"], [index_writer.byte_to_length(b) for b in index_writer.length_bytes(exact)])


def test_a_segment_without_its_arrays_file_is_read_from_whoosh(demo_index):
    index_dir, _ = demo_index
    before = search.search(index_dir, search.SearchQuery(text="counselling", today=TODAY)).total
    ix, segment = only_segment(index_dir)
    os.remove(index_writer.arrays_path(ix.storage, segment))
    search._arrays_cache.clear()
    search._snapshots.clear()
    assert search.search(index_dir, search.SearchQuery(text="counselling", today=TODAY)).total == before
    assert os.path.exists(index_writer.arrays_path(ix.storage, segment))


def test_updates_keep_few_segments_and_compacting_changes_no_result(demo_index):
    index_dir, listings = demo_index
    query = search.SearchQuery(text="housing", near=(53.80, -1.55), per_page=100, today=TODAY)
    before = [h.provision_id for h in search.search(index_dir, query).hits]
    for p in listings[:40]:
        search.update_provisions(index_dir, [p])
    assert len(search._snapshot(index_dir).parts) <= 2
    assert [h.provision_id for h in search.search(index_dir, query).hits] == before
    search.compact(index_dir)
    assert len(search._snapshot(index_dir).parts) == 1
    assert [h.provision_id for h in search.search(index_dir, query).hits] == before


def test_an_index_of_an_older_layout_is_emptied_not_misread(tmp_path, caplog, monkeypatch):
    from whoosh.fields import ID, TEXT, Schema

    # Alembic's logging setup (run by the database fixture) disables loggers it did not name.
    monkeypatch.setattr(search.log, "disabled", False)
    old = str(tmp_path / "old")
    os.makedirs(old)
    ix = whoosh_index.create_in(old, Schema(doc_key=ID(unique=True, stored=True), name=TEXT()))
    with ix.writer() as w:
        w.add_document(doc_key="1:0", name="Old hostel")
    assert search.search(old, search.SearchQuery(today=TODAY)).total == 0
    assert "run `broker reindex`" in caplog.text


def test_one_analysis_for_whoosh_the_fast_path_and_the_segment_builder(demo_index):
    index_dir, listings = demo_index
    arrays = search._snapshot(index_dir).parts[0][0]
    for p in listings[:60]:
        text = f"{p.name} {p.description}"
        assert analyse(text) == dict(__import__("collections").Counter(t.text for t in ANALYZER(text)))
    first = next(p for p in listings if p.status == "active")
    doc = int(np.flatnonzero(arrays.pid == first.id)[0])
    terms = arrays.terms("name")
    built = {terms[t] for t in range(len(terms))
             if doc in arrays.docs("name")[arrays.ptr("name")[t]:arrays.ptr("name")[t + 1]]}
    assert built == set(analyse(first.name))


def test_the_shipped_thesaurus_is_consistent_and_reaches_every_kind():
    th = thesaurus.load()
    needs = {(e.category, e.kind) for e in th.entries() if e.role == "need"}
    for category, kinds in KINDS.items():
        assert (category, None) in needs
        for kind in kinds:
            assert (category, kind) in needs, kind


def test_a_thesaurus_that_contradicts_itself_is_refused_naming_the_entry():
    data = {"need": [{"category": "housing", "says": ["hostel"]}, {"category": "health", "says": ["hostels"]}]}
    with pytest.raises(thesaurus.ThesaurusError, match=r"\[\[need\]\] number 2: 'hostels' is already a need for housing"):
        thesaurus.Thesaurus(data)
    with pytest.raises(thesaurus.ThesaurusError, match="unknown category 'flats'"):
        thesaurus.Thesaurus({"need": [{"category": "flats", "says": ["flat"]}]})


def test_phrases_match_word_forms_in_order_skipping_small_words():
    th = thesaurus.load()
    stems = [None if thesaurus.is_small(w) else segments.stem(w) for w in "she was kicking him out".split()]
    (match,) = th.match(stems)
    assert match.entry.category == "housing" and match.positions == (2, 4)
    # The longest phrase wins: "mum kicked out" over "kicked out".
    stems = [None if thesaurus.is_small(w) else segments.stem(w) for w in "mum kicked him out".split()]
    (match,) = th.match(stems)
    assert match.entry.says == "mum kicked out" and match.positions == (0, 1, 3)


def test_the_corrector_prefers_the_nearer_then_the_commoner_word():
    corrector = VocabularyCorrector({"accommodation": 3, "housing": 40, "hosting": 1, "hostel": 9})
    assert best_correction(corrector, "accomodation") == "accommodation"  # the vocabulary's first word
    assert best_correction(corrector, "hosing") == "housing"
    assert best_correction(corrector, "hstl") is None  # too short to guess at
