"""The youth-services thesaurus: the words PAs use, mapped to the taxonomy.

The data is `directory_data/thesaurus.toml` (its header says how to edit it); every
category and kind label in broker.taxonomy is a need too, so a new kind is searchable
by its name the day it is added. Phrases are compared as word stems with small words
left out, so "kicked out by his parents" matches the phrase "kicked out by parents".
"""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from broker.config import PROJECT_ROOT
from broker.directory.analysis import stem as index_term
from broker.directory.analysis import words as split_words
from broker.taxonomy import CATEGORIES, KINDS

THESAURUS_FILE = PROJECT_ROOT / "directory_data" / "thesaurus.toml"

# Left out when phrases are compared: they change nothing about what is asked for.
SMALL_WORDS = frozenset(STOP_WORDS) | {
    "his", "her", "hers", "their", "my", "our", "him", "them", "he", "she", "they", "i", "me", "its",
    "s", "t", "has", "had", "was", "were", "been", "being", "do", "does", "did", "dont", "doesnt",
    "cant", "wont", "isnt", "im", "hes", "shes", "theyre", "very", "just", "so", "too", "also",
    "get", "got", "getting", "who", "which", "what", "some", "there", "than", "then", "into", "onto",
}
MAX_GAP = 1  # words allowed between two words of a phrase ("somewhere safe to live")


@dataclass(frozen=True)
class Entry:
    """One phrase of the thesaurus and what it stands for."""

    says: str  # the phrase as written in the thesaurus
    stems: tuple[str, ...]  # the phrase's words as stems, small words left out
    role: str  # "need" | "synonym" | "filler"
    category: str | None = None
    kind: str | None = None
    finds: tuple[str, ...] = ()  # stems of the words listings use for it
    finds_words: tuple[str, ...] = ()  # the same words as written, to show

    @property
    def specificity(self) -> int:
        return 2 if self.kind else 1 if self.category else 0


@dataclass(frozen=True)
class Match:
    entry: Entry
    positions: tuple[int, ...]  # which of the query's words it took


class ThesaurusError(ValueError):
    """The thesaurus file contradicts itself or the taxonomy; the message names the entry."""


def is_small(word: str) -> bool:
    return len(word) < 2 or word in SMALL_WORDS


def phrase_stems(text: str) -> tuple[str, ...]:
    # index_term is Porter's stem (cached) for every word that is not small.
    return tuple(index_term(w) for w in split_words(text) if not is_small(w))


class Thesaurus:
    def __init__(self, data: dict):
        self.spelling: dict[str, str] = {k.lower(): v.lower() for k, v in data.get("spelling", {}).items()}
        self.vocabulary: set[str] = set(self.spelling.values())
        self._by_stems: dict[tuple[str, ...], Entry] = {}
        self._problems: list[str] = []
        for role in ("need", "synonym"):
            for number, item in enumerate(data.get(role, []), start=1):
                self._add_item(role, number, item)
        for phrase in data.get("filler", {}).get("words", []):
            self.vocabulary.update(split_words(phrase))
            self._add(Entry(phrase, phrase_stems(phrase), "filler"), "filler")
        self._add_taxonomy_labels()
        if self._problems:
            raise ThesaurusError("; ".join(self._problems))
        self._by_first: dict[str, list[Entry]] = {}
        for entry in self._by_stems.values():
            self._by_first.setdefault(entry.stems[0], []).append(entry)
        for entries in self._by_first.values():
            entries.sort(key=lambda e: (-len(e.stems), -e.specificity))

    def _add_item(self, role: str, number: int, item: dict) -> None:
        where = f"[[{role}]] number {number}"
        category, kind = item.get("category"), item.get("kind")
        if role == "need" and category is None:
            raise ThesaurusError(f"{where}: a need must name its category")
        if category is not None and category not in CATEGORIES:
            raise ThesaurusError(f"{where}: unknown category {category!r}")
        if kind is not None and kind not in KINDS.get(category, {}):
            raise ThesaurusError(f"{where}: {kind!r} is not a kind of {category!r}")
        finds = tuple(dict.fromkeys(s for w in item.get("finds", []) for s in phrase_stems(w)))
        for text in item.get("says", []) + item.get("finds", []):
            self.vocabulary.update(w for w in split_words(text) if len(w) > 2)
        finds_words = tuple(item.get("finds", []))
        for phrase in item.get("says", []):
            self._add(Entry(phrase, phrase_stems(phrase), role, category, kind, finds, finds_words), where)

    def _add(self, entry: Entry, where: str, *, replace: bool = True) -> None:
        if not entry.stems:
            return  # only small words: nothing to match on
        old = self._by_stems.get(entry.stems)
        if old is None:
            self._by_stems[entry.stems] = entry
            return
        if not replace or old.role == entry.role == "filler":
            return
        same_need = old.role == entry.role and old.category == entry.category
        if not same_need:
            self._problems.append(
                f"{where}: {entry.says!r} is already a {old.role} for {old.category or 'no category'}"
                f" ({old.says!r}); a phrase can stand for one thing only"
            )
            return
        # The same phrase under a category and under one of its kinds: the kind is meant.
        if entry.specificity > old.specificity:
            self._by_stems[entry.stems] = entry
        elif entry.specificity == old.specificity and entry.kind != old.kind:
            self._problems.append(f"{where}: {entry.says!r} is under both {old.kind!r} and {entry.kind!r}")

    def _add_taxonomy_labels(self) -> None:
        for label in list(CATEGORIES.values()) + [k for kinds in KINDS.values() for k in kinds.values()]:
            self.vocabulary.update(w for w in split_words(label) if len(w) > 2)
        for category, label in CATEGORIES.items():
            finds = phrase_stems(label)
            for phrase in (label, category.replace("-", " ")):
                self._add(Entry(phrase, phrase_stems(phrase), "need", category, None, finds), "taxonomy", replace=False)
            for kind, kind_label in KINDS[category].items():
                entry = Entry(kind_label, phrase_stems(kind_label), "need", category, kind, phrase_stems(kind_label))
                self._add(entry, "taxonomy", replace=False)

    def entries(self) -> list[Entry]:
        return list(self._by_stems.values())

    def match(self, stems: list[str | None]) -> list[Match]:
        """The phrases found in a query's word stems (None for a small word), longest first,
        never two on the same word."""
        found: list[Match] = []
        for start, first in enumerate(stems):
            for entry in self._by_first.get(first, ()) if first else ():
                positions = self._positions(stems, start, entry.stems)
                if positions:
                    found.append(Match(entry, positions))
        found.sort(key=lambda m: (-len(m.positions), -m.entry.specificity, m.positions[0]))
        taken: set[int] = set()
        chosen = []
        for m in found:
            if taken.isdisjoint(m.positions):
                chosen.append(m)
                taken.update(m.positions)
        return sorted(chosen, key=lambda m: m.positions[0])

    @staticmethod
    def _positions(stems, start, wanted) -> tuple[int, ...] | None:
        positions = [start]
        at = start
        for stem in wanted[1:]:
            # The next word of the phrase, skipping small words and at most MAX_GAP others.
            gap, at = 0, at + 1
            while at < len(stems) and stems[at] != stem:
                if stems[at] is not None:
                    gap += 1
                    if gap > MAX_GAP:
                        return None
                at += 1
            if at >= len(stems):
                return None
            positions.append(at)
        return tuple(positions)


def load(path: Path = THESAURUS_FILE) -> Thesaurus:
    with open(path, "rb") as handle:
        return Thesaurus(tomllib.load(handle))


@functools.cache
def default() -> Thesaurus:
    """The shipped thesaurus, read once per process."""
    return load()
