"""Score a patient context against the knowledge base: a pure function, no I/O.

Each cause starts at the prior odds of its base-rate tier; every rule whose
predicate is True (or False, where the rule says what absence means) multiplies the
odds by its likelihood ratio, clamped so that no single fact decides alone.  Causes
are scored independently: they can coexist, so probabilities need not sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .facts import Facts, Mention
from .knowledge import KnowledgeBase
from .model import SEVERITIES, Cause, Flag
from .predicates import Evaluate, touches
from .program import ESTABLISHED_SLOT, CauseProgram, CompiledDefinition, CompiledRule, Shown
from .resolve import resolve
from .suggest import answered_keys

SECTION_SOURCE = {
    "findings": "finding",
    "conditions": "condition",
    "medications": "medication",
    "labs": "lab",
    "patient": "patient",
    "differential": "differential",
    "narrative": "narrative",
}
MAX_INPUTS_SHOWN = 3
MAX_SUGGESTED = 3


def assess(kb: KnowledgeBase, context: Mapping[str, Any], limit: int = 10) -> dict[str, Any]:
    """Return the differential, alerts, pitfalls and unrecognised inputs for a context."""
    resolution = resolve(kb, context)
    facts = resolution.facts
    keys = facts.present
    scored: list[Scored] = []
    for program in kb.candidates(keys):
        if program.admits(facts):
            score = _score(program, facts, keys)
            if score is not None:
                scored.append(score)
    _calibrate(kb, scored)
    _record(facts, scored)
    touched = kb.touched_flags(keys)
    flagged = [_flag(f, kb.flag_evaluator(f.id), facts) for f in kb.alerts.values() if f.id in touched]
    alerts = [a for a in flagged if a is not None]
    alerts.sort(key=lambda a: (SEVERITIES.index(a["severity"]), a["id"]))
    # Alerts and ranking agree: a cause a raised alert names is scored (the alert puts it in
    # play, whatever else points at it), carries the alert's id, and is kept beyond `limit`.
    linked: dict[str, list[str]] = {}
    for alert in alerts:
        for cause_id in alert["cause_ids"]:
            linked.setdefault(cause_id, []).append(alert["id"])
    if linked:
        missing = set(linked) - {s.cause.id for s in scored}
        if missing:
            added = [_score(kb.program(c), facts, keys, alerted=True) for c in sorted(missing)]
            scored.extend(s for s in added if s is not None)
            _calibrate(kb, scored)
            _record(facts, scored)
    scored.sort(key=_rank_order)
    answered = answered_keys(facts)
    differential = [
        _entry(kb, s, rank, answered, linked.get(s.cause.id))
        for rank, s in enumerate(scored, start=1)
        if rank <= limit or s.cause.id in linked
    ]
    pitfalls = [_flag(f, kb.flag_evaluator(f.id), facts) for f in kb.pitfalls.values() if f.id in touched]
    out = {
        "differential": differential,
        "alerts": alerts,
        "pitfalls": [p for p in pitfalls if p is not None],
        "unrecognized": resolution.unrecognized,
    }
    if resolution.understood:  # what a narrative was read as; omitted without one (the contract says so)
        out["understood"] = resolution.understood
    return out


@lru_cache(maxsize=4096)
def _source_of(path: str) -> str:
    """The section a request path is in ("labs[2]" -> lab); derived values have paths of their own."""
    return SECTION_SOURCE.get(path.split("[", 1)[0].split(".", 1)[0], "derived")


Applied = tuple[Shown, tuple[Mention, ...]]  # how the rule reads, and the inputs behind it


class Scored:
    __slots__ = ("cause", "raw", "probability", "applied", "known_groups", "established")

    def __init__(
        self,
        cause: Cause,
        probability: float,
        applied: list[Applied],
        known_groups: set[str],
        established: tuple[CompiledDefinition, tuple[Mention, ...]] | None = None,
    ) -> None:
        self.cause = cause
        self.raw = probability  # the naive score, before _calibrate
        self.probability = probability
        self.applied = applied
        self.known_groups = known_groups  # slots with a rule that was True or False: nothing left to suggest there
        self.established = established  # the definition met, and the inputs that met it


def _rank_order(scored: Scored) -> tuple[float, bool, str]:
    # An established cause ranks above any cause that is not, unless that cause's own evidence
    # makes it more probable (a stronger explanation); at equal probability, established first.
    return -scored.probability, scored.established is None, scored.cause.id


def _calibrate(kb: KnowledgeBase, scored: list[Scored]) -> None:
    """Turn the naive scores of one case's causes into the probabilities shown (model.Calibration)."""
    for s, shown in zip(scored, kb.calibration.apply([s.raw for s in scored]), strict=True):
        s.probability = shown


def _record(facts: Facts, scored: list[Scored]) -> None:
    """Let pitfalls that read the differential see these causes."""
    for s in scored:
        facts.cause_probabilities[s.cause.id] = s.probability
        facts.cause_urgencies[s.cause.id] = s.cause.urgency


