"""Predicates made of predicates: all, any / at least, not, none of; and walking a predicate tree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .facts import Facts, Mention
from .predicates import (CauseIs, ConceptIs, Evaluate, LabIs, Measured, MedicationIs, Namer, Predicate, Result,
                         ScoreIs)


# How each composite combines its parts' answers, over any evaluators of the parts: the predicates'
# own `evaluate` below, or the closures rules/program.py compiles them into.

def all_of(parts: Sequence[Evaluate], facts: Facts) -> Result:
    mentions: list[Mention] = []
    unknown = False
    for part in parts:
        truth, found = part(facts)
        if truth is False:
            return False, found
        unknown = unknown or truth is None
        mentions.extend(found)
    return (None, ()) if unknown else (True, tuple(mentions))


def at_least(count: int, parts: Sequence[Evaluate], facts: Facts) -> Result:
    hits: list[Mention] = []
    misses: list[Mention] = []
    held = failed = 0
    for part in parts:
        truth, found = part(facts)
        if truth:
            held += 1
            hits.extend(found)
        elif truth is False:
            failed += 1
            misses.extend(found)
    if held >= count:
        return True, tuple(hits)
    if len(parts) - failed < count:
        return False, tuple(misses)
    return None, ()


def none_of(parts: Sequence[Evaluate], facts: Facts) -> Result:
    for part in parts:
        truth, found = part(facts)
        if truth:
            return False, found
    return True, ()


def negation(answer: Result) -> Result:
    truth, found = answer
    return (None if truth is None else not truth), found


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        return all_of([part.evaluate for part in self.parts], facts)

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        return " and ".join(p.describe(name) for p in self.parts)


@dataclass(frozen=True, slots=True)
class AtLeast:
    """True when at least `count` parts hold; `any` is AtLeast(1)."""

    count: int
    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        return at_least(self.count, [part.evaluate for part in self.parts], facts)

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        joined = " or ".join(p.describe(name) for p in self.parts)
        return joined if self.count == 1 else f"at least {self.count} of: {joined}"


@dataclass(frozen=True, slots=True)
class Not:
    part: Predicate

    def evaluate(self, facts: Facts) -> Result:
        return negation(self.part.evaluate(facts))

    def keys(self) -> set[str]:
        return self.part.keys()

    def references(self) -> set[tuple[str, str]]:
        return self.part.references()

    def describe(self, name: Namer) -> str:
        return f"not {self.part.describe(name)}"


@dataclass(frozen=True, slots=True)
class NoneOf:
    """True unless one of the parts is known to hold: unknown counts as not holding."""

    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        return none_of([part.evaluate for part in self.parts], facts)

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        return "none of: " + ", ".join(p.describe(name) for p in self.parts)


def answers_without_facts(predicate: Predicate) -> bool:
    """True when a predicate can be True or False with none of its facts present (measured, none_of, cause)."""
    if isinstance(predicate, (Measured, NoneOf, CauseIs)):
        return True
    if isinstance(predicate, Not):
        return answers_without_facts(predicate.part)
    if isinstance(predicate, (AllOf, AtLeast)):
        return any(answers_without_facts(part) for part in predicate.parts)
    return False


def trigger_keys(predicate: Predicate) -> frozenset[str] | None:
    """Keys of which at least one must be present for the predicate to hold; None if it can hold without.

    Demographics, sections and the differential never narrow it (None): a predicate on them,
    or one that holds on absence (not, none_of), has to be evaluated for every case.
    """
    if isinstance(predicate, (ConceptIs, LabIs, ScoreIs, Measured)):
        return frozenset(predicate.keys())
    if isinstance(predicate, MedicationIs):
        return frozenset({f"medication:{predicate.drug}"})
    if isinstance(predicate, AllOf):
        narrowed = [keys for keys in map(trigger_keys, predicate.parts) if keys is not None]
        return min(narrowed, key=lambda keys: (len(keys), sorted(keys))) if narrowed else None
    if isinstance(predicate, AtLeast) and predicate.count >= 1:
        parts = [trigger_keys(part) for part in predicate.parts]
        known = [keys for keys in parts if keys is not None]
        return frozenset[str]().union(*known) if len(known) == len(parts) else None
    return None


def leaves(predicate: Predicate) -> Iterable[Predicate]:
    """Yield the leaf predicates of a predicate tree."""
    if isinstance(predicate, Not):
        yield from leaves(predicate.part)
    elif isinstance(predicate, (AllOf, AtLeast, NoneOf)):
        for child in predicate.parts:
            yield from leaves(child)
    else:
        yield predicate
