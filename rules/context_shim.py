"""TEMPORARY stand-in for rules/context.py (branch `context`) until it is merged: deleted then."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    section: str | None


@dataclass(frozen=True, slots=True)
class Modifiers:
    negated: bool
    temporality: str
    experiencer: str
    cue: str | None


_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")
_NEG = re.compile(r"\b(no|not|denies|denied|without|negative for)\b[^,]*$", re.I)
_NEG_AFTER = re.compile(r"^[^,]{0,30}\b(negative|absent|denied)\b", re.I)
_HIST = re.compile(r"\b(h/o|history of|previous|prior|stopped|resolved|in 19\d\d|in 20\d\d)\b|\b(19|20)\d\d\b", re.I)
_HYPO = re.compile(r"\b(if|return if|should|rule out|r/o)\b|\?", re.I)
_OTHER = re.compile(r"\b(mother|father|sister|brother|family history|fhx)\b", re.I)


class ContextShim:
    def split(self, text: str) -> tuple[Sentence, ...]:
        out = []
        start = 0
        for m in _SPLIT.finditer(text):
            if m.start() > start:
                out.append(Sentence(start, m.start(), None))
            start = m.end()
        if start < len(text):
            out.append(Sentence(start, len(text), None))
        return tuple(out)

    def modifiers(self, text: str, sentence: Sentence, start: int, end: int) -> Modifiers:
        before = text[sentence.start : start]
        after = text[end : sentence.end]
        whole = text[sentence.start : sentence.end]
        negated = bool(_NEG.search(before) or _NEG_AFTER.search(after))
        temporality = "hypothetical" if _HYPO.search(before) else "historical" if _HIST.search(whole) else "recent"
        experiencer = "other" if _OTHER.search(before) else "patient"
        return Modifiers(negated, temporality, experiencer, None)
