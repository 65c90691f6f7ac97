"""Predicates from their YAML form, through the closed table of predicate types.

PREDICATE_TYPES maps each head (the key that names a predicate in YAML) to the one class that
says everything about that type; each class names its own heads and the keys each accepts.
Adding a type: write its class (see rules/predicates.py), then add it to TYPES here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cause_is import CauseIs
from .composites import AllOf, AtLeast, NoneOf, Not
from .concept_is import ConceptIs
from .errors import KnowledgeError
from .lab_is import LabIs
from .measured import Measured
from .medication_is import MedicationIs
from .patient_is import PatientIs
from .predicates import Predicate, UnitConverter
from .score_is import ScoreIs

# The closed vocabulary, in the order that decides which head wins when a mapping holds several.
TYPES: tuple[type[Predicate], ...] = (
    MedicationIs,
    ConceptIs,
    LabIs,
    ScoreIs,
    PatientIs,
    CauseIs,
    AllOf,
    AtLeast,
    Not,
    NoneOf,
    Measured,
)
PREDICATE_TYPES: dict[str, type[Predicate]] = {head: kind for kind in TYPES for head in kind.HEADS}


def parse(data: Any, where: str, convert: UnitConverter) -> Predicate:
    """Build a predicate from its YAML form, or raise KnowledgeError naming `where`."""
    return _Reader(convert).part(data, where)


class _Reader:
    """What each type's `parse` is given: the unit table, and this parser for its parts."""

    def __init__(self, convert: UnitConverter) -> None:
        self.convert = convert

    def part(self, data: Any, where: str) -> Predicate:
        if not isinstance(data, Mapping) or not data:
            raise KnowledgeError(where, "a predicate is a mapping such as {finding: muscle_cramp}")
        keys = set(data)
        for head, kind in PREDICATE_TYPES.items():
            if head in keys:
                extra = keys - kind.HEADS[head]
                if extra:
                    raise KnowledgeError(where, f"unknown key(s) {sorted(extra)} for a '{head}' predicate")
                return kind.parse(head, data, where, self)
        raise KnowledgeError(where, f"unknown predicate {sorted(keys)}; known: {sorted(PREDICATE_TYPES)}")
