"""The knowledge base as immutable data: vocabulary, causes, alerts and pitfalls."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .predicates import Predicate

# Base-rate tiers: the probability that a cause explains spasms, cramps or twitches
# in an adult who presents with them, before anything else is known.  Orders of
# magnitude, not estimates to two figures: nocturnal leg cramps affect about a third
# of older adults, ALS about 2 per 100,000 a year.  Each cause's `prior_source` cites the
# figures behind its tier; the README's "How the engine reasons" explains the tiers.
PRIOR_TIERS: Mapping[str, float] = {
    "very_common": 0.15,
    "common": 0.05,
    "uncommon": 0.015,
    "rare": 0.004,
    "very_rare": 0.001,
}

_PRIOR_LOG_ODDS = {tier: math.log(p / (1 - p)) for tier, p in PRIOR_TIERS.items()}

# A cause enters the differential only when a fact that is present points at it this strongly;
# demographics and normal or absent findings shift a cause but never put it in play alone.
IN_PLAY_LR = 2.0

# Each further rule of a family that points the same way counts at this fraction of its weight.
FAMILY_DAMPING = 0.5

# No single fact may move a cause by more than this factor either way.
LR_MIN = 0.05
LR_MAX = 20.0

# The finding whose words ("haemolysed", "hemolyzed sample", "haemolysis index 3+") mark a lab
# result's display or specimen comment as from a haemolysed sample (see Lab.if_haemolysed).
HAEMOLYSED_SAMPLE = "haemolysed_sample"

# A cause whose accepted definition is met (a measured value or a set of findings: potassium
# below 3.0 mmol/L) is present, not merely suggested.  The clamp above keeps any one band of a
# lab from deciding alone; a definition met is exactly the case where the facts do decide that
# the condition is present, so it adds one more ratio of this size on top of its evidence,
# shown in the evidence list like any other.  Whether the condition explains the complaint is
# still left to the rest of the evidence and to the other causes.
ESTABLISHED_LR = 20.0

CATEGORIES = ("drug-induced", "metabolic", "neurological", "rheumatological", "vascular", "benign")
URGENCIES = ("emergent", "urgent", "routine")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True, slots=True)
class Calibration:
    """From each cause's naive-Bayes score to the probability shown (rules/engine.py, _calibrate).

    1. The patient has the complaint, so something explains it: each cause's probability is
       conditioned on at least one explanation being true, among the causes in play or outside
       them (`unlisted`: the chance that the cause lies outside those in play, a stated
       assumption, not fitted).  Causes stay independent (they can coexist) and keep their order.
    2. slope x log-odds + intercept: two numbers fitted over every worked case at once
       (tools/calibrate.py).  The identity (unlisted 1, slope 1, intercept 0) changes nothing.
    """

    slope: float = 1.0
    intercept: float = 0.0
    unlisted: float = 1.0

    def apply(self, probabilities: list[float]) -> list[float]:
        """The displayed probabilities of one case's scored causes (the same order)."""
        none = 1 - self.unlisted  # no explanation at all: not the unlisted one, and none of these
        for p in probabilities:
            none *= 1 - p
        explained = 1 - none  # at least one explanation holds
        shown = []
        for p in probabilities:
            q = min(max(p / explained if explained > 0 else p, 1e-6), 1 - 1e-6)
            log_odds = self.slope * math.log(q / (1 - q)) + self.intercept
            shown.append(round(1 / (1 + math.exp(-log_odds)), 4))
        return shown


@dataclass(frozen=True, slots=True)
class Reference:
    id: str
    citation: str
    url: str | None = None
    lay: bool = False  # a lay article, not evidence: listed after the sources that are

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "citation": self.citation}
        if self.url:
            out["url"] = self.url
        if self.lay:
            out["lay"] = True
        return out


@dataclass(frozen=True, slots=True)
class Concept:
    """A finding or a condition, with the codes and words that name it."""

    id: str
    kind: str
    name: str
    snomed: tuple[str, ...] = ()
    icd10cm: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    ask: str | None = None  # the question a next step asks of it, in a clinician's words
    answered_by: tuple[str, ...] = ()  # labs whose result answers that question (TSH for hypothyroidism)
    history: str = ""  # what a historical mention counts as: "current", "past" or a concept id
    family: str = ""  # the family-history finding a relative's mention counts as ("" for none)


