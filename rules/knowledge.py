"""The loaded knowledge base, with the indexes a request needs built once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .errors import KnowledgeError
from .model import Cause, Concept, DrugClass, Flag, Ingredient, Lab, Reference
from .terminology import Terminology
from .units import unit_key


class UnitTable:
    """Each lab's accepted units and their factors to its canonical unit."""

    def __init__(self, labs: Iterable[Lab]) -> None:
        self._canonical = {lab.id: lab.unit for lab in labs}
        self._factors = {lab.id: {unit_key(u): f for u, f in lab.conversions.items()} for lab in labs}

    def factor(self, lab: str, unit: str) -> float | None:
        """Return the factor from `unit` to the lab's canonical unit, or None if unknown."""
        return self._factors.get(lab, {}).get(unit_key(unit))

    def to_canonical(self, lab: str, unit: str, value: float) -> float:
        if lab not in self._factors:
            raise KnowledgeError(lab, f"unknown lab '{lab}'")
        factor = self.factor(lab, unit)
        if factor is None:
            raise KnowledgeError(lab, f"unit '{unit}' is not in the conversions of lab '{lab}'")
        return value * factor

    def canonical_unit(self, lab: str) -> str:
        return self._canonical[lab]

    def express(self, lab: str, value: float, unit: str) -> float:
        """Return a canonical value of `lab` expressed in another of its units."""
        return value / self.to_canonical(lab, unit, 1.0)


@dataclass(frozen=True)
class KnowledgeBase:
    version: str
    references: Mapping[str, Reference]
    concepts: Mapping[str, Concept]
    labs: Mapping[str, Lab]
    classes: Mapping[str, DrugClass]
    ingredients: Mapping[str, Ingredient]
    causes: Mapping[str, Cause]
    alerts: Mapping[str, Flag]
    pitfalls: Mapping[str, Flag]
    catalogue: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> ids the contract promises
    terminology: Terminology = field(init=False)
    units: UnitTable = field(init=False)
    _causes_by_key: dict[str, tuple[str, ...]] = field(init=False)
    _flags_by_key: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        setter(self, "terminology", Terminology(self.concepts.values(), self.labs.values(),
                                                self.classes.values(), self.ingredients.values()))
        setter(self, "units", UnitTable(self.labs.values()))
        setter(self, "_causes_by_key",
               _index((c.id, (*(r.when for r in c.evidence), *c.requires)) for c in self.causes.values()))
        flags = [*self.alerts.values(), *self.pitfalls.values()]
        setter(self, "_flags_by_key", _index((f.id, (f.when,)) for f in flags))

    def name_of(self, ident: str) -> str:
        """Return the display name of any id in the knowledge base (the id itself if unknown)."""
        for table in (self.concepts, self.labs, self.ingredients, self.classes, self.causes):
            if ident in table:
                return table[ident].name
        return ident.replace("_", " ")

    def drug_classes_of(self, drug: str) -> tuple[str, ...]:
        ingredient = self.ingredients.get(drug)
        return ingredient.classes if ingredient else ()

    def touched_causes(self, keys: Iterable[str]) -> list[Cause]:
        """Return the causes that some fact present can move, in knowledge-base order."""
        hit = {cause for key in keys for cause in self._causes_by_key.get(key, ())}
        return [cause for cause_id, cause in self.causes.items() if cause_id in hit]

    def touched_flags(self, keys: Iterable[str]) -> set[str]:
        return {flag for key in (*keys, "differential") for flag in self._flags_by_key.get(key, ())}


def _index(entries: Iterable[tuple[str, Iterable]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for ident, predicates in entries:
        for predicate in predicates:
            for key in predicate.keys():
                bucket = index.setdefault(key, [])
                if ident not in bucket:
                    bucket.append(ident)
    return {key: tuple(ids) for key, ids in index.items()}
