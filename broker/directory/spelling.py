"""Spelling correction from the index's own vocabulary, with Whoosh's corrector.

Only words that neither the listings nor the thesaurus know are corrected, so a
rare but real word is never "fixed". Candidates come from Whoosh's Levenshtein
automata over the sorted vocabulary; the nearest wins, then the commoner.
"""
from __future__ import annotations

import math
from bisect import bisect_left

from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton
from whoosh.spelling import Corrector

MIN_LENGTH = 5  # shorter words are too often abbreviations (YOT, SEMH) to guess at
TWO_EDITS_FROM = 8  # a word must be this long before a correction may change two letters


class VocabularyCorrector(Corrector):
    """Suggests words from a vocabulary of word -> number of listings using it."""

    def __init__(self, frequencies: dict[str, int]):
        self.frequencies = frequencies
        self.words = sorted(frequencies)

    def knows(self, word: str) -> bool:
        return word in self.frequencies

    def _next_word(self, prefix: str):
        # The first vocabulary word at or after `prefix` (what the automaton walks).
        # Whoosh's ListCorrector.Skipper misses the list's first word, so this is our own.
        at = bisect_left(self.words, prefix)
        return self.words[at] if at < len(self.words) else None

    def _suggestions(self, text, maxdist, prefix):
        seen = set()
        for distance in range(1, maxdist + 1):
            dfa = levenshtein_automaton(text, distance, prefix).to_dfa()
            for word in find_all_matches(dfa, self._next_word):
                if word not in seen:
                    seen.add(word)
                    # Nearer first; among equally near words, the one more listings use.
                    yield -distance + math.log1p(self.frequencies[word]) / 100, word


class CombinedCorrector(Corrector):
    """Suggestions from several vocabularies, a word's best score kept. (Whoosh's
    MultiCorrector yields (word, score) where Corrector.suggest expects (score, word).)"""

    def __init__(self, correctors):
        self.correctors = correctors

    def knows(self, word: str) -> bool:
        return any(c.knows(word) for c in self.correctors)

    def _suggestions(self, text, maxdist, prefix):
        best: dict[str, float] = {}
        for corrector in self.correctors:
            for score, word in corrector._suggestions(text, maxdist, prefix):
                best[word] = max(score, best.get(word, score))
        return ((score, word) for word, score in best.items())


def best_correction(corrector: Corrector, word: str) -> str | None:
    """The correction for one misspelt word, or None if nothing is close enough."""
    if len(word) < MIN_LENGTH or not word.isalpha():
        return None
    # One edit for shorter words: two would turn real words the listings do not use into
    # ones they do ("bullying" -> "building"). Swapped letters count as one edit.
    maxdist = 1 if len(word) < TWO_EDITS_FROM else 2
    found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
    if found:
        return found[0]
    for i in range(1, len(word) - 1):  # the first letter is kept, as above
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if swapped != word and corrector.knows(swapped):
            return swapped
    return None
