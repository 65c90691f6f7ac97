"""Lab results written inside a finding or condition: "CK 18,824 u/l", "K+ 2.9", "CPK and LDH raised".

A result is a lab's name (its vocabulary name or a synonym), then a value with an optional unit, or a
qualitative word (raised, normal, low). A value without a unit is read in the one unit of the lab that
puts it nearest the lab's reference interval; when two units both read plausibly and disagree (Mg 1.2:
high in mmol/L, low in mg/dL) the value is not guessed but listed as unreadable. A phrase the concept
vocabulary already names ("low potassium" is hypokalaemia) stays a concept and is not read twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .model import Lab

_SHORT = 3  # names this short ("Mg", "GOT", "LD") match only as written or in capitals: "got 2 doses", "40 mg"
_LOWER_SAFE = ("ck", "cpk")  # short names with no other meaning in lower case
_NUMBER = r"[<>]?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_LINK = r"(?:\s*(?:of|at|was|is|are|were|=|:|level|levels|value|result|now|peaked at|peak|up to|~|approx\.?)\s*)*"
_VALUE = re.compile(
    r"\s*\)?" + _LINK + r"(" + _NUMBER + r")(?:\s?(x\s?ULN|x\s?normal|times\s+(?:the\s+)?(?:ULN|normal)"
    r"|[^\s,;()]+(?:\s?FEU)?))?",
    re.IGNORECASE,
)
_WORD = r"(not\s+(?:raised|elevated|high|increased|low|reduced)|raised|elevated|high|increased|up|normal|nml|wnl|nl"
_WORD += r"|within normal limits|low|decreased|reduced)"
_AFTER = re.compile(
    r"\s*\)?" + _LINK + r"(?:both\s+|all\s+)?(?:(?:markedly|mildly|very|slightly|significantly)\s+)?" + _WORD + r"\b",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"\d|rais|elevat|high|norm|nml|wnl|\bnl\b|low|decreas|reduc|\bup\b|increas", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z0-9]+")
_BEFORE = re.compile(r"\b(raised|elevated|increased|high|normal|low)\s+$", re.IGNORECASE)
# "air temperature 31.6 C", "room temperature", "water temperature": a measure of the surroundings.
_SURROUNDINGS = re.compile(
    r"\b(?:air|ambient|room|outside|outdoor|water|environmental|weather|bath|shade)\s+$", re.IGNORECASE
)
_JOIN = re.compile(r"\s*(?:,|and|&|/)\s*", re.IGNORECASE)
_STATUS = {
    "raised": "high",
    "elevated": "high",
    "high": "high",
    "increased": "high",
    "up": "high",
    "low": "low",
    "decreased": "low",
    "reduced": "low",
}
_UNIT_LIKE = re.compile(r"[/%°]|^(?:c|f|mmol|meq|mg|g|iu|u|ng|ug|pmol|nmol|umol)$", re.IGNORECASE)
_ULN = re.compile(r"(?:x|times)", re.IGNORECASE)
# An earlier result (ConText's "historical" modifier, Harkema 2009) is not the patient's state now:
# "creatinine 95 before the infusion", "baseline CPK 102", "Na 131 last year".
_SENTENCE = re.compile(r";|\.(?:\s|$)|\n")
_EARLIER = re.compile(
    r"\b(?:before|baseline|previous|previously|prior|pre|earlier|ago|last\s+(?:week|month|year|admission|visit)"
    r"|in\s+(?:19|20)\d\d|old\s+result)\b",
    re.IGNORECASE,
)
EARLIER = "an earlier result, not the current one: not used"
# A number followed by one of these is a time or a count, not a result ("CK 3 days ago was 500").
_NOT_RESULT = re.compile(
    r"(?:d|days?|w|wks?|weeks?|mo|months?|y|yrs?|years?|h|hrs?|hours?|mins?|minutes?|x|times|doses?|am|pm)\.?$",
    re.IGNORECASE,
)
Convert = Callable[[str, str], "tuple[float, float] | None"]  # (lab, unit) -> (factor, offset), None if unknown


@dataclass(frozen=True, slots=True)
class LabMention:
    """One result read from text: a value in the lab's canonical unit, or a status (high, low, normal)."""

    lab: str
    value: float | None
    status: str  # "" for a value
    uln_multiple: float | None  # "CK 12 x ULN"
    shown: str
    problem: str = ""  # why it could not be read ("" when it was)


