"""Split a clinical note into sentences, each under the kind of section its heading opens."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a note: character offsets [start, end) and its section's kind (or None)."""

    start: int
    end: int
    section: str | None


# Where a sentence may end.  Each alternative is tried left to right in one pass over the text.
_BREAK = re.compile(
    r"(?P<blank>\n[ \t]*(?:\n[ \t]*)+)"  # a blank line
    r"|(?P<line>\n)"  # a line break: a boundary only before a list item or a label, or after a heading
    r"|(?P<stop>[.!?]+)[\"')\]]*(?=\s|$)"  # a full stop, unless it closes an abbreviation
    r"|(?P<semi>;)"  # a semicolon: a boundary between review-of-systems answers
    # within a line, a numbered item ("1) stenosis 2) colitis") or a label in capitals ("PLAN: ...")
    r"|(?P<inline>(?<=\s)(?:\d{1,2}\)\s|(?<![A-Z/&()] )[A-Z][A-Z/&]+(?:[ ][A-Z/&()]+){0,5}:(?=\s)))"
)
# A line that opens a list item ("- cramps", "2) CK 4200") or a label ("Fever: no", "PMH: ...").
_ITEM = re.compile(r"[ \t]*(?:[-*•·◦]\s|\d{1,2}[.)]\s|[A-Za-z][\w /&'()-]{0,40}(?::|\s[-–]\s))")
# An answer after a semicolon ("; chills: no", "; denies chills") also opens a new sentence.
_ANSWER = re.compile(r"\s*(?:[A-Za-z][\w /'-]{0,30}[:-]|(?:no|denies|negative|positive|reports)\b)", re.IGNORECASE)
# A heading opening a sentence: words, then a colon.
# A line that opens with a capital after one that does not go on ("No fever\nCramps at night")
# starts a sentence; a line that ends on a comma or a little word ("worse\nafter", "denies\nFever")
# goes on.  Notes leave out full stops at line ends.
_NEW_LINE_SENTENCE = re.compile(r"[ \t]*[A-Z]")
_GOES_ON = re.compile(
    r"(?:[,:;(/&+-]|\b(?:and|or|of|with|without|the|a|an|to|for|in|on|at|by|from|but|no|not|nor|denies|"
    r"negative|positive|including|as|than|his|her|their|is|are|was|were|has|had|have|vs|e\.g|i\.e))[ \t]*$",
    re.IGNORECASE,
)
_HEADING = re.compile(r"[ \t]*(?:[-*•]\s*)?(?P<head>[A-Za-z][A-Za-z0-9 /&'()-]{0,48}?)[ \t]*:(?!\S)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]?$")  # b.i.d, e.g, p.r.n: letters joined by dots


_OWNER = re.compile(r"^(?:his|her|their|the patient's|patient's|pt's) ")  # "HIS SOCIAL HISTORY:"


def _normal(words: str) -> str:
    return _OWNER.sub("", " ".join(words.lower().replace(".", "").split()))


class Splitter:
    """Sentences and sections, from the headings and abbreviations of the cue lexicon."""

    def __init__(self, headings: Mapping[str, str], abbreviations: Iterable[str]) -> None:
        self._headings = {_normal(head): kind for head, kind in headings.items()}
        self._abbreviations = frozenset(a.lower().rstrip(".") for a in abbreviations)

    def split(self, text: str) -> tuple[Sentence, ...]:
        """The note's sentences, in order, each with the section it stands under."""
        sentences: list[Sentence] = []
        section: str | None = None
        start = 0
        for end, after in self._breaks(text):
            section = self._emit(text, start, end, section, sentences)
            start = after
        self._emit(text, start, len(text), section, sentences)
        return tuple(sentences)

    def _breaks(self, text: str) -> Iterable[tuple[int, int]]:
        """(end of a sentence, start of the next) for each boundary, left to right."""
        for match in _BREAK.finditer(text):
            kind = match.lastgroup
            if kind == "blank":
                yield match.start(), match.end()
            elif kind == "line":
                after = match.end()
                if (
                    _ITEM.match(text, after)
                    or self._ends_item_line(text, match.start())
                    or _NEW_LINE_SENTENCE.match(text, after)
                    and not _GOES_ON.search(text, max(0, match.start() - 16), match.start())
                ):
                    yield match.start(), after
            elif kind == "stop":
                stop = match.group("stop")
                if stop == "?" and match.start() > 0 and text[match.start() - 1].isspace():
                    continue  # "swollen calf ? DVT": a question written against a finding
                if stop != "." or not self._abbreviation(text, match.start()):
                    yield match.end(), match.end()
            elif kind == "inline":
                yield match.start(), match.start()
            elif _ANSWER.match(text, match.end()):  # a semicolon
                yield match.start(), match.end()

    def _abbreviation(self, text: str, dot: int) -> bool:
        """Whether the full stop at `dot` closes an abbreviation or a decimal, not a sentence."""
        word = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
        if word is None:
            return False
        token = word.group(1).lower()
        return token in self._abbreviations or _INITIALS.fullmatch(token) is not None

    def _ends_item_line(self, text: str, newline: int) -> bool:
        """Whether the line before `newline` is a heading or a list item, which its line ends."""
        line_start = text.rfind("\n", 0, newline) + 1
        line = text[line_start:newline].strip()
        return bool(line) and (
            line.endswith(":")
            or self._caps_heading(line)
            or _normal(line) in self._headings
            or _ITEM.match(line) is not None
        )

    @staticmethod
    def _caps_heading(line: str) -> bool:
        """A line in capitals without a full stop, of a few words: a heading as notes write them."""
        return line.isupper() and not line.endswith((".", "?", "!")) and len(line.split()) <= 6

    def _emit(self, text: str, start: int, end: int, section: str | None, out: list[Sentence]) -> str | None:
        """Add the sentence in [start, end) after any heading; return the section that follows."""
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            return section
        heading = _HEADING.match(text, start, end)
        if heading is not None and _normal(heading.group("head")) in self._headings:
            section = self._headings[_normal(heading.group("head"))]
            start = heading.end()
            while start < end and text[start].isspace():
                start += 1
            if start >= end:
                return section
        elif _normal(text[start:end].rstrip(":")) in self._headings:
            return self._headings[_normal(text[start:end].rstrip(":"))]
        elif text[end - 1] == ":" and self._caps_heading(text[start:end]) and _line_alone(text, start, end):
            section = None  # an unknown heading ("COURSE:"): what follows is no longer under the last one
        out.append(Sentence(start, end, section))
        return section


def _line_alone(text: str, start: int, end: int) -> bool:
    before = text.rfind("\n", 0, start)
    after = text.find("\n", end)
    return text[before + 1 : start].strip() == "" and text[end : len(text) if after < 0 else after].strip() == ""
