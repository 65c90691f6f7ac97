"""Predicates made of predicates: `all`, `any` / `at_least`, `not`, `none_of`.

How each combines its parts' answers is written once, in the functions below, over any
evaluators of the parts: the parts' own `evaluate`, or their compiled forms.  The compiled
form adds only a shortcut that the key analysis (Reach) licenses: a composite none of whose
keys is present is unknown without looking at its parts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import KnowledgeError
from .facts import Facts, Mention
from .predicates import UNKNOWN, CaseWriter, Evaluate, Namer, Predicate, Reach, Reader, Result, touches


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


def parse_parts(data: Any, where: str, read: Reader) -> tuple[Predicate, ...]:
    if not isinstance(data, list) or not data:
        raise KnowledgeError(where, "must be a non-empty list of predicates")
    return tuple(read.part(item, f"{where}[{i}]") for i, item in enumerate(data))


def _union(parts: tuple[Predicate, ...]) -> frozenset[str]:
    return frozenset[str]().union(*(part.reach().keys for part in parts))


def _silent(reach: Reach) -> tuple[str, ...] | None:
    """The keys to look for before evaluating, when their absence makes the answer unknown."""
    return tuple(sorted(reach.keys)) if reach.quiet else None


@dataclass(frozen=True, slots=True)
class AllOf(Predicate):
    """True when every part holds, False when one is known not to, else unknown."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"all": frozenset({"all"})}
    parts: tuple[Predicate, ...]

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return AllOf(parse_parts(data["all"], f"{where}.all", read))

    def evaluate(self, facts: Facts) -> Result:
        return all_of([part.evaluate for part in self.parts], facts)

    def reach(self) -> Reach:
        reaches = [part.reach() for part in self.parts]
        # It holds only if every part does, so the keys one part needs will do: the fewest.
        needed = [r.needs for r in reaches if r.needs is not None]
        needs = min(needed, key=lambda keys: (len(keys), sorted(keys))) if needed else None
        return Reach(_union(self.parts), bool(reaches) and all(r.quiet for r in reaches), needs)

    def compile(self) -> Evaluate:
        return _all_of(tuple([part.compile() for part in self.parts]), _silent(self.reach()))

    def children(self) -> tuple[Predicate, ...]:
        return self.parts

    def describe(self, name: Namer) -> str:
        return " and ".join(p.describe(name) for p in self.parts)

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def realise(self, case: CaseWriter) -> None:
        for part in self.parts:
            part.realise(case)


@dataclass(frozen=True, slots=True)
class AtLeast(Predicate):
    """True when at least `count` parts hold; False when too few can; `any` is AtLeast(1)."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {
        "any": frozenset({"any"}),
        "at_least": frozenset({"at_least", "of"}),
    }
    count: int
    parts: tuple[Predicate, ...]

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        if head == "any":
            return AtLeast(1, parse_parts(data["any"], f"{where}.any", read))
        count = data["at_least"]
        parts = parse_parts(data.get("of"), f"{where}.of", read)
        if not isinstance(count, int) or not 1 <= count <= len(parts):
            raise KnowledgeError(f"{where}.at_least", "must be a whole number between 1 and the number of parts")
        return AtLeast(count, parts)

    def evaluate(self, facts: Facts) -> Result:
        return at_least(self.count, [part.evaluate for part in self.parts], facts)

    def reach(self) -> Reach:
        reaches = [part.reach() for part in self.parts]
        sound = bool(reaches) and 1 <= self.count <= len(reaches)
        # It holds only if some part does, so it needs the keys of every part (unless one needs none).
        needed = [r.needs for r in reaches if r.needs is not None]
        needs = frozenset[str]().union(*needed) if self.count >= 1 and len(needed) == len(reaches) else None
        return Reach(_union(self.parts), sound and all(r.quiet for r in reaches), needs)

    def compile(self) -> Evaluate:
        silent = _silent(self.reach())
        if self.count == 1 and self.parts and all(type(part) is type(self.parts[0]) for part in self.parts):
            fast = self.parts[0].compile_any(self.parts, silent)  # "any of these findings": one loop, say
            if fast is not None:
                return fast
        return at_least_evaluator(self.count, tuple([part.compile() for part in self.parts]), silent)

    def children(self) -> tuple[Predicate, ...]:
        return self.parts

    def describe(self, name: Namer) -> str:
        joined = " or ".join(p.describe(name) for p in self.parts)
        return joined if self.count == 1 else f"at least {self.count} of: {joined}"

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def realise(self, case: CaseWriter) -> None:
        for part in case.rng.sample(self.parts, self.count):
            part.realise(case)


@dataclass(frozen=True, slots=True)
class Not(Predicate):
    """True when the part is known not to hold, False when it holds, else unknown."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"not": frozenset({"not"})}
    part: Predicate

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return Not(read.part(data["not"], f"{where}.not"))

    def evaluate(self, facts: Facts) -> Result:
        return negation(self.part.evaluate(facts))

    def reach(self) -> Reach:
        inner = self.part.reach()
        return Reach(inner.keys, inner.quiet, None)  # it holds when its part is known not to

    def compile(self) -> Evaluate:
        return _not(self.part.compile())

    def children(self) -> tuple[Predicate, ...]:
        return (self.part,)

    def describe(self, name: Namer) -> str:
        return f"not {self.part.describe(name)}"

    def references(self) -> set[tuple[str, str]]:
        return self.part.references()

    def realise(self, case: CaseWriter) -> None:
        """Left to chance: a synthetic case adds facts, and absence needs none."""


@dataclass(frozen=True, slots=True)
class NoneOf(Predicate):
    """True unless one of the parts is known to hold: unknown counts as not holding."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"none_of": frozenset({"none_of"})}
    parts: tuple[Predicate, ...]

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return NoneOf(parse_parts(data["none_of"], f"{where}.none_of", read))

    def evaluate(self, facts: Facts) -> Result:
        return none_of([part.evaluate for part in self.parts], facts)

    def reach(self) -> Reach:
        return Reach(_union(self.parts), False, None)  # nothing known is True

    def compile(self) -> Evaluate:
        return _none_of(tuple([part.compile() for part in self.parts]))

    def children(self) -> tuple[Predicate, ...]:
        return self.parts

    def describe(self, name: Namer) -> str:
        return "none of: " + ", ".join(p.describe(name) for p in self.parts)

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def realise(self, case: CaseWriter) -> None:
        """Left to chance: a synthetic case adds facts, and absence needs none."""


def leaves(predicate: Predicate) -> Iterator[Predicate]:
    """Yield the leaf predicates of a predicate tree."""
    children = predicate.children()
    if not children:
        yield predicate
    for child in children:
        yield from leaves(child)


# The compiled forms: the same combining functions, after the shortcut.


def at_least_evaluator(count: int, parts: tuple[Evaluate, ...], silent: tuple[str, ...] | None) -> Evaluate:
    def evaluate(facts: Facts) -> Result:
        if silent is not None and not touches(facts.present, silent):
            return UNKNOWN
        return at_least(count, parts, facts)

    return evaluate


def _all_of(parts: tuple[Evaluate, ...], silent: tuple[str, ...] | None) -> Evaluate:
    def evaluate(facts: Facts) -> Result:
        if silent is not None and not touches(facts.present, silent):
            return UNKNOWN
        return all_of(parts, facts)

    return evaluate


def _none_of(parts: tuple[Evaluate, ...]) -> Evaluate:
    return lambda facts: none_of(parts, facts)


def _not(part: Evaluate) -> Evaluate:
    return lambda facts: negation(part(facts))
