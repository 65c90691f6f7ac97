"""Did you mean: the vocabulary's names nearest to an unrecognised word ("simvastatn" -> Simvastatin).

Only an input nothing matched is looked at, so the cost falls on the rare unrecognised item;
answers are kept per text (the same misspellings recur across a batch).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

from .matching import normalise

MIN_WORD = 4  # shorter words ("mg", "od", "k") match too much to suggest anything
CUTOFF = 82  # similarity (0-100) a suggestion must reach: one slip in a 6-letter word, two in a 12-letter one
MAX_SUGGESTIONS = 3


class Speller:
    """The names of one kind of entry (drugs, findings and conditions, labs), each with its display name."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        shown: dict[str, str] = {}  # phrase (normalised) -> the entry's display name
        for name, phrases in entries:
            for phrase in (name, *phrases):
                shown.setdefault(normalise(phrase), name)
        self._phrases = [p for p in shown if len(p) >= MIN_WORD]
        self._shown = shown
        self.near = lru_cache(maxsize=4096)(self._near)

    def _near(self, text: str) -> tuple[str, ...]:
        """Up to three display names, nearest first, for the whole text or any of its words."""
        words = normalise(text).split()
        queries = [" ".join(words), *(w for w in words if len(w) >= MIN_WORD and not w[0].isdigit())]
        scored: dict[str, float] = {}
        for query in dict.fromkeys(queries):
            for phrase, score, _ in process.extract(
                query, self._phrases, scorer=fuzz.ratio, score_cutoff=CUTOFF, limit=MAX_SUGGESTIONS
            ):
                name = self._shown[phrase]
                scored[name] = max(score, scored.get(name, 0.0))
        ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
        return tuple(name for name, _ in ranked[:MAX_SUGGESTIONS])