class LabText:
    """The labs' names as one pattern, and the reading of what follows each."""

    def __init__(self, labs: Iterable[Lab]) -> None:
        self.labs = {lab.id: lab for lab in labs if lab.conversions}
        ids: dict[str, str] = {}
        for lab in self.labs.values():
            for name in (lab.name, *lab.synonyms):
                ids.setdefault(_key(name), lab.id)
        self._ids = ids
        every = {n.lower() for lab in self.labs.values() for n in (lab.name, *lab.synonyms)}
        # The first word of every name (and "anti"), so that the pattern is tried only where one stands.
        self._first_words = {first[0] for first in (_WORDS.findall(n) for n in every) if first} | {"anti"}
        long = sorted((n for n in every if len(n) > _SHORT), key=len, reverse=True)
        short = sorted((s for lab in self.labs.values() for s in lab.synonyms if len(s) <= _SHORT), key=len)[::-1]
        forms = [*short, *(s.upper() for s in short), *(s for s in _LOWER_SAFE if s in ids)]
        written = [re.escape(f) for f in dict.fromkeys(forms)]
        names = "|".join([f"(?i:{'|'.join(_flexible(n) for n in long)})", *written])
        self._names = re.compile(rf"(?<![\w.])(?<!\d\s)(anti[\s-]?)?({names})(?![\w])")

    def read(self, text: str, convert: Convert) -> tuple[LabMention, ...]:
        """Return the results the text states, each in its lab's canonical unit; earlier ones flagged as such."""
        out: list[LabMention] = []
        if not _MAYBE.search(text):
            return ()  # most findings state no result: one cheap scan rules them out
        for sentence in _SENTENCE.split(text):
            said = self._read(sentence, convert)
            if said and _EARLIER.search(sentence):
                said = [LabMention(m.lab, None, "", None, m.shown, m.problem or EARLIER) for m in said]
            out.extend(said)
        return tuple(out)

    def _read(self, text: str, convert: Convert) -> list[LabMention]:
        out: list[LabMention] = []
        pending: list[tuple[str, int]] = []  # names joined by "and" that share one qualitative word
        last_end = -1
        for found in self._matches(text):
            # An antibody against the analyte ("anti-HMGCR") is not the analyte, nor the air's temperature the body's.
            if found.group(1) or _SURROUNDINGS.search(text[: found.start()]):
                pending = []
                continue
            lab = self._ids[_key(found.group(2))]
            joined = pending and _JOIN.fullmatch(text[last_end : found.start()])
            pending = [*(pending if joined else []), (lab, found.start())]
            last_end = found.end()
            rest = text[found.end() :]
            value = _VALUE.match(rest)
            if value and len(pending) == 1:
                out.extend(self._valued(lab, text[found.start() : found.end() + value.end()], value, convert))
                pending = []
                continue
            word = _AFTER.match(rest)
            before = _BEFORE.search(text[: pending[0][1]])
            if word or before:
                said = (word.group(1) if word else before.group(1) if before else "").lower()
                start = before.start() if before and not word else pending[0][1]
                end = found.end() + word.end() if word else found.end()
                status = _STATUS.get(said, "normal")  # "normal", "wnl", and "not raised" or "not low"
                out.extend(LabMention(lab_id, None, status, None, text[start:end]) for lab_id, _ in pending)
                pending = []
        return out

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        """The names in the text, as `finditer` would find them, tried only where a name's first word stands."""
        end = 0
        for word in _WORDS.finditer(text):
            if word.start() < end or word.group(0).lower() not in self._first_words:
                continue
            found = self._names.match(text, word.start())
            if found:
                end = found.end()
                yield found

    def _valued(self, lab: str, shown: str, value: re.Match[str], convert: Convert) -> tuple[LabMention, ...]:
        """The result a number states, () when the number is a time or a count ("CK 3 days ago")."""
        number = float(value.group(1).lstrip("<> ").replace(",", ""))
        unit = (value.group(2) or "").rstrip(".")
        if _NOT_RESULT.match(unit):
            return ()
        if unit.lower() == "k":  # "CK 45k"
            number, unit = number * 1000, ""
        if _ULN.match(unit) and ("uln" in unit.lower() or "normal" in unit.lower()):
            return (LabMention(lab, None, "", number, shown),)
        if unit and not _UNIT_LIKE.search(unit.replace(" FEU", "")):
            unit, shown = "", shown[: len(shown) - len(value.group(2))].rstrip()  # "CK 4200 with ..."
        read = self._in_unit(lab, number, unit, convert)
        if read is not None:
            return (LabMention(lab, read, "", None, shown),)
        name = self.labs[lab].name
        why = (
            f"unit not known for {name} (expected e.g. {self.labs[lab].unit})"
            if unit
            else f"{name} {number:g} without a unit reads plausibly in more than one unit; give the unit"
        )
        return (LabMention(lab, None, "", None, shown, why),)

    def _in_unit(self, lab: str, number: float, unit: str, convert: Convert) -> float | None:
        if unit:
            known = convert(lab, unit)
            return None if known is None else number * known[0] + known[1]
        spec = self.labs[lab]
        low, high = spec.reference.low, spec.reference.high
        # Equivalents (mEq/L of a divalent ion) are written when meant: never assumed for a bare number.
        units = [u for u, f in spec.conversions.items() if f == 1.0 or "eq" not in u.lower()]
        readings = sorted({number * spec.conversions[u] + spec.offsets.get(u, 0.0) for u in units})
        if len(readings) == 1 or (low is None and high is None):
            return number * spec.conversions.get(spec.unit, 1.0)
        scored = sorted((_distance(r, low, high), r) for r in readings)
        (best, value), (second, other) = scored[0], scored[1]
        if second - best < math.log(2) and _side(value, low, high) != _side(other, low, high):
            return None
        return value


def _key(name: str) -> str:
    """A name's lookup key: "D-dimer", "d dimer" and "D dimer" meet."""
    return re.sub(r"[\s-]+", "", name.lower())


def _flexible(name: str) -> str:
    """A name as a pattern that lets a space and a hyphen stand for each other ("D-dimer", "D dimer")."""
    return r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", name))


def _distance(value: float, low: float | None, high: float | None) -> float:
    """How far a value lies outside the reference interval, in log units (0 inside it)."""
    if value <= 0:
        return math.inf
    if low is not None and low > 0 and value < low:
        return math.log(low / value)
    if high is not None and value > high:
        return math.log(value / high)
    return 0.0


def _side(value: float, low: float | None, high: float | None) -> int:
    return -1 if low is not None and value < low else (1 if high is not None and value > high else 0)
