"""`finding: muscle_cramp` or `condition: hypothyroidism`: a concept stated present or absent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .facts import Facts, Mention
from .predicates import UNKNOWN, CaseWriter, Evaluate, Namer, Predicate, Reach, Reader, Result, touches


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
class ConceptIs(Predicate):
    """True when any mention states the concept present, False when every mention denies it."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {
        "finding": frozenset({"finding"}),
        "condition": frozenset({"condition"}),
    }
    concept: str
    kind: str  # finding | condition: which section a clinician would look in

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return ConceptIs(str(data[head]), head)

    def evaluate(self, facts: Facts) -> Result:
        return concept_answer(facts, self.concept)

    def reach(self) -> Reach:
        return Reach.leaf({f"concept:{self.concept}"})

    def compile_any(self, parts: tuple[Predicate, ...], silent: tuple[str, ...] | None) -> Evaluate | None:
        concepts = tuple([part.concept for part in parts if isinstance(part, ConceptIs)])
        if silent and len(concepts) == len(parts):
            return _any_concept(concepts, silent)
        return None

    def describe(self, name: Namer) -> str:
        return name(self.concept)

    def asks(self) -> tuple[str, str] | None:
        return "concept", self.concept

    def references(self) -> set[tuple[str, str]]:
        return {(self.kind, self.concept)}

    def realise(self, case: CaseWriter) -> None:
        case.add_concept(self.concept, self.kind)


def _any_concept(concepts: tuple[str, ...], silent: tuple[str, ...]) -> Evaluate:
    """Any of these concepts, in one loop: at_least(1) over `concept_answer`, skipping concepts not stated.

    The fast path for the commonest composite; tests/test_engine_properties.py holds it equal to
    AtLeast.evaluate.
    """

    def evaluate(facts: Facts) -> Result:
        if not touches(facts.present, silent):
            return UNKNOWN
        stated = facts.concepts
        hits: list[Mention] = []
        misses: list[Mention] = []
        unknown = False
        for concept in concepts:
            if concept not in stated:
                unknown = True
                continue
            truth, found = concept_answer(facts, concept)
            if truth:
                hits.extend(found)
            elif truth is False:
                misses.extend(found)
            else:
                unknown = True
        if hits:
            return True, tuple(hits)
        return UNKNOWN if unknown else (False, tuple(misses))

    return evaluate
