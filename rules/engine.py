"""Score a patient context against the knowledge base: a pure function, no I/O.

Each cause starts at the prior odds of its base-rate tier; every rule whose
predicate is True (or False, where the rule says what absence means) multiplies the
odds by its likelihood ratio, clamped so that no single fact decides alone.  Causes
are scored independently: they can coexist, so probabilities need not sum to 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .facts import Facts, Mention
from .knowledge import CompiledRule, KnowledgeBase
from .model import SEVERITIES, Cause, EvidenceRule, Flag
from .resolve import resolve

SECTION_SOURCE = {"findings": "finding", "conditions": "condition", "medications": "medication",
                  "labs": "lab", "patient": "patient", "differential": "differential"}
MAX_INPUTS_SHOWN = 3
MAX_SUGGESTED = 3


def assess(kb: KnowledgeBase, context: Mapping[str, Any], limit: int = 10) -> dict[str, Any]:
    """Return the differential, alerts, pitfalls and unrecognised inputs for a context."""
    resolution = resolve(kb, context)
    facts = resolution.facts
    keys = facts.keys()
    scored = []
    for cause_id, indexes in kb.rules_touched(keys).items():
        cause = kb.causes[cause_id]
        if _admissible(cause, facts):
            score = _score(cause, facts, indexes, kb.compiled(cause_id))
            if score is not None:
                scored.append(score)
    scored.sort(key=lambda s: (-s.probability, s.cause.id))
    for s in scored:
        facts.cause_probabilities[s.cause.id] = s.probability
        facts.cause_urgencies[s.cause.id] = s.cause.urgency
    differential = [_entry(kb, s, rank) for rank, s in enumerate(scored[:limit], start=1)]
    touched = kb.touched_flags(keys)
    alerts = [_flag(f, facts) for f in kb.alerts.values() if f.id in touched]
    alerts = [a for a in alerts if a is not None]
    alerts.sort(key=lambda a: (SEVERITIES.index(a["severity"]), a["id"]))
    pitfalls = [_flag(f, facts) for f in kb.pitfalls.values() if f.id in touched]
    return {
        "differential": differential,
        "alerts": alerts,
        "pitfalls": [p for p in pitfalls if p is not None],
        "unrecognized": resolution.unrecognized,
    }


def _admissible(cause: Cause, facts: Facts) -> bool:
    """A cause that requires an exposure or condition is considered only when one is present."""
    return not cause.requires or any(p.evaluate(facts)[0] for p in cause.requires)


def _source(mentions: tuple[Mention, ...]) -> str:
    section = mentions[0].path.split("[", 1)[0].split(".", 1)[0] if mentions else "patient"
    return SECTION_SOURCE.get(section, "derived")


@dataclass(slots=True)
class Applied:
    rule: EvidenceRule
    truth: bool
    weight: float  # log of the clamped likelihood ratio
    mentions: tuple[Mention, ...]


@dataclass(slots=True)
class Scored:
    cause: Cause
    probability: float
    applied: list[Applied]
    known_groups: set[str]  # slots with a rule that was True or False: nothing left to suggest there


def _score(cause: Cause, facts: Facts, indexes: list[int], compiled: tuple[CompiledRule, ...]) -> Scored | None:
    """Score one cause from the rules its present facts touch; None when nothing points at it."""
    slots: dict[str, Applied] = {}
    known: set[str] = set()
    in_play = False
    evidence = cause.evidence
    for index in indexes:
        truth, mentions = evidence[index].when.evaluate(facts)
        if truth is None:
            continue
        info = compiled[index]
        known.add(info.slot)
        weight = info.weight_true if truth else info.weight_false
        if weight is None:
            continue
        in_play = in_play or (truth and info.points)
        # Within a group only the strongest rule counts: the others restate the same fact.
        current = slots.get(info.slot)
        if current is None or abs(weight) > abs(current.weight):
            slots[info.slot] = Applied(evidence[index], truth, weight, mentions)
    if not in_play:
        return None
    log_odds = cause.prior_log_odds + sum(item.weight for item in slots.values())
    probability = round(1 / (1 + math.exp(-log_odds)), 4)
    return Scored(cause, probability, list(slots.values()), known)




def _evidence(item: Applied) -> dict[str, Any]:
    lr = math.exp(item.weight)
    return {
        "effect": "supports" if item.weight > 0 else "against",
        "source": _source(item.mentions),
        "input": "; ".join(dict.fromkeys(m.input for m in item.mentions[:MAX_INPUTS_SHOWN])),
        "reason": item.rule.reason if item.truth else (item.rule.reason_false or item.rule.reason),
        "weight": round(item.weight, 2),
        "likelihood_ratio": round(lr, 3),
        "references": list(item.rule.sources),
    }


def _entry(kb: KnowledgeBase, scored: Scored, rank: int) -> dict[str, Any]:
    cause = scored.cause
    evidence = sorted((_evidence(item) for item in scored.applied), key=lambda e: (-abs(e["weight"]), e["reason"]))
    suggested = [text for slot, text in kb.suggestions(cause.id) if slot not in scored.known_groups][:MAX_SUGGESTED]
    cited = dict.fromkeys([*cause.references, *(r for e in evidence for r in e["references"])])
    return {
        "rank": rank,
        "id": cause.id,
        "name": cause.name,
        "category": cause.category,
        "probability": scored.probability,
        "urgency": cause.urgency,
        "summary": cause.summary,
        "evidence": evidence,
        "next_steps": [*cause.next_steps, *suggested],
        "references": [kb.reference_dict(r) for r in cited],
    }


def _flag(flag: Flag, facts: Facts) -> dict[str, Any] | None:
    truth, mentions = flag.when.evaluate(facts)
    if not truth:
        return None
    out: dict[str, Any] = {"id": flag.id}
    if flag.severity:
        out["severity"] = flag.severity
    out["message"] = flag.message
    out["cause_ids"] = list(flag.cause_ids)
    out["because"] = list(dict.fromkeys(m.input for m in mentions))
    out["references"] = list(flag.sources)
    return out
