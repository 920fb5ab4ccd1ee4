"""What a PA's search words ask for: spelling corrected, thesaurus phrases read as
needs, a place named in the words read as a place, and notices saying each of these.

The result is a list of units the search evaluates (broker.directory.search):

- need: a phrase naming a need ("somewhere to live" -> housing). Listings of the
  category answer it; so do listings using the typed words. Its kind, if any, and
  the thesaurus' `finds` words only rank.
- synonym: narrower words ("sparky"); a listing must use the word or a `finds` word;
  the category (if any) is favoured, and used when nothing uses the words.
- word: any other word; a listing must use it.
- filler: words like "young person" or "asap"; never required, they only rank.

With `exact`, the words are taken as typed: no correction, no thesaurus, no place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Protocol

from broker.directory.analysis import stem as index_term
from broker.directory.thesaurus import Thesaurus, is_small
from broker.geography import Place, local_place
from broker.taxonomy import category_label, kind_label

_WORD = re.compile(r"[^\W_]+")
# "17 year old", "17yo", "aged 17": an age to favour (never a filter: the PA may not mean it).
_AGE = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:years?|yrs?|yr)[\s-]*olds?\b|\baged?\s+(\d{1,2})\b|\b(\d{1,2})\s*yo\b")
MAX_PLACE_WORDS = 3


class Vocabulary(Protocol):
    """What the index knows, for telling a misspelling from a rare word."""

    def knows(self, word: str) -> bool: ...

    def correction(self, word: str) -> Optional[str]: ...


@dataclass(frozen=True)
class Unit:
    text: str  # the words as the PA typed them (after correction)
    role: str  # "need" | "synonym" | "word" | "filler"
    literal: tuple[str, ...]  # index terms of the typed words
    finds: tuple[str, ...] = ()  # index terms of the words listings use for it
    category: Optional[str] = None
    kind: Optional[str] = None

    @property
    def required(self) -> bool:
        return self.role != "filler"


@dataclass
class Understanding:
    units: list[Unit] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (typed, corrected)
    corrected_text: Optional[str] = None
    place: Optional[Place] = None
    age: Optional[int] = None  # an age named in the words, favoured in ranking
    notices: list[dict] = field(default_factory=list)

    @property
    def required(self) -> list[Unit]:
        return [u for u in self.units if u.required]


def _terms(words) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (index_term(w) for w in words) if t))


def _label(category, kind) -> str:
    return f"{category_label(category)}: {kind_label(category, kind)}" if kind else category_label(category)


def understand(text: str, vocabulary: Vocabulary, thesaurus: Thesaurus, *, exact: bool = False,
               find_places: bool = True) -> Understanding:
    """Read search words into units, corrections and notices."""
    spans = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [w for w, _, _ in spans]
    result = Understanding()
    if exact:
        result.units = [Unit(w, "word", _terms([w])) for w in words if not is_small(w) and index_term(w)]
        return result

    for i, word in enumerate(words):
        corrected = thesaurus.spelling.get(word)
        if corrected is None and not _known(word, vocabulary, thesaurus):
            corrected = vocabulary.correction(word)
        if corrected and corrected != word:
            result.corrections.append((word, corrected))
            words[i] = corrected
    if result.corrections:
        result.corrected_text = _rewrite(text, spans, words)
        typed = " ".join(text.split())
        result.notices.append({
            "type": "corrected",
            "message": f"Showing results for {result.corrected_text} (you searched for {typed})",
            "searched_for": typed,
            "showing": result.corrected_text,
        })

    stems = [None if is_small(w) else index_term(w) for w in words]
    taken: set[int] = set()
    for match in thesaurus.match(stems):
        entry = match.entry
        typed = " ".join(words[i] for i in range(match.positions[0], match.positions[-1] + 1))
        taken.update(range(match.positions[0], match.positions[-1] + 1))
        unit = Unit(typed, entry.role, _terms(words[i] for i in match.positions), entry.finds, entry.category, entry.kind)
        result.units.append(unit)
        if entry.role == "need" and not _is_label(typed, entry.category, entry.kind):
            message = f"Searching for {_label(entry.category, entry.kind)}: \u201c{typed}\u201d"
        elif entry.role == "synonym":
            others = [w for w in entry.finds_words if w != typed][:4]
            message = f"Also searching for {', '.join(others)}: \u201c{typed}\u201d" if others else None
        else:
            message = None
        if message:
            result.notices.append({
                "type": "expanded",
                "message": message,
                "phrase": typed,
                "category": entry.category,
                "kind": entry.kind,
            })

    leftover = [i for i, s in enumerate(stems) if s is not None and i not in taken]
    if find_places:
        leftover = _take_place(words, leftover, result)
    for i in leftover:
        terms = _terms([words[i]])
        if terms:
            # A number ("17", "17yo", "2025") says too little to require it; it only ranks.
            role = "filler" if any(c.isdigit() for c in words[i]) else "word"
            result.units.append(Unit(words[i], role, terms))
    age = _AGE.search(text.lower())
    if age:
        result.age = int(age.group(1) or age.group(2) or age.group(3))
    return result


def _known(word: str, vocabulary: Vocabulary, thesaurus: Thesaurus) -> bool:
    return (
        is_small(word)
        or not word.isalpha()
        or word in thesaurus.vocabulary
        or vocabulary.knows(word)
        or local_place(word) is not None
    )


def _is_label(typed: str, category: str, kind: Optional[str]) -> bool:
    typed = " ".join(typed.lower().replace("-", " ").split())
    labels = {category_label(category).lower(), category.replace("-", " ")}
    if kind:
        labels |= {kind_label(category, kind).lower(), kind.replace("-", " ")}
    return typed in labels


def _rewrite(text: str, spans, words) -> str:
    out, at = [], 0
    for (typed, start, end), word in zip(spans, words):
        out.append(text[at:start])
        out.append(text[start:end] if typed == word else word)
        at = end
    out.append(text[at:])
    return " ".join("".join(out).split())


def _take_place(words, leftover: list[int], result: Understanding) -> list[int]:
    """Read the longest run of leftover words that names a place ("in hebden bridge")."""
    for size in range(MAX_PLACE_WORDS, 0, -1):
        for n in range(len(leftover) - size + 1):
            run = leftover[n:n + size]
            if run[-1] - run[0] != size - 1:
                continue  # not next to each other
            place = local_place(" ".join(words[i] for i in run))
            if place is not None:
                result.place = place
                return leftover[:n] + leftover[n + size:]
    return leftover
