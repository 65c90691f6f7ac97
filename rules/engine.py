"""Score a patient context against the knowledge base: a pure function, no I/O.

Each cause starts at the prior odds of its base-rate tier; every rule whose
predicate is True (or False, where the rule says what absence means) multiplies the
odds by its likelihood ratio, clamped so that no single fact decides alone.  Causes
are scored independently: they can coexist, so probabilities need not sum to 1.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from .facts import Facts, Mention
from .knowledge import KnowledgeBase
from .model import LR_MAX, LR_MIN, SEVERITIES, Cause, EvidenceRule, Flag
from .predicates import LabIs, leaves
from .resolve import resolve

SECTION_SOURCE = {"findings": "finding", "conditions": "condition", "medications": "medication",
                  "labs": "lab", "patient": "patient", "differential": "differential"}
MAX_INPUTS_SHOWN = 3
MAX_SUGGESTED = 3
# A cause enters the differential only when a fact that is present points at it this strongly;
# demographics and normal or absent findings shift a cause but never put it in play alone.
IN_PLAY_LR = 2.0


def assess(kb: KnowledgeBase, context: Mapping[str, Any], limit: int = 10) -> dict[str, Any]:
    """Return the differential, alerts, pitfalls and unrecognised inputs for a context."""
    resolution = resolve(kb, context)
    facts = resolution.facts
    keys = facts.keys()
    candidates = [cause for cause in kb.touched_causes(keys) if _admissible(cause, facts)]
    scored = [s for s in (_score(kb, cause, facts) for cause in candidates) if s["supported"]]
    scored.sort(key=lambda s: (-s["probability"], s["id"]))
    for s in scored:
        facts.cause_probabilities[s["id"]] = s["probability"]
        facts.cause_urgencies[s["id"]] = s["urgency"]
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


def _clamp(lr: float) -> float:
    return min(max(lr, LR_MIN), LR_MAX)


def _source(mentions: tuple[Mention, ...]) -> str:
    section = mentions[0].path.split("[", 1)[0].split(".", 1)[0] if mentions else "patient"
    return SECTION_SOURCE.get(section, "derived")


def _score(kb: KnowledgeBase, cause: Cause, facts: Facts) -> dict[str, Any]:
    log_odds = math.log(cause.prior_probability / (1 - cause.prior_probability))
    applied: dict[str, tuple[float, dict[str, Any]]] = {}
    pointers: dict[str, bool] = {}
    unknown: list[EvidenceRule] = []
    for index, rule in enumerate(cause.evidence):
        truth, mentions = rule.when.evaluate(facts)
        lr = None if truth is None else (rule.lr if truth else rule.lr_false)
        if truth is None:
            unknown.append(rule)
        if lr is None or lr == 1:
            continue
        weight = math.log(_clamp(lr))
        item = {
            "effect": "supports" if weight > 0 else "against",
            "source": _source(mentions),
            "input": "; ".join(dict.fromkeys(m.input for m in mentions[:MAX_INPUTS_SHOWN])),
            "reason": rule.reason if truth else (rule.reason_false or rule.reason),
            "weight": round(weight, 2),
            "likelihood_ratio": round(_clamp(lr), 3),
            "references": list(rule.sources),
        }
        # Within a group only the strongest rule counts: the others restate the same fact.
        slot = rule.group or f"#{index}"
        if slot not in applied or abs(weight) > abs(applied[slot][0]):
            applied[slot] = (weight, item)
            pointers[slot] = bool(truth) and lr >= IN_PLAY_LR and item["source"] != "patient"
    evidence = [item for _, item in applied.values()]
    log_odds += sum(weight for weight, _ in applied.values())
    probability = 1 / (1 + math.exp(-log_odds))
    return {
        "id": cause.id,
        "probability": round(probability, 4),
        "urgency": cause.urgency,
        "supported": any(pointers.values()),
        "evidence": sorted(evidence, key=lambda e: (-abs(e["weight"]), e["reason"])),
        "unknown": unknown,
    }


def _suggestions(kb: KnowledgeBase, unknown: list[EvidenceRule]) -> list[str]:
    """Name the unknown facts that would move the cause most, strongest first, once per group."""
    slots: dict[str, list[EvidenceRule]] = {}
    for index, rule in enumerate(unknown):
        slots.setdefault(rule.group or f"#{index}", []).append(rule)
    ranked = sorted(slots.values(), key=lambda rules: -max(r.weight for r in rules))[:MAX_SUGGESTED]
    out = []
    for rules in ranked:
        ratios = sorted({lr for r in rules for lr in (r.lr, r.lr_false) if lr is not None})
        lr_text = f"LR {ratios[0]:g}" if len(ratios) == 1 else f"LR {ratios[0]:g} to {ratios[-1]:g}"
        labs = {leaf.lab for r in rules for leaf in leaves(r.when) if isinstance(leaf, LabIs)}
        strongest = max(rules, key=lambda r: r.weight)
        if len(rules) > 1 and len(labs) == 1:
            subject = kb.name_of(labs.pop())
        else:
            subject = strongest.when.describe(kb.name_of)
        out.append(f"{_verb(strongest)}: {subject} ({lr_text})")
    return out


def _verb(rule: EvidenceRule) -> str:
    kinds = {type(leaf).__name__ for leaf in leaves(rule.when)}
    if kinds == {"LabIs"}:
        return "Measure"
    if kinds == {"MedicationIs"}:
        return "Check exposure to"
    if kinds == {"ConceptIs"}:
        return "Ask about or examine for"
    return "Establish"


def _entry(kb: KnowledgeBase, scored: dict[str, Any], rank: int) -> dict[str, Any]:
    cause = kb.causes[scored["id"]]
    cited = dict.fromkeys([*cause.references, *(r for e in scored["evidence"] for r in e["references"])])
    return {
        "rank": rank,
        "id": cause.id,
        "name": cause.name,
        "category": cause.category,
        "probability": scored["probability"],
        "urgency": cause.urgency,
        "summary": cause.summary,
        "evidence": scored["evidence"],
        "next_steps": [*cause.next_steps, *_suggestions(kb, scored["unknown"])],
        "references": [kb.references[r].as_dict() for r in cited],
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
