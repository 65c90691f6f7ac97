"""The closed vocabulary of predicates that rules are written in.

A predicate reads resolved facts and answers with three-valued logic: True (the
fact holds), False (it is known not to hold: an explicitly absent finding, a lab
inside the range, a medication list without the drug) or None (nothing is known).
Only True and False move a cause; None leaves it where it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol

from .facts import Facts, Mention

Truth = bool | None
Namer = Callable[[str], str]
UNKNOWN: tuple[None, tuple] = (None, ())
Result = tuple[Truth, tuple[Mention, ...]]
Evaluate = Callable[[Facts], Result]  # a predicate's evaluate, or a compiled one (rules/program.py)

EXPOSURES = {"current": {"current"}, "past": {"past"}, "ever": {"current", "past"}}
LAB_STATUSES = ("low", "high", "normal", "abnormal")


class Predicate(Protocol):
    def evaluate(self, facts: Facts) -> Result: ...

    def keys(self) -> set[str]: ...

    def references(self) -> set[tuple[str, str]]: ...

    def describe(self, name: Namer) -> str: ...


@dataclass(frozen=True, slots=True)
class Bounds:
    """A half-open interval [min, max): either end may be open."""

    min: float | None = None
    max: float | None = None

    def __contains__(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)

    def text(self, unit: str = "") -> str:
        unit = f" {unit}" if unit and unit != "1" else ""  # "1" is UCUM for a plain ratio
        if self.min is not None and self.max is not None:
            return f"{self.min:g}-{self.max:g}{unit}"
        if self.min is not None:
            return f">= {self.min:g}{unit}"
        return f"< {self.max:g}{unit}"


@dataclass(frozen=True, slots=True)
class MedicationIs:
    drug: str
    exposure: str = "current"

    def evaluate(self, facts: Facts) -> Result:
        found = facts.medications.get(self.drug)
        if not found:
            return not_on_list(self.drug) if facts.medications_given else UNKNOWN
        wanted = EXPOSURES[self.exposure]
        if len(found) == 1:  # the usual case, answered without building tuples
            return found[0].exposure in wanted, (found[0].mention,)
        key = (self.drug, self.exposure)
        answer = facts.medication_answers.get(key)
        if answer is None:
            answer = facts.medication_answers[key] = _exposure_answer(found, wanted)
        return answer

    def keys(self) -> set[str]:
        return {f"medication:{self.drug}", "section:medications"}

    def references(self) -> set[tuple[str, str]]:
        return {("drug", self.drug)}

    def describe(self, name: Namer) -> str:
        label = name(self.drug)
        return f"{self.exposure} exposure to {label}" if self.exposure != "current" else label


def _exposure_answer(found: list[Any], wanted: set[str]) -> Result:
    hits = tuple([f.mention for f in found if f.exposure in wanted])
    if hits:
        return True, hits
    denied = tuple([f.mention for f in found if f.exposure == "denied"])
    if denied:
        return False, denied
    # Exposed, but not in the way asked for (past when current is wanted).
    return False, tuple([f.mention for f in found])


@lru_cache(maxsize=1024)
def not_on_list(drug: str) -> Result:
    return False, (Mention(f"no {drug.replace('_', ' ')} on the medication list", "medications"),)


def concept_answer(facts: Facts, concept: str) -> Result:
    """True with the mentions that state it, False with those that deny it, or unknown.

    A concept is asked after by many rules of many causes: its answer is worked out once per case.
    """
    answer = facts.concept_answers.get(concept)
    if answer is not None:
        return answer
    found = facts.concepts.get(concept)
    if not found:
        return UNKNOWN
    present = tuple([f.mention for f in found if f.present])
    answer = (True, present) if present else (False, tuple([f.mention for f in found]))
    facts.concept_answers[concept] = answer
    return answer


@dataclass(frozen=True, slots=True)
class ConceptIs:
    concept: str
    kind: str  # finding | condition: which section a clinician would look in

    def evaluate(self, facts: Facts) -> Result:
        return concept_answer(facts, self.concept)

    def keys(self) -> set[str]:
        return {f"concept:{self.concept}"}

    def references(self) -> set[tuple[str, str]]:
        return {(self.kind, self.concept)}

    def describe(self, name: Namer) -> str:
        return name(self.concept)


@dataclass(frozen=True, slots=True)
class LabIs:
    lab: str
    bounds: Bounds | None = None  # canonical unit
    uln: Bounds | None = None  # multiples of the upper limit of normal
    status: str | None = None
    unit: str = ""

    def _holds(self, result: Any) -> Truth:
        if self.bounds is not None:
            return result.value in self.bounds
        if self.uln is not None:
            multiple = result.uln_multiple
            return None if multiple is None else multiple in self.uln
        low = result.low is not None and result.value < result.low
        high = result.high is not None and result.value > result.high
        if self.status == "low":
            return low if result.low is not None else None
        if self.status == "high":
            return high if result.high is not None else None
        if result.low is None and result.high is None:
            return None
        return (low or high) if self.status == "abnormal" else not (low or high)

    def evaluate(self, facts: Facts) -> Result:
        results = facts.labs.get(self.lab)
        if not results:
            return UNKNOWN
        if len(results) == 1:  # the usual case, answered without building tuples
            truth = self._holds(results[0])
            return (None, ()) if truth is None else (truth, (results[0].mention,))
        answers = [(self._holds(r), r.mention) for r in results]
        hits = tuple(m for truth, m in answers if truth)
        if hits:
            return True, hits
        misses = tuple(m for truth, m in answers if truth is False)
        return (False, misses) if misses else (None, ())

    def keys(self) -> set[str]:
        return {f"lab:{self.lab}"}

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def describe(self, name: Namer) -> str:
        label = name(self.lab)
        if self.bounds is not None:
            return f"{label} {self.bounds.text(self.unit)}"
        if self.uln is not None:
            return f"{label} {self.uln.text('x ULN')}"
        return f"{label} {self.status}"


@dataclass(frozen=True, slots=True)
class Measured:
    """True when the lab was measured at all; never unknown."""

    lab: str

    def evaluate(self, facts: Facts) -> Result:
        found = facts.labs.get(self.lab, ())
        if found:
            return True, tuple([r.mention for r in found])
        return _not_measured(self.lab)

    def keys(self) -> set[str]:
        return {f"lab:{self.lab}"}

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def describe(self, name: Namer) -> str:
        return f"{name(self.lab)} measured"


@lru_cache(maxsize=1024)
def _not_measured(lab: str) -> Result:
    return False, (Mention(f"no {lab.replace('_', ' ')} result", "labs"),)


@dataclass(frozen=True, slots=True)
class ScoreIs:
    score: str
    bounds: Bounds

    def evaluate(self, facts: Facts) -> Result:
        found = facts.scores.get(self.score)
        if found is None:
            return None, ()
        return found.value in self.bounds, (found.mention,)

    def keys(self) -> set[str]:
        return {f"score:{self.score}"}

    def references(self) -> set[tuple[str, str]]:
        return {("score", self.score)}

    def describe(self, name: Namer) -> str:
        return f"{name(self.score)} {self.bounds.text()}"


@dataclass(frozen=True, slots=True)
class PatientIs:
    attribute: str  # age | sex | pregnant
    bounds: Bounds | None = None
    value: Any = None

    def evaluate(self, facts: Facts) -> Result:
        actual = getattr(facts, self.attribute)
        if actual is None:
            return None, ()
        mention = _patient_mention(self.attribute, actual, facts.patient_path)
        if self.bounds is not None:
            return actual in self.bounds, (mention,)
        return actual == self.value, (mention,)

    def keys(self) -> set[str]:
        return {f"patient:{self.attribute}"}

    def references(self) -> set[tuple[str, str]]:
        return set()

    def describe(self, name: Namer) -> str:
        if self.bounds is not None:
            return f"{self.attribute} {self.bounds.text()}"
        return f"{self.attribute} {_text(self.value)}"


@dataclass(frozen=True, slots=True)
class CauseIs:
    """True when a cause (or any cause of an urgency) reaches a probability."""

    cause: str  # a cause id, or "*" for any
    min_probability: float
    urgency: str | None = None

    def evaluate(self, facts: Facts) -> Result:
        hits = []
        for cause_id, probability in sorted(facts.cause_probabilities.items()):
            if self.cause not in ("*", cause_id):
                continue
            if self.urgency and facts.cause_urgencies.get(cause_id) != self.urgency:
                continue
            if probability >= self.min_probability:
                hits.append(Mention(f"{cause_id} at {probability:.0%}", "differential"))
        return (True, tuple(hits)) if hits else (False, ())

    def keys(self) -> set[str]:
        return {"differential"}

    def references(self) -> set[tuple[str, str]]:
        return set() if self.cause == "*" else {("cause", self.cause)}

    def describe(self, name: Namer) -> str:
        subject = f"an {self.urgency} cause" if self.cause == "*" else name(self.cause)
        return f"{subject} at {self.min_probability:.0%} or more"


@lru_cache(maxsize=4096)
def _patient_mention(attribute: str, value: Any, path: str) -> Mention:
    return Mention(f"{attribute} {_text(value)}", f"{path}.{attribute}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)
