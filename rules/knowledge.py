"""The loaded knowledge base, with the indexes a request needs built once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .context import Context
from .errors import KnowledgeError
from .model import Calibration, Cause, Concept, DrugClass, Flag, Ingredient, Lab, Reference
from .predicates import Evaluate
from .program import CauseProgram, compile_cause
from .scores import SCORES
from .suggest import Asker, CauseSteps
from .terminology import Terminology
from .units import unit_key

ALWAYS = "*"  # the index key of flags that every case must be checked against


class UnitTable:
    """Each lab's accepted units, with the factor (and offset) to its canonical unit."""

    def __init__(self, labs: Iterable[Lab]) -> None:
        self._canonical = {lab.id: lab.unit for lab in labs}
        self._factors = {lab.id: {unit_key(u): f for u, f in lab.conversions.items()} for lab in labs}
        self._offsets = {lab.id: {unit_key(u): o for u, o in lab.offsets.items()} for lab in labs}

    def factor(self, lab: str, unit: str) -> float | None:
        """Return the factor from `unit` to the lab's canonical unit, or None if unknown."""
        return self._factors.get(lab, {}).get(unit_key(unit))

    def offset(self, lab: str, unit: str) -> float:
        """Return what is added after the factor: 0 except between scales with different zeros (F to C)."""
        return self._offsets.get(lab, {}).get(unit_key(unit), 0.0)

    def to_canonical(self, lab: str, unit: str, value: float) -> float:
        if lab not in self._factors:
            raise KnowledgeError(lab, f"unknown lab '{lab}'")
        factor = self.factor(lab, unit)
        if factor is None:
            raise KnowledgeError(lab, f"unit '{unit}' is not in the conversions of lab '{lab}'")
        return value * factor + self.offset(lab, unit)

    def canonical_unit(self, lab: str) -> str:
        return self._canonical[lab]

    def express(self, lab: str, value: float, unit: str) -> float:
        """Return a canonical value of `lab` expressed in another of its units."""
        zero = self.to_canonical(lab, unit, 0.0)
        return (value - zero) / (self.to_canonical(lab, unit, 1.0) - zero)


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
    context: Context  # how notes are read: sections, sentences, negation, history, experiencer
    catalogue: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> ids the contract promises
    calibration: Calibration = field(default_factory=Calibration)
    terminology: Terminology = field(init=False)
    units: UnitTable = field(init=False)
    _flags_by_key: dict[str, tuple[str, ...]] = field(init=False)
    _flag_evaluators: dict[str, Evaluate] = field(init=False)
    _next_steps: dict[str, CauseSteps] = field(init=False)
    asker: Asker = field(init=False)  # the words next steps use for each lab, concept and drug
    _programs: dict[str, CauseProgram] = field(init=False)
    _pointing: dict[str, frozenset[str]] = field(init=False)  # fact key -> causes it can put in play
    _position: dict[str, int] = field(init=False)
    _reference_dicts: dict[str, dict] = field(init=False)
    # Where pure functions of the knowledge base keep their answers (see resolve._reader).
    memo: dict[str, object] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        setter(
            self,
            "terminology",
            Terminology(self.concepts.values(), self.labs.values(), self.classes.values(), self.ingredients.values()),
        )
        setter(self, "units", UnitTable(self.labs.values()))
        flags = [*self.alerts.values(), *self.pitfalls.values()]
        # A flag is looked at only when a fact it needs to hold is present (see predicates.Reach);
        # one that can hold on demographics or absence alone is looked at for every case.
        triggers = {f.id: f.when.reach().needs for f in flags}
        setter(self, "_flag_evaluators", {f.id: f.when.compile() for f in flags})
        setter(self, "_flags_by_key", _index((f.id, triggers[f.id] or (ALWAYS,)) for f in flags))
        asker = Asker(self.concepts, self.labs, self.classes, self.ingredients)
        setter(self, "asker", asker)
        setter(self, "_next_steps", {c.id: asker.steps(c) for c in self.causes.values()})
        programs = {c.id: compile_cause(c) for c in self.causes.values()}
        setter(self, "_programs", programs)
        pointing: dict[str, set[str]] = {}
        for program in programs.values():
            for key in program.pointing_keys:
                pointing.setdefault(key, set()).add(program.cause.id)
        setter(self, "_pointing", {key: frozenset(ids) for key, ids in pointing.items()})
        setter(self, "_position", {ident: i for i, ident in enumerate(self.causes)})
        setter(self, "_reference_dicts", {ident: ref.as_dict() for ident, ref in self.references.items()})

    def program(self, cause_id: str) -> CauseProgram:
        """A cause compiled for scoring (its rules' evaluators, slots, weights and how they read)."""
        return self._programs[cause_id]

    def candidates(self, keys: frozenset[str]) -> list[CauseProgram]:
        """The causes that a present fact can put in play, in knowledge-base order (stable tie-breaks).

        A cause is a candidate only when a present fact (not a mere section or demographic) touches
        one of its pointing rules (LR >= 2).
        """
        candidates: set[str] = set()
        pointing = self._pointing
        for key in keys:
            causes = pointing.get(key)
            if causes:
                candidates.update(causes)
        programs = self._programs
        return [programs[cause_id] for cause_id in sorted(candidates, key=self._position.__getitem__)]

    def reference_dict(self, ident: str) -> dict:
        """A reference as the answer shows it: one dict shared by every answer, so read-only."""
        return self._reference_dicts[ident]

    def next_steps(self, cause_id: str) -> CauseSteps:
        """A cause's own next steps and what would move it most, with what each asks for (built at load)."""
        return self._next_steps[cause_id]

    def name_of(self, ident: str) -> str:
        """Return the display name of any id in the knowledge base (the id itself if unknown)."""
        for table in (self.concepts, self.labs, self.ingredients, self.classes, self.causes):
            if ident in table:
                return table[ident].name
        return SCORES.get(ident, ident.replace("_", " "))

    def drug_classes_of(self, drug: str) -> tuple[str, ...]:
        ingredient = self.ingredients.get(drug)
        return ingredient.classes if ingredient else ()

    def flag_evaluator(self, flag_id: str) -> Evaluate:
        """An alert's or pitfall's predicate, compiled (it reads `facts.present`)."""
        return self._flag_evaluators[flag_id]

    def touched_flags(self, keys: Iterable[str]) -> set[str]:
        """The alerts and pitfalls that can hold given the keys of the facts present."""
        by_key = self._flags_by_key
        touched = set(by_key.get(ALWAYS, ()))
        for key in keys:
            flags = by_key.get(key)
            if flags:
                touched.update(flags)
        return touched


def _index(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for ident, keys in entries:
        for key in keys:
            bucket = index.setdefault(key, [])
            if ident not in bucket:
                bucket.append(ident)
    return {key: tuple(ids) for key, ids in index.items()}