@dataclass(frozen=True, slots=True)
class Range:
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Lab:
    id: str
    name: str
    unit: str
    conversions: Mapping[str, float]
    reference: Range
    reference_by_sex: Mapping[str, Range] = field(default_factory=dict)
    loinc: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    test: str | None = None  # the test as a clinician orders it ("TSH", "urine myoglobin")
    answered_by: tuple[str, ...] = ()  # other labs whose result makes it unneeded
    if_haemolysed: str | None = None  # haemolysis raises it: the finding filed for a haemolysed sample
    # Added after the factor, for scales that do not share a zero (degrees Fahrenheit to Celsius).
    offsets: Mapping[str, float] = field(default_factory=dict)

    def default_range(self, sex: str | None) -> Range:
        """Return the adult default range, sex-specific where one is known."""
        return self.reference_by_sex.get(sex or "", self.reference)


@dataclass(frozen=True, slots=True)
class DrugClass:
    id: str
    name: str
    atc: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()  # synonyms that name the class only beside a word of drug use


@dataclass(frozen=True, slots=True)
class Ingredient:
    id: str
    name: str
    classes: tuple[str, ...] = ()
    rxnorm: tuple[str, ...] = ()
    products: Mapping[str, str] = field(default_factory=dict)
    atc: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceRule:
    """One piece of evidence: a likelihood ratio applied when its predicate holds."""

    when: Predicate
    lr: float
    reason: str
    sources: tuple[str, ...]
    lr_false: float | None = None
    reason_false: str | None = None
    group: str | None = None
    # Rules of one family measure the same process (CK, dark urine and urine myoglobin all measure
    # muscle breakdown): they are not independent, so only the strongest counts in full.
    family: str | None = None

    @property
    def weight(self) -> float:
        """How far this rule can move a cause at most, in log-odds."""
        spread = abs(math.log(self.lr))
        if self.lr_false is not None:
            spread = max(spread, abs(math.log(self.lr_false)))
        return spread


@dataclass(frozen=True, slots=True)
class NextStep:
    """A fixed next step of a cause, with the ids (labs, findings, conditions, drugs) it asks for.

    `check` steps list tests and read "Check <the tests not yet given> <then>"; a `text` step is
    shown as written while anything it `asks` for is unanswered (always, when it asks for nothing).
    """

    text: str = ""
    asks: tuple[str, ...] = ()
    check: bool = False
    then: str = ""


@dataclass(frozen=True, slots=True)
class Definition:
    """An accepted definition of a cause's condition: when it holds, the condition is established."""

    when: Predicate
    criterion: str  # in clinical words, as the answer shows it
    sources: tuple[str, ...]
    # What the definition met adds: ESTABLISHED_LR, or less where the condition is common among
    # people whose complaint has another cause (1: its bands already say all the measurement can).
    lr: float = ESTABLISHED_LR


@dataclass(frozen=True, slots=True)
class Cause:
    id: str
    name: str
    category: str
    prior: str
    urgency: str
    summary: str
    evidence: tuple[EvidenceRule, ...]
    next_steps: tuple[NextStep, ...]
    references: tuple[str, ...]
    # The cause enters the differential only if one of these holds (its defining exposure
    # or condition); empty means any pointing fact will do.
    requires: tuple[Predicate, ...] = ()
    # Accepted definitions of the condition (any one met establishes it); empty for causes that
    # only evidence can suggest, such as diagnoses of exclusion.
    established: tuple[Definition, ...] = ()

    @property
    def prior_probability(self) -> float:
        return PRIOR_TIERS[self.prior]

    @property
    def prior_log_odds(self) -> float:
        return _PRIOR_LOG_ODDS[self.prior]


@dataclass(frozen=True, slots=True)
class Flag:
    """An alert or a pitfall: a message raised whenever its predicate holds."""

    id: str
    when: Predicate
    message: str
    cause_ids: tuple[str, ...]
    sources: tuple[str, ...]
    severity: str | None = None
