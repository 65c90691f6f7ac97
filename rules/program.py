"""Each cause compiled at load into what scoring reads: no per-request work that belongs at start-up.

A request then only evaluates predicates and adds log weights; everything a rule shows as
evidence (its effect, reason, rounded weight and likelihood ratio, references and sort order)
is worked out once here, for the rule holding and for it being known not to hold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .composites import (AllOf, AtLeast, NoneOf, Not, all_of, answers_without_facts, at_least, leaves, negation,
                         none_of)
from .facts import Facts, Mention
from .model import IN_PLAY_LR, LR_MAX, LR_MIN, Cause, EvidenceRule
from .predicates import (UNKNOWN, ConceptIs, Evaluate, LabIs, MedicationIs, PatientIs, Predicate, Result, ScoreIs,
                         concept_answer, not_on_list)

CONTEXT_KEYS = ("section:", "patient:")  # present in nearly every case: they refine, never point


@dataclass(frozen=True, slots=True)
class Shown:
    """A rule as the answer shows it, for one truth value."""

    weight: float  # log of the clamped likelihood ratio: what the rule adds to the log-odds
    magnitude: float  # abs(weight): within a group only the strongest rule counts
    effect: str
    reason: str
    rounded: float
    likelihood_ratio: float
    references: tuple[str, ...]
    order: tuple[float, str]  # evidence is listed strongest first, then by reason


@dataclass(frozen=True, slots=True)
class CompiledRule:
    evaluate: Evaluate
    keys: tuple[str, ...] | None  # worth evaluating only when one of these is present; None: always
    slot: str  # the rule's group, or the rule alone
    when_true: Shown | None  # None: the rule does not move the cause when it holds
    when_false: Shown | None  # ... when it is known not to hold
    points: bool  # LR >= 2 on a fact that is not a demographic: can put the cause in play


@dataclass(frozen=True, slots=True)
class CauseProgram:
    cause: Cause
    prior_log_odds: float
    requires: Evaluate | None  # any of the cause's requirements, compiled as one predicate
    rules: tuple[CompiledRule, ...]
    pointing_keys: frozenset[str]  # keys of the rules that can put the cause in play

    def admits(self, facts: Facts) -> bool:
        """A cause that requires an exposure or condition is considered only when one is present."""
        return self.requires is None or self.requires(facts)[0] is True


def compile_cause(cause: Cause) -> CauseProgram:
    rules: list[CompiledRule] = []
    pointing: set[str] = set()
    for index, rule in enumerate(cause.evidence):
        points = rule.lr >= IN_PLAY_LR and any(not isinstance(leaf, PatientIs) for leaf in leaves(rule.when))
        # A rule none of whose facts is present is unknown, unless it answers on absence (measured, none_of).
        keys = None if answers_without_facts(rule.when) else tuple(sorted(rule.when.keys()))
        rules.append(CompiledRule(compile_predicate(rule.when), keys, rule.group or f"#{index}",
                                  _shown(rule, True), _shown(rule, False), points))
        if points:
            pointing.update(key for key in rule.when.keys() if not key.startswith(CONTEXT_KEYS))
    requires = compile_predicate(AtLeast(1, cause.requires)) if cause.requires else None
    return CauseProgram(cause, cause.prior_log_odds, requires, tuple(rules), frozenset(pointing))


def _shown(rule: EvidenceRule, truth: bool) -> Shown | None:
    lr = rule.lr if truth else rule.lr_false
    if lr is None or lr == 1:
        return None
    weight = math.log(min(max(lr, LR_MIN), LR_MAX))
    rounded = round(weight, 2)
    reason = rule.reason if truth else (rule.reason_false or rule.reason)
    return Shown(weight, abs(weight), "supports" if weight > 0 else "against", reason, rounded,
                 round(math.exp(weight), 3), rule.sources, (-abs(rounded), reason))


# Predicates compiled into closures.  They answer exactly as the predicates' own `evaluate`
# (a test holds them equal on generated cases) but skip what a case cannot reach: a composite
# none of whose facts is present is unknown without looking at its parts, and "any of these
# findings" is one loop over a dictionary instead of a call per finding.  They read
# `facts.present`, the keys of the facts present, which the engine sets before scoring.

def compile_predicate(predicate: Predicate) -> Evaluate:
    """Return a function that evaluates `predicate` as its own `evaluate` does, only faster."""
    silent = silent_keys(predicate)
    if isinstance(predicate, AtLeast):
        concepts = [p for p in predicate.parts if isinstance(p, ConceptIs)]
        drugs = [p for p in predicate.parts if isinstance(p, MedicationIs)]
        if predicate.count == 1 and silent and len(concepts) == len(predicate.parts):
            return _any_concept(tuple(p.concept for p in concepts), tuple(sorted(silent)))
        if predicate.count == 1 and drugs and len(drugs) == len(predicate.parts):
            return _any_medication(tuple(drugs), _sorted(silent))
        return _at_least(predicate.count, tuple(map(compile_predicate, predicate.parts)), _sorted(silent))
    if isinstance(predicate, AllOf):
        return _all_of(tuple(map(compile_predicate, predicate.parts)), _sorted(silent))
    if isinstance(predicate, NoneOf):
        return _none_of(tuple(map(compile_predicate, predicate.parts)))
    if isinstance(predicate, Not):
        return _not(compile_predicate(predicate.part))
    return predicate.evaluate


def silent_keys(predicate: Predicate) -> frozenset[str] | None:
    """Keys such that, with none of them present, the predicate answers (None, ()); None if no such set."""
    if isinstance(predicate, (ConceptIs, LabIs, ScoreIs, PatientIs, MedicationIs)):
        return frozenset(predicate.keys())
    if isinstance(predicate, Not):
        return silent_keys(predicate.part)
    if isinstance(predicate, (AllOf, AtLeast)) and predicate.parts:
        if isinstance(predicate, AtLeast) and not 1 <= predicate.count <= len(predicate.parts):
            return None
        parts = [silent_keys(part) for part in predicate.parts]
        known = [keys for keys in parts if keys is not None]
        return frozenset[str]().union(*known) if len(known) == len(parts) else None
    return None  # measured, none_of, cause: they answer with nothing present


def touches(present: frozenset[str], keys: tuple[str, ...]) -> bool:
    """True when any of `keys` is present: `not present.isdisjoint(keys)`, in a form that compiles to C."""
    for key in keys:
        if key in present:
            return True
    return False


def _sorted(keys: frozenset[str] | None) -> tuple[str, ...] | None:
    return None if keys is None else tuple(sorted(keys))


def _any_concept(concepts: tuple[str, ...], silent: tuple[str, ...]) -> Evaluate:
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


def _any_medication(parts: tuple[MedicationIs, ...], silent: tuple[str, ...] | None) -> Evaluate:
    """Any of these drugs: when none is on the list, each one answers "not on the list" and so does the whole."""
    drugs = tuple(dict.fromkeys(part.drug for part in parts))
    none_listed: Result = (False, tuple(m for part in parts for m in not_on_list(part.drug)[1]))
    generic = _at_least(1, tuple(part.evaluate for part in parts), silent)

    def evaluate(facts: Facts) -> Result:
        listed = facts.medications
        for drug in drugs:
            if drug in listed:
                return generic(facts)
        return none_listed if facts.medications_given else UNKNOWN

    return evaluate


def _at_least(count: int, parts: tuple[Evaluate, ...], silent: tuple[str, ...] | None) -> Evaluate:
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
