"""Resolved facts about one patient: what the predicates of the knowledge base read."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Final

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


class Value:
    """An immutable value: equal and hashed by its fields.

    Written out rather than as frozen dataclasses, which build far more slowly: a case makes
    dozens of these.  The attributes are Final, so mypy (run by every compiled build) rejects
    any assignment after __init__, and the compiled classes refuse one at run time.
    """

    __slots__ = ()
    fields: ClassVar[tuple[str, ...]] = ()

    def values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.fields])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and type(other) is type(self) and self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={getattr(self, name)!r}' for name in self.fields)})"


class Mention(Value):
    """Where a fact came from: the words a clinician can check, the request path, and for a mention read
    in a free-text field (the narrative) its offsets there, path[start:end]."""

    fields = ("input", "path", "start", "end")
    __slots__ = fields

    def __init__(self, input: str, path: str, start: int | None = None, end: int | None = None) -> None:
        self.input: Final = input
        self.path: Final = path
        self.start: Final = start
        self.end: Final = end


class MedicationFact(Value):
    fields = ("drug", "exposure", "mention", "start_date", "dose_mg")
    __slots__ = fields

    def __init__(
        self,
        drug: str,
        exposure: str,
        mention: Mention,
        start_date: date | None = None,
        dose_mg: float | None = None,
    ) -> None:
        self.drug: Final = drug  # an ingredient id, or a class id when only the class was named
        self.exposure: Final = exposure  # current | past | denied
        self.mention: Final = mention
        self.start_date: Final = start_date
        self.dose_mg: Final = dose_mg  # daily dose read from the text or the RxNorm product name; None if unread


class ConceptFact(Value):
    fields = ("concept", "present", "mention", "onset_date")
    __slots__ = fields

    def __init__(self, concept: str, present: bool, mention: Mention, onset_date: date | None = None) -> None:
        self.concept: Final = concept
        self.present: Final = present
        self.mention: Final = mention
        self.onset_date: Final = onset_date


class LabResult(Value):
    fields = ("lab", "value", "low", "high", "mention", "status")
    __slots__ = fields

    def __init__(
        self, lab: str, value: float, low: float | None, high: float | None, mention: Mention, status: str = ""
    ) -> None:
        self.lab: Final = lab
        self.value: Final = value  # in the lab's canonical unit; NaN for a result reported only by its status
        self.low: Final = low
        self.high: Final = high
        self.mention: Final = mention
        # "" for a measured value; "high", "low" or "normal" for a result written without one ("CK raised").
        self.status: Final = status

    @property
    def uln_multiple(self) -> float | None:
        """Return the value as a multiple of the upper limit of normal."""
        if not self.high or self.status:
            return None
        return self.value / self.high


class Score(Value):
    """A derived clinical score or value, shown as evidence with its value."""

    fields = ("name", "value", "mention")
    __slots__ = fields

    def __init__(self, name: str, value: float, mention: Mention) -> None:
        self.name: Final = name
        self.value: Final = value
        self.mention: Final = mention


class Facts:
    """What the predicates read of one case; filled in by resolve, then read-only but for the memos."""

    __slots__ = (
        "age",
        "sex",
        "pregnant",
        "medications_given",
        "medications",
        "concepts",
        "labs",
        "scores",
        "cause_probabilities",
        "cause_urgencies",
        "patient_path",
        "concept_answers",
        "medication_answers",
        "_present",
    )

    def __init__(self) -> None:
        self.age: float | None = None
        self.sex: str | None = None
        self.pregnant: bool | None = None
        self.medications_given = False
        # Each medication fact is filed under its ingredient id and every class id it belongs to.
        self.medications: dict[str, list[MedicationFact]] = {}
        self.concepts: dict[str, list[ConceptFact]] = {}
        self.labs: dict[str, list[LabResult]] = {}
        self.scores: dict[str, Score] = {}
        # Filled in after scoring, for flags that speak of the differential itself.
        self.cause_probabilities: dict[str, float] = {}
        self.cause_urgencies: dict[str, str] = {}
        self.patient_path = "patient"
        # What each concept asked after came to (predicates.concept_answer): the facts are complete
        # before any predicate reads them, so an answer once worked out holds for the whole case.
        self.concept_answers: dict[str, tuple] = {}
        self.medication_answers: dict[tuple[str, str], tuple] = {}  # (drug, exposure): a drug named twice
        self._present: frozenset[str] | None = None

    @property
    def present(self) -> frozenset[str]:
        """The index keys of every fact present ("concept:muscle_cramp", "section:medications" ...).

        What finds the rules and flags a case touches, and what compiled predicates look at first.
        Worked out on first reading, like the answer memos above: the facts are complete by then.
        """
        present = self._present
        if present is None:
            present = self._present = self._keys()
        return present

    def _keys(self) -> frozenset[str]:
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
        return frozenset(out)
