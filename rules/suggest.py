"""What to establish next for a cause: its unknown facts that would move it most, once per group."""

from __future__ import annotations

from .composites import leaves
from .model import Cause, EvidenceRule
from .predicates import Namer


def suggestions(cause: Cause, name: Namer) -> list[tuple[str, str]]:
    """Return (slot, text) for every rule slot of a cause, the strongest first.

    A slot is a rule's group (or the rule alone); at request time the slots already settled
    by a True or False fact are dropped and the first few remaining are shown.
    """
    slots: dict[str, list[EvidenceRule]] = {}
    for index, rule in enumerate(cause.evidence):
        slots.setdefault(rule.group or f"#{index}", []).append(rule)
    ranked = sorted(slots.items(), key=lambda item: -max(r.weight for r in item[1]))
    return [(slot, _text(rules, name)) for slot, rules in ranked]


def _text(rules: list[EvidenceRule], name: Namer) -> str:
    ratios = sorted({lr for r in rules for lr in (r.lr, r.lr_false) if lr is not None})
    lr_text = f"LR {ratios[0]:g}" if len(ratios) == 1 else f"LR {ratios[0]:g} to {ratios[-1]:g}"
    # Rules of one slot about one subject (bands of one lab value) are suggested by that subject.
    subjects = {s for r in rules for leaf in leaves(r.when) if (s := leaf.suggestion_subject()) is not None}
    strongest = max(rules, key=lambda r: r.weight)
    subject = name(subjects.pop()) if len(rules) > 1 and len(subjects) == 1 else strongest.when.describe(name)
    return f"{_verb(strongest)}: {subject} ({lr_text})"


def _verb(rule: EvidenceRule) -> str:
    """The verb of the rule's predicate type when it is made of one type alone, else "Establish"."""
    kinds = {type(leaf): leaf for leaf in leaves(rule.when)}
    return next(iter(kinds.values())).suggestion_verb() if len(kinds) == 1 else "Establish"
