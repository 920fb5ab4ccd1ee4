"""How listing text and search words become index terms: one analysis for both.

Words are runs of letters and digits, lower-cased; English stop words and
one-character words are dropped; the rest are Porter-stemmed ("courses" ->
"cours"). `ANALYZER` is the same chain written as a Whoosh analyzer, kept in the
index schema so Whoosh's own query parser reads the index as we do; `analyse` and
the segment builder's bulk path (broker.directory.segments) read text the same way
(tests check all three agree).
"""
from __future__ import annotations

import re
from collections import Counter

from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.lang.porter import stem as porter_stem

WORD_PATTERN = r"[^\W_]+"
MIN_WORD = 2
WORD = _WORD = re.compile(WORD_PATTERN)
ANALYZER = StemmingAnalyzer(expression=WORD_PATTERN, stoplist=STOP_WORDS, minsize=MIN_WORD)

_stems: dict[str, str | None] = {}


def stem(word: str) -> str | None:
    """The index term of one lower-case word, or None for a stop word or a single letter."""
    term = _stems.get(word, "")
    if term == "":
        term = None if word in STOP_WORDS or len(word) < MIN_WORD else porter_stem(word)
        if len(_stems) < 200_000:  # bounded: words beyond this are simply not cached
            _stems[word] = term
    return term


def words(text: str) -> list[str]:
    """The lower-case words of a text, in order (stop words included)."""
    return _WORD.findall(text.lower())


def analyse(text: str) -> Counter:
    """Term -> frequency in one text (the index's reading of it)."""
    terms: Counter = Counter()
    for word in _WORD.findall(text.lower()):
        term = stem(word)
        if term is not None:
            terms[term] += 1
    return terms
