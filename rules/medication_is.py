"""`medication: statin` (exposure current, past or ever; `dose: {above: mg}` optional): a drug taken or stopped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from .composites import at_least_evaluator
from .errors import KnowledgeError
from .facts import Facts, MedicationFact, Mention
from .predicates import UNKNOWN, CaseWriter, Evaluate, Namer, Predicate, Reach, Reader, Result

EXPOSURES = {"current": {"current"}, "past": {"past"}, "ever": {"current", "past"}}


@dataclass(frozen=True, slots=True)
class MedicationIs(Predicate):
    """True when the drug (an ingredient or a class) is on the list with the exposure asked for.

    With a medication list that lacks the drug, False ("no statin on the medication list");
    with no list at all, unknown.
    """

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"medication": frozenset({"medication", "exposure", "dose"})}
    drug: str
    exposure: str = "current"
    # With a dose: True when a daily dose over `dose_above` mg is written, False when every dose
    # written is at or under it, unknown when the drug is listed without a readable dose.
    dose_above: float | None = None

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        exposure = data.get("exposure", "current")
        if exposure not in EXPOSURES:
            raise KnowledgeError(f"{where}.exposure", f"must be one of {sorted(EXPOSURES)}")
        dose = data.get("dose")
        if dose is None:
            return MedicationIs(str(data["medication"]), exposure)
        above = dose.get("above") if isinstance(dose, Mapping) else None
        if not isinstance(dose, Mapping) or set(dose) != {"above"}:
            raise KnowledgeError(f"{where}.dose", "must be {above: <mg a day>}")
        if isinstance(above, bool) or not isinstance(above, (int, float)) or above < 0:
            raise KnowledgeError(f"{where}.dose", "must be {above: <mg a day>}, a number of mg at or over 0")
        return MedicationIs(str(data["medication"]), exposure, float(above))

    def evaluate(self, facts: Facts) -> Result:
        found = facts.medications.get(self.drug)
        if not found:
            return not_on_list(self.drug) if facts.medications_given else UNKNOWN
        wanted = EXPOSURES[self.exposure]
        if self.dose_above is not None:
            return _dose_answer(found, wanted, self.dose_above)
        if len(found) == 1:  # the usual case, answered without building tuples
            return found[0].exposure in wanted, (found[0].mention,)
        key = (self.drug, self.exposure)
        answer = facts.medication_answers.get(key)
        if answer is None:
            answer = facts.medication_answers[key] = _exposure_answer(found, wanted)
        return answer

    def reach(self) -> Reach:
        # It reads the section (a list without the drug is False) but holds only with the drug.
        return Reach.leaf({f"medication:{self.drug}", "section:medications"}, needs={f"medication:{self.drug}"})

    def compile_any(self, parts: tuple[Predicate, ...], silent: tuple[str, ...] | None) -> Evaluate | None:
        drugs = tuple([part for part in parts if isinstance(part, MedicationIs)])
        return _any_medication(drugs, silent) if drugs and len(drugs) == len(parts) else None

    def describe(self, name: Namer) -> str:
        label = name(self.drug)
        if self.dose_above is not None:
            label = f"{label} over {self.dose_above:g} mg a day"
        return f"{self.exposure} exposure to {label}" if self.exposure != "current" else label

    def asks(self) -> tuple[str, str] | None:
        return "drug", self.drug

    def references(self) -> set[tuple[str, str]]:
        return {("drug", self.drug)}

    def realise(self, case: CaseWriter) -> None:
        case.add_medication(self.drug, self.exposure)


def _dose_answer(found: list[MedicationFact], wanted: set[str], above: float) -> Result:
    taken = [f for f in found if f.exposure in wanted]
    if not taken:
        return _exposure_answer(found, wanted)
    over = tuple([f.mention for f in taken if f.dose_mg is not None and f.dose_mg > above])
    if over:
        return True, over
    if all(f.dose_mg is not None for f in taken):
        return False, tuple([f.mention for f in taken])
    return UNKNOWN  # listed without a dose that can be read


def _exposure_answer(found: list[MedicationFact], wanted: set[str]) -> Result:
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


def _any_medication(parts: tuple[MedicationIs, ...], silent: tuple[str, ...] | None) -> Evaluate:
    """Any of these drugs: when none is on the list, each one answers "not on the list" and so does the whole."""
    drugs = tuple(dict.fromkeys([part.drug for part in parts]))
    none_listed: Result = (False, tuple([m for part in parts for m in not_on_list(part.drug)[1]]))
    generic = at_least_evaluator(1, tuple([part.evaluate for part in parts]), silent)

    def evaluate(facts: Facts) -> Result:
        listed = facts.medications
        for drug in drugs:
            if drug in listed:
                return generic(facts)
        return none_listed if facts.medications_given else UNKNOWN

    return evaluate
