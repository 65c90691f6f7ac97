"""Find the concepts named in free text, and whether the text negates them.

Text is folded to lowercase words; every synonym is found as a whole-word phrase
wherever it starts, so "proximal muscle weakness" names both proximal weakness and
muscle weakness.  Negation follows NegEx (Chapman et al., J Biomed Inform 2001;
34:301-10): a cue such as "no" or "denies" negates what follows it in the same
clause, within a short window; a cue such as "negative" negates what precedes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

_NON_WORD = re.compile(r"[^a-z0-9]+")
_CLAUSES = re.compile(r"[.;:!?\n]|\bbut\b|\bhowever\b|\bexcept\b", re.IGNORECASE)
_PRE_NEGATION = (
    "no", "not", "denies", "denied", "deny", "without", "negative for", "free of",
    "absence of", "absent", "never", "nor", "ruled out", "rules out", "no sign of",
    "no signs of", "no evidence of", "no history of", "non",
)
_POST_NEGATION = ("negative", "absent", "denied", "ruled out", "not present", "excluded", "none")
_PRE_WINDOW = 6  # words between a cue and the concept it negates
_POST_WINDOW = 3


def normalise(text: str) -> str:
    """Fold text to lowercase words separated by single spaces."""
    return _NON_WORD.sub(" ", text.lower()).strip()


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    negated: bool
    phrase: str


class Matcher:
    """A compiled index from phrases (and optional regexes) to ids."""

    def __init__(self, phrases: Mapping[str, Iterable[str]], patterns: Iterable[tuple[str, str]] = ()) -> None:
        self._ids: dict[str, tuple[str, ...]] = {}
        for phrase, ids in phrases.items():
            key = normalise(phrase)
            if key:
                merged = dict.fromkeys(self._ids.get(key, ()) + tuple(ids))
                self._ids[key] = tuple(merged)
        alternatives = sorted(self._ids, key=lambda p: (-len(p), p))
        body = "|".join(re.escape(p) for p in alternatives) or "(?!x)x"
        # A lookahead finds the longest phrase at every word start, overlaps included.
        self._regex = re.compile(rf"(?<![a-z0-9])(?=({body})(?![a-z0-9]))")
        self._patterns = tuple((re.compile(p), concept) for p, concept in patterns)
        self._exact = self._ids

    def exact(self, text: str) -> tuple[str, ...]:
        """Return the ids whose phrase is the whole text."""
        return self._exact.get(normalise(text), ())

    def find(self, text: str) -> list[Hit]:
        """Return every id named in the text, in order of first mention."""
        hits: dict[str, Hit] = {}
        for clause in _CLAUSES.split(text):
            words_text = normalise(clause)
            if not words_text:
                continue
            for match in self._regex.finditer(words_text):
                phrase = match.group(1)
                negated = _negated(words_text, match.start(), match.start() + len(phrase))
                for concept in self._ids[phrase]:
                    _keep(hits, Hit(concept, negated, phrase))
            for regex, concept in self._patterns:
                found = regex.search(words_text)
                if found:
                    negated = _negated(words_text, found.start(), found.end())
                    _keep(hits, Hit(concept, negated, found.group(0)))
        return list(hits.values())


def _keep(hits: dict[str, Hit], hit: Hit) -> None:
    # An affirmed mention outweighs a negated one of the same concept in one text.
    current = hits.get(hit.id)
    if current is None or (current.negated and not hit.negated):
        hits[hit.id] = hit


def _negated(text: str, start: int, end: int) -> bool:
    before = text[:start].split()[-_PRE_WINDOW:]
    after = text[end:].split()[:_POST_WINDOW]
    return _has_cue(before, _PRE_NEGATION) or _has_cue(after, _POST_NEGATION)


def _has_cue(words: list[str], cues: tuple[str, ...]) -> bool:
    joined = f" {' '.join(words)} "
    return any(f" {cue} " in joined for cue in cues)
