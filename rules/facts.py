"""Resolved facts about one patient: what the predicates of the knowledge base read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Medication statuses as the request states them, folded into the three exposures
# the rules reason about.  `intended` and `entered-in-error` are no exposure at all.
EXPOSURE_BY_STATUS = {
    "active": "current",
    "on-hold": "current",
    "unknown": "current",
    "stopped": "past",
    "completed": "past",
    "not-taken": "denied",
}


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a fact came from: the words a clinician can check, and the request path."""

    input: str
    path: str


@dataclass(frozen=True, slots=True)
class MedicationFact:
    drug: str  # an ingredient id, or a class id when only the class was named
    exposure: str  # current | past | denied
    mention: Mention
    start_date: date | None = None


@dataclass(frozen=True, slots=True)
class ConceptFact:
    concept: str
    present: bool
    mention: Mention
    onset_date: date | None = None


@dataclass(frozen=True, slots=True)
class LabResult:
    lab: str
    value: float  # in the lab's canonical unit
    low: float | None
    high: float | None
    mention: Mention

    @property
    def uln_multiple(self) -> float | None:
        """Return the value as a multiple of the upper limit of normal."""
        if not self.high:
            return None
        return self.value / self.high


@dataclass(frozen=True, slots=True)
class Score:
    """A derived clinical score or value, shown as evidence with its value."""

    name: str
    value: float
    mention: Mention


@dataclass(slots=True)
class Facts:
    age: float | None = None
    sex: str | None = None
    pregnant: bool | None = None
    medications_given: bool = False
    # Each medication fact is filed under its ingredient id and every class id it belongs to.
    medications: dict[str, list[MedicationFact]] = field(default_factory=dict)
    concepts: dict[str, list[ConceptFact]] = field(default_factory=dict)
    labs: dict[str, list[LabResult]] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)
    # Filled in after scoring, for flags that speak of the differential itself.
    cause_probabilities: dict[str, float] = field(default_factory=dict)
    cause_urgencies: dict[str, str] = field(default_factory=dict)
    patient_path: str = "patient"
    # What each concept asked after came to (predicates.concept_answer): the facts are complete
    # before any predicate reads them, so an answer once worked out holds for the whole case.
    concept_answers: dict[str, tuple] = field(default_factory=dict)
    medication_answers: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (drug, exposure): a drug named twice
    # The keys of every fact present (see keys()); the engine's compiled predicates read it.
    present: frozenset[str] = frozenset()

    def keys(self) -> frozenset[str]:
        """Return the index keys of every fact present, for finding the rules they touch (kept in `present`)."""
        out = {f"medication:{k}" for k in self.medications}
        out.update(f"concept:{k}" for k in self.concepts)
        out.update(f"lab:{k}" for k in self.labs)
        out.update(f"score:{k}" for k in self.scores)
        if self.age is not None:
            out.add("patient:age")
        if self.sex is not None:
            out.add("patient:sex")
        if self.pregnant is not None:
            out.add("patient:pregnant")
        if self.medications_given:
            out.add("section:medications")
        self.present = frozenset(out)
        return self.present
