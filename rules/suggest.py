"""Next steps in a clinician's words: built once at load, then filtered by what a case already answers.

A step asks for things (tests, questions about findings and conditions, drugs), each answered by
some fact keys of a case (`Facts.present`): a lab given with any value, a finding stated present
or absent, a condition on record, a medication list sent.  At request time a step drops what is
answered and shows at most two of the rest; a step with nothing left is not shown.  The texts come
from the knowledge base (a concept's `ask:`, a lab's `test:`), never from the rules' syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .composites import leaves
from .facts import Facts
from .model import Cause, Concept, DrugClass, EvidenceRule, Ingredient, Lab
from .predicates import Predicate

MAX_ALTERNATIVES = 2  # "A or B" at most: a longer chain is a rule dump, not a next step
PREGNANCY_KEY = "patient:pregnant"
PREGNANCY_QUESTION = "Could she be pregnant?"


@dataclass(frozen=True, slots=True)
class Ask:
    """One thing a step asks for: the fact keys any of which answers it, its kind and its words."""

    keys: tuple[str, ...]
    kind: str  # test (text is the test's name) | drug (the drug's name) | question (a whole question)
    text: str


@dataclass(frozen=True, slots=True)
class Step:
    """A next step ready to show: fixed (a cause's own) or suggested (an evidence slot still open)."""

    asks: tuple[Ask, ...]
    text: str  # the step when nothing it asks for is answered
    slot: str = ""  # suggestions: the evidence slot they would settle
    check: bool = False  # fixed "Check <tests>" steps: shortened to the tests not given
    then: str = ""
    fixed: bool = False
    keys: frozenset[str] = frozenset()  # every key of every ask: one set test settles the usual case
    # The words for each set of its keys a case answers: few sets ever occur, each worked out once.
    _memo: dict[frozenset[str], str | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(key for ask in self.asks for key in ask.keys))

    def render(self, answered: frozenset[str]) -> str | None:
        """The step's words for a case, or None when the case answers everything it asks for."""
        if answered.isdisjoint(self.keys):  # nothing it asks is answered (or it asks nothing)
            return self.text
        given = answered & self.keys
        memo = self._memo
        if given in memo:
            return memo[given]
        text = memo[given] = self._words(given)
        return text

    def _words(self, answered: frozenset[str]) -> str | None:
        open_asks = [ask for ask in self.asks if answered.isdisjoint(ask.keys)]
        if not open_asks:
            return None
        if self.check:
            return check_text([ask.text for ask in open_asks], self.then)
        if self.fixed:
            return self.text  # free text that still asks for something not given
        return alternatives(open_asks[:MAX_ALTERNATIVES])


class CauseSteps:
    """A cause's own steps and its suggestions, with what a case needs to pick among them, built at load."""

    __slots__ = ("fixed", "suggested", "fixed_texts", "fixed_keys", "all_keys")

    def __init__(self, fixed: tuple[Step, ...], suggested: tuple[Step, ...]) -> None:
        self.fixed = fixed
        self.suggested = suggested
        self.fixed_texts = [step.text for step in fixed]
        self.fixed_keys = frozenset[str]().union(*(step.keys for step in fixed))
        self.all_keys = self.fixed_keys.union(*(step.keys for step in suggested))

    def for_case(self, known: set[str], answered: frozenset[str], most: int) -> list[str]:
        """The cause's own steps, then up to `most` suggestions, leaving out what the case answers.

        `known` are the evidence slots a fact already settled.  No suggestion asks again what a
        step shown asks for.  The usual case, a step none of whose keys is answered, costs one set test.
        """
        if answered.isdisjoint(self.all_keys):  # the case answers nothing any step asks
            steps = list(self.fixed_texts)
            for step in self.suggested:
                if step.slot not in known:
                    steps.append(step.text)
                    if len(steps) == len(self.fixed_texts) + most:
                        break
            return steps
        fixed_keys = self.fixed_keys
        if answered.isdisjoint(fixed_keys):
            steps = list(self.fixed_texts)
        else:
            steps = [shown for step in self.fixed if (shown := step.render(answered)) is not None]
        covered: frozenset[str] | None = None
        count = 0
        for step in self.suggested:
            if step.slot in known:
                continue
            keys = step.keys
            if answered.isdisjoint(keys) and fixed_keys.isdisjoint(keys):
                steps.append(step.text)
            else:
                if covered is None:
                    covered = answered | fixed_keys
                text = step.render(covered)
                if text is None or text in steps:
                    continue
                steps.append(text)
            count += 1
            if count == most:
                break
        return steps


def answered_keys(facts: Facts) -> frozenset[str]:
    """The fact keys a case answers: those present, and pregnancy when the patient is male."""
    present = facts.present
    if facts.sex == "male" and PREGNANCY_KEY not in present:
        return present | {PREGNANCY_KEY}
    return present


class Asker:
    """What the vocabulary says each id asks: built once at load from the knowledge base's tables."""

    def __init__(
        self,
        concepts: Mapping[str, Concept],
        labs: Mapping[str, Lab],
        classes: Mapping[str, DrugClass],
        ingredients: Mapping[str, Ingredient],
    ) -> None:
        self.concepts = concepts
        self.labs = labs
        self.classes = classes
        self.ingredients = ingredients

    def ask(self, ident: str, namespace: str | None = None) -> Ask | None:
        """How a next step asks for a lab, concept or drug id; None when it has no words for it yet.

        Without a namespace (a cause's own steps name bare ids) labs are looked up first, then concepts, then drugs.
        """
        lab = self.labs.get(ident) if namespace in (None, "lab") else None
        if lab is not None:
            if not lab.test:
                return None
            return Ask((f"lab:{ident}", *(f"lab:{other}" for other in lab.answered_by)), "test", lab.test)
        concept = self.concepts.get(ident) if namespace in (None, "concept") else None
        if concept is not None:
            if not concept.ask:
                return None
            keys = (f"concept:{ident}", *(f"lab:{lab_id}" for lab_id in concept.answered_by))
            return Ask(keys, "question", concept.ask)
        drug = (self.ingredients.get(ident) or self.classes.get(ident)) if namespace in (None, "drug") else None
        if drug is not None:
            return Ask((f"medication:{ident}", "section:medications"), "drug", _lower_first(drug.name))
        return None

    def leaf_ask(self, leaf: Predicate) -> Ask | None:
        """The ask of one leaf predicate; None for what no clinician asks (age, sex, scores, the differential)."""
        asked = leaf.asks()
        if asked is None:
            return None
        if asked == ("patient", "pregnant"):
            # Answered by the request's patient.pregnant, or by pregnancy on the problem list.
            return Ask((PREGNANCY_KEY, "concept:pregnancy_state"), "question", PREGNANCY_QUESTION)
        return self.ask(asked[1], asked[0])

    def steps(self, cause: Cause) -> CauseSteps:
        """Everything a cause may show as next steps."""
        return CauseSteps(self.fixed(cause), self.suggestions(cause))

    def fixed(self, cause: Cause) -> tuple[Step, ...]:
        """A cause's own next steps."""
        steps = []
        for step in cause.next_steps:
            asks = _unique(a for ident in step.asks if (a := self.ask(ident)) is not None)
            if step.check:
                text = check_text([a.text for a in asks], step.then)
                steps.append(Step(asks, text, check=True, then=step.then, fixed=True))
            else:
                steps.append(Step(asks, step.text, fixed=True))
        return tuple(steps)

    def suggestions(self, cause: Cause) -> tuple[Step, ...]:
        """One step per evidence slot (a rule's group, or the rule alone), the strongest first.

        Slots whose predicates no clinician asks (age, sex, a derived score) give none.
        """
        slots: dict[str, list[EvidenceRule]] = {}
        for index, rule in enumerate(cause.evidence):
            slots.setdefault(rule.group or f"#{index}", []).append(rule)
        ranked = sorted(slots.items(), key=lambda item: -max(r.weight for r in item[1]))
        steps: list[Step] = []
        for slot, rules in ranked:
            ordered = sorted(rules, key=lambda r: -r.weight)
            asks = _unique(a for r in ordered for leaf in leaves(r.when) if (a := self.leaf_ask(leaf)) is not None)
            text = alternatives(asks[:MAX_ALTERNATIVES]) if asks else ""
            if text and all(text != step.text for step in steps):  # two slots asking the same: the stronger asks
                steps.append(Step(asks, text, slot=slot))
        return tuple(steps)


def _unique(asks: Iterable[Ask]) -> tuple[Ask, ...]:
    """Each ask once; asks in the same words are one (troponin I or T; pregnancy stated either way)."""
    merged: dict[tuple[str, str], tuple[str, ...]] = {}
    for ask in asks:
        keys = merged.get((ask.kind, ask.text), ())
        merged[(ask.kind, ask.text)] = (*keys, *(k for k in ask.keys if k not in keys))
    return tuple(Ask(keys, kind, text) for (kind, text), keys in merged.items())


def _lower_first(name: str) -> str:
    """A drug's name inside a sentence: "Statins (...)" -> "statins (...)", but "SSRIs" stays."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def joined(words: list[str], conjunction: str) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(words) <= 2:
        return f" {conjunction} ".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def check_text(tests: list[str], then: str) -> str:
    """ "Check CK, TSH and creatinine" with what follows (a condition, a reason)."""
    text = f"Check {joined(tests, 'and')}"
    return f"{text} {then}" if then else text


def alternatives(asks: tuple[Ask, ...] | list[Ask]) -> str:
    """At most two asks, each in its own words: tests and drugs fold into one "or", questions stand apart."""
    kinds = {ask.kind for ask in asks}
    if kinds == {"test"}:
        return f"Check {joined([a.text for a in asks], 'or')}"
    if kinds == {"drug"}:
        return f"Is the patient taking {joined([a.text for a in asks], 'or')}?"
    return " ".join(_sentence(ask) for ask in asks)


def _sentence(ask: Ask) -> str:
    if ask.kind == "test":
        return f"Check {ask.text}."
    if ask.kind == "drug":
        return f"Is the patient taking {ask.text}?"
    return ask.text