def _score(program: CauseProgram, facts: Facts, present: frozenset[str], alerted: bool = False) -> Scored | None:
    """Score one cause from the rules its present facts touch; None when nothing points at it.

    `alerted`: a raised alert names the cause, which puts it in play by itself.
    """
    best: dict[str, Applied] = {}
    chosen: dict[str, CompiledRule] = {}
    known: set[str] = set()
    in_play = alerted
    for rule in program.rules:
        if rule.keys is not None and not touches(present, rule.keys):
            continue
        truth, mentions = rule.evaluate(facts)
        if truth is None:
            continue
        known.add(rule.slot)
        if truth:
            shown = rule.when_true
            if shown is None:
                continue
            in_play = in_play or rule.points
        else:
            shown = rule.when_false
            if shown is None:
                continue
        # Within a group only the strongest rule counts: the others restate the same fact.
        current = best.get(rule.slot)
        if current is None or shown.magnitude > current[0].magnitude:
            best[rule.slot] = (shown, mentions)
            chosen[rule.slot] = rule
    established = _established(program, facts, present)
    if established is not None:
        in_play = True
        shown = established[0].shown
        if shown is not None:
            best[ESTABLISHED_SLOT] = (shown, established[1])
    if not in_play:
        return None
    if program.has_families:
        _damp_families(best, chosen)
    log_odds = program.prior_log_odds + sum(shown.weight for shown, _ in best.values())
    probability = 1 / (1 + math.exp(-log_odds))  # the naive score: calibrated with the case's other causes
    return Scored(program.cause, probability, list(best.values()), known, established)


def _established(
    program: CauseProgram, facts: Facts, present: frozenset[str]
) -> tuple[CompiledDefinition, tuple[Mention, ...]] | None:
    """The first of the cause's definitions that the facts meet, with the inputs that met it."""
    for definition in program.definitions:
        if definition.keys is not None and not touches(present, definition.keys):
            continue
        truth, mentions = definition.evaluate(facts)
        if truth:
            return definition, mentions
    return None


def _damp_families(best: dict[str, Applied], chosen: dict[str, CompiledRule]) -> None:
    """Within a family, the strongest rule pointing each way counts in full and the others are damped."""
    members: dict[tuple[str, bool], list[str]] = {}
    for slot, (shown, _) in best.items():
        rule = chosen.get(slot)  # a definition met has a slot of its own and no family
        family = rule.family if rule is not None else None
        if family is not None:
            members.setdefault((family, shown.weight > 0), []).append(slot)
    for slots in members.values():
        if len(slots) > 1:
            slots.sort(key=lambda slot: best[slot][0].order)
            for slot in slots[1:]:
                shown, mentions = best[slot]
                best[slot] = (chosen[slot].damped(shown), mentions)


def _evidence(shown: Shown, mentions: tuple[Mention, ...]) -> dict[str, Any]:
    if len(mentions) == 1:
        given = mentions[0].input
    else:
        given = "; ".join(_inputs(mentions[:MAX_INPUTS_SHOWN]))
    out: dict[str, Any] = {
        "effect": shown.effect,
        "source": _source_of(mentions[0].path) if mentions else "patient",
        "input": given,
        "reason": shown.reason,
        "weight": shown.rounded,
        "likelihood_ratio": shown.likelihood_ratio,
        "references": list(shown.references),
    }
    spans = _spans(mentions)
    if spans:
        out["spans"] = spans
    return out


def _spans(mentions: tuple[Mention, ...]) -> list[dict[str, Any]]:
    """Where the inputs read in a free-text field stand in it, each once, in order."""
    spans: list[dict[str, Any]] = []
    for mention in mentions:
        if mention.start is not None:
            span = {"path": mention.path, "start": mention.start, "end": mention.end}
            if span not in spans:
                spans.append(span)
    return spans


def _entry(
    kb: KnowledgeBase, scored: Scored, rank: int, answered: frozenset[str], alert_ids: list[str] | None
) -> dict[str, Any]:
    cause = scored.cause
    applied = sorted(scored.applied, key=_evidence_order)
    cited = dict.fromkeys(cause.references)
    for shown, _ in applied:
        for ident in shown.references:
            cited[ident] = None  # a reference already cited keeps its place
    if scored.established is not None:
        for ident in scored.established[0].references:
            cited[ident] = None  # a definition that adds no ratio is cited all the same
    out: dict[str, Any] = {
        "rank": rank,
        "id": cause.id,
        "name": cause.name,
        "category": cause.category,
        "probability": scored.probability,
        "urgency": cause.urgency,
        "summary": cause.summary,
    }
    if scored.established is not None:
        definition, mentions = scored.established
        out["established"] = {
            "criterion": definition.criterion,
            "because": _inputs(mentions),
            "references": list(definition.references),
        }
    if alert_ids:
        out["alert_ids"] = alert_ids
    out["evidence"] = [_evidence(shown, mentions) for shown, mentions in applied]
    out["next_steps"] = kb.next_steps(cause.id).for_case(scored.known_groups, answered, MAX_SUGGESTED)
    # Lay articles after the evidence (a stable sort keeps each group's order).
    out["references"] = [kb.reference_dict(ident) for ident in sorted(cited, key=lambda r: kb.references[r].lay)]
    return out


def _inputs(mentions: tuple[Mention, ...]) -> list[str]:
    """The mentions' inputs, each once, in order."""
    inputs: list[str] = []
    for mention in mentions:
        if mention.input not in inputs:
            inputs.append(mention.input)
    return inputs


def _evidence_order(item: Applied) -> tuple[float, str]:
    return item[0].order


def _flag(flag: Flag, evaluate: Evaluate, facts: Facts) -> dict[str, Any] | None:
    truth, mentions = evaluate(facts)
    if not truth:
        return None
    out: dict[str, Any] = {"id": flag.id}
    if flag.severity:
        out["severity"] = flag.severity
    out["message"] = flag.message
    out["cause_ids"] = list(flag.cause_ids)
    out["because"] = _inputs(mentions)
    out["references"] = list(flag.sources)
    return out
