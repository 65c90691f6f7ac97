"""Each cause compiled at load into what scoring reads: no per-request work that belongs at start-up.

A request then only evaluates predicates and adds log weights; everything a rule shows as
evidence (its effect, reason, rounded weight and likelihood ratio, references and sort order)
is worked out once here, for the rule holding and for it being known not to hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .composites import AtLeast
from .facts import Facts
from .model import (
    ESTABLISHED_LR,
    FAMILY_DAMPING,
    IN_PLAY_LR,
    LR_MAX,
    LR_MIN,
    Cause,
    Definition,
    EvidenceRule,
)
from .predicates import Evaluate

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
    family: str | None = None  # rules of one family measure the same process
    damped_true: Shown | None = None  # when_true, counted as a further rule of its family
    damped_false: Shown | None = None

    def damped(self, shown: Shown) -> Shown:
        """The shown rule as a further member of its family: counted at a fraction of its weight."""
        damped = self.damped_true if shown is self.when_true else self.damped_false
        return damped if damped is not None else shown


@dataclass(frozen=True, slots=True)
class CompiledDefinition:
    """An accepted definition of the cause's condition, as scoring reads it."""

    evaluate: Evaluate
    keys: tuple[str, ...] | None  # as CompiledRule.keys
    criterion: str
    references: tuple[str, ...]
    shown: Shown | None  # the definition met as an evidence entry, in a slot of its own; None when it adds nothing


ESTABLISHED_SLOT = "established"  # the one slot all of a cause's definitions share: met once is met


@dataclass(frozen=True, slots=True)
class CauseProgram:
    cause: Cause
    prior_log_odds: float
    requires: Evaluate | None  # any of the cause's requirements, compiled as one predicate
    rules: tuple[CompiledRule, ...]
    pointing_keys: frozenset[str]  # keys of the rules that can put the cause in play
    has_families: bool = False
    definitions: tuple[CompiledDefinition, ...] = ()

    def admits(self, facts: Facts) -> bool:
        """A cause that requires an exposure or condition is considered only when one is present."""
        return self.requires is None or self.requires(facts)[0] is True


def compile_cause(cause: Cause) -> CauseProgram:
    rules: list[CompiledRule] = []
    pointing: set[str] = set()
    for index, rule in enumerate(cause.evidence):
        reach = rule.when.reach()
        # A rule none of whose facts is present is unknown, unless it answers on absence (measured, none_of).
        keys = tuple(sorted(reach.keys)) if reach.quiet else None
        fact_keys = [key for key in reach.keys if not key.startswith(CONTEXT_KEYS)]
        points = rule.lr >= IN_PLAY_LR and bool(fact_keys)  # a rule on demographics alone never points
        rules.append(
            CompiledRule(
                rule.when.compile(),
                keys,
                rule.group or f"#{index}",
                _shown(rule, True),
                _shown(rule, False),
                points,
                rule.family,
                _shown(rule, True, FAMILY_DAMPING) if rule.family else None,
                _shown(rule, False, FAMILY_DAMPING) if rule.family else None,
            )
        )
        if points:
            pointing.update(fact_keys)
    definitions = []
    for definition in cause.established:
        reach = definition.when.reach()
        definitions.append(
            CompiledDefinition(
                definition.when.compile(),
                tuple(sorted(reach.keys)) if reach.quiet else None,
                definition.criterion,
                definition.sources,
                _shown_definition(definition),
            )
        )
        # A definition met puts its cause in play by itself.
        pointing.update(key for key in reach.keys if not key.startswith(CONTEXT_KEYS))
    requires = AtLeast(1, cause.requires).compile() if cause.requires else None
    has_families = any(rule.family for rule in cause.evidence)
    return CauseProgram(
        cause, cause.prior_log_odds, requires, tuple(rules), frozenset(pointing), has_families, tuple(definitions)
    )


def _shown_definition(definition: Definition) -> Shown | None:
    if definition.lr == 1:
        return None  # marked established; its bands already carry all the measurement says
    lr = min(definition.lr, ESTABLISHED_LR)
    weight = math.log(lr)
    reason = f"Established: {definition.criterion}"
    rounded = round(weight, 2)
    return Shown(weight, weight, "supports", reason, rounded, round(lr, 3), definition.sources, (-rounded, reason))


def _shown(rule: EvidenceRule, truth: bool, scale: float = 1.0) -> Shown | None:
    lr = rule.lr if truth else rule.lr_false
    if lr is None or lr == 1:
        return None
    weight = math.log(min(max(lr, LR_MIN), LR_MAX)) * scale
    rounded = round(weight, 2)
    reason = rule.reason if truth else (rule.reason_false or rule.reason)
    if scale != 1.0:
        reason = f"{reason} (counted at {scale:.0%}: it measures the same process as stronger evidence here)"
    return Shown(
        weight,
        abs(weight),
        "supports" if weight > 0 else "against",
        reason,
        rounded,
        round(math.exp(weight), 3),
        rule.sources,
        (-abs(rounded), reason),
    )
