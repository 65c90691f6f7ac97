"""The loaded knowledge base, with the indexes a request needs built once."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .errors import KnowledgeError
from .model import IN_PLAY_LR, LR_MAX, LR_MIN, Cause, Concept, DrugClass, EvidenceRule, Flag, Ingredient, Lab, Reference
from .composites import answers_without_facts, leaves
from .predicates import PatientIs
from .scores import SCORES
from .suggest import suggestions
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
    _flags_by_key: dict[str, tuple[str, ...]] = field(init=False)
    _suggestions: dict[str, list[tuple[str, str]]] = field(init=False)
    _rules_by_key: dict[str, tuple[tuple[str, int, bool], ...]] = field(init=False)
    _eager_rules: dict[str, tuple[int, ...]] = field(init=False)
    _cause_order: tuple[str, ...] = field(init=False)
    _reference_dicts: dict[str, dict] = field(init=False)
    _context_rules: dict[str, dict[str, tuple[int, ...]]] = field(init=False)
    _compiled: dict[str, tuple["CompiledRule", ...]] = field(init=False)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        setter(self, "terminology", Terminology(self.concepts.values(), self.labs.values(),
                                                self.classes.values(), self.ingredients.values()))
        setter(self, "units", UnitTable(self.labs.values()))
        flags = [*self.alerts.values(), *self.pitfalls.values()]
        setter(self, "_flags_by_key", _index((f.id, (f.when,)) for f in flags))
        setter(self, "_suggestions", {c.id: suggestions(c, self.name_of) for c in self.causes.values()})
        # Rules that can put a cause in play (LR >= 2 on a fact that is not age, sex or pregnancy):
        # a cause none of whose such rules a present fact touches cannot enter the differential.
        pointers = {c.id: frozenset(i for i, r in enumerate(c.evidence) if r.lr >= IN_PLAY_LR
                                    and any(not isinstance(leaf, PatientIs) for leaf in leaves(r.when)))
                    for c in self.causes.values()}
        by_key: dict[str, list[tuple[str, int, bool]]] = {}
        for cause in self.causes.values():
            for index, rule in enumerate(cause.evidence):
                for key in rule.when.keys():
                    points = index in pointers[cause.id] and not key.startswith(("section:", "patient:"))
                    by_key.setdefault(key, []).append((cause.id, index, points))
        setter(self, "_rules_by_key", {key: tuple(refs) for key, refs in by_key.items()})
        # Sections and demographics touch rules of nearly every cause: kept by cause, so that
        # only the causes already in play look them up.
        by_key_cause: dict[str, dict[str, list[int]]] = {}
        for key, refs in by_key.items():
            if key.startswith(("section:", "patient:")):
                for cause_id, index, _ in refs:
                    by_key_cause.setdefault(key, {}).setdefault(cause_id, []).append(index)
        setter(self, "_context_rules", {key: {c: tuple(i) for c, i in causes.items()}
                                        for key, causes in by_key_cause.items()})
        setter(self, "_eager_rules", {c.id: tuple(i for i, r in enumerate(c.evidence) if answers_without_facts(r.when))
                                      for c in self.causes.values()})
        setter(self, "_cause_order", tuple(self.causes))
        setter(self, "_reference_dicts", {ident: ref.as_dict() for ident, ref in self.references.items()})
        setter(self, "_compiled", {c.id: tuple(_compile(i, r, i in pointers[c.id]) for i, r in enumerate(c.evidence))
                                   for c in self.causes.values()})

    def compiled(self, cause_id: str) -> tuple["CompiledRule", ...]:
        """Each rule of a cause with what scoring needs precomputed (its slot, log weights, pointing)."""
        return self._compiled[cause_id]

    def rules_touched(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """Map each cause that a present fact can point at to the indexes of the rules to evaluate.

        A cause is a candidate only when a present fact (not a mere section or demographic) touches
        one of its pointing rules (LR >= 2); for candidates, every rule whose facts or section are
        present runs, and so do the rules that answer without facts (measured, none_of).
        """
        touched: dict[str, list[int]] = {}
        candidates: set[str] = set()
        context_keys = []
        for key in keys:
            if key in self._context_rules:
                context_keys.append(key)
                continue
            for cause_id, index, points in self._rules_by_key.get(key, ()):
                touched.setdefault(cause_id, []).append(index)
                if points:
                    candidates.add(cause_id)
        out: dict[str, list[int]] = {}
        for cause_id in self._cause_order:  # knowledge-base order keeps every tie-break stable
            if cause_id in candidates:
                indexes = {*touched[cause_id], *self._eager_rules[cause_id]}
                for key in context_keys:
                    indexes.update(self._context_rules[key].get(cause_id, ()))
                out[cause_id] = sorted(indexes)
        return out

    def reference_dict(self, ident: str) -> dict:
        """A reference as the answer shows it (a fresh copy: answers may be changed by callers)."""
        return dict(self._reference_dicts[ident])

    def suggestions(self, cause_id: str) -> list[tuple[str, str]]:
        """Return (slot, text) of what would move a cause most, strongest first (built at load)."""
        return self._suggestions[cause_id]

    def name_of(self, ident: str) -> str:
        """Return the display name of any id in the knowledge base (the id itself if unknown)."""
        for table in (self.concepts, self.labs, self.ingredients, self.classes, self.causes):
            if ident in table:
                return table[ident].name
        return SCORES.get(ident, ident.replace("_", " "))

    def drug_classes_of(self, drug: str) -> tuple[str, ...]:
        ingredient = self.ingredients.get(drug)
        return ingredient.classes if ingredient else ()

    def touched_flags(self, keys: Iterable[str]) -> set[str]:
        return {flag for key in (*keys, "differential") for flag in self._flags_by_key.get(key, ())}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    slot: str  # the rule's group, or the rule alone
    weight_true: float | None  # log of the clamped likelihood ratio when the predicate holds
    weight_false: float | None  # ... when it is known not to hold
    points: bool  # LR >= 2 on a fact that is not a demographic: can put the cause in play


def _compile(index: int, rule: EvidenceRule, points: bool) -> CompiledRule:
    def weight(lr: float | None) -> float | None:
        return None if lr is None or lr == 1 else math.log(min(max(lr, LR_MIN), LR_MAX))

    return CompiledRule(rule.group or f"#{index}", weight(rule.lr), weight(rule.lr_false), points)


def _index(entries: Iterable[tuple[str, Iterable]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for ident, predicates in entries:
        for predicate in predicates:
            for key in predicate.keys():
                bucket = index.setdefault(key, [])
                if ident not in bucket:
                    bucket.append(ident)
    return {key: tuple(ids) for key, ids in index.items()}
