"""`age: {min: 50}`, `sex: female`, `pregnant: true`: what the request says of the patient."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from .errors import KnowledgeError
from .facts import Facts, Mention
from .predicates import Bounds, CaseWriter, Namer, Predicate, Reach, Reader, Result

SEXES = ("female", "male", "other", "unknown")


@dataclass(frozen=True, slots=True)
class PatientIs(Predicate):
    """True when the patient attribute is in the bounds (age) or equals the value; unknown when not given."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {
        "age": frozenset({"age"}),
        "sex": frozenset({"sex"}),
        "pregnant": frozenset({"pregnant"}),
    }
    attribute: str  # age | sex | pregnant
    bounds: Bounds | None = None
    value: Any = None

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        value = data[head]
        if head == "age":
            return PatientIs("age", bounds=Bounds.parse(value, f"{where}.age"))
        if head == "sex" and value not in SEXES:
            raise KnowledgeError(f"{where}.sex", "must be female, male, other or unknown")
        if head == "pregnant" and not isinstance(value, bool):
            raise KnowledgeError(f"{where}.pregnant", "must be true or false")
        return PatientIs(head, value=value)

    def evaluate(self, facts: Facts) -> Result:
        actual = getattr(facts, self.attribute)
        if actual is None:
            return None, ()
        mention = _patient_mention(self.attribute, actual, facts.patient_path)
        if self.bounds is not None:
            return actual in self.bounds, (mention,)
        return actual == self.value, (mention,)

    def reach(self) -> Reach:
        # Demographics are given in nearly every case: needing them would narrow nothing.
        return Reach(frozenset({f"patient:{self.attribute}"}), True, None)

    def describe(self, name: Namer) -> str:
        if self.bounds is not None:
            return f"{self.attribute} {self.bounds.text()}"
        return f"{self.attribute} {_text(self.value)}"

    def asks(self) -> tuple[str, str] | None:
        # Age and sex come with nearly every case; whether she is pregnant is worth asking.
        return ("patient", "pregnant") if self.attribute == "pregnant" else None

    def references(self) -> set[tuple[str, str]]:
        return set()

    def realise(self, case: CaseWriter) -> None:
        if self.bounds is not None:
            lo = self.bounds.min if self.bounds.min is not None else 18
            hi = self.bounds.max - 1 if self.bounds.max is not None else 90
            case.set_patient("age", case.rng.randint(int(lo), max(int(lo), int(hi))))
        elif self.attribute == "pregnant":
            case.set_patient("pregnant", self.value)
            if self.value:
                case.set_patient("sex", "female")
        else:
            case.set_patient(self.attribute, self.value)


@lru_cache(maxsize=4096)
def _patient_mention(attribute: str, value: Any, path: str) -> Mention:
    return Mention(f"{attribute} {_text(value)}", f"{path}.{attribute}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)
