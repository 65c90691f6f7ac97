"""The knowledge base as a plain listing: what GET /v1/knowledge-base shows a clinician."""

from __future__ import annotations

from typing import Any

from .knowledge import KnowledgeBase
from .model import Flag


def listing(kb: KnowledgeBase) -> dict[str, Any]:
    """Return version, causes (with every weight and its source), pitfalls and alerts."""
    cite = lambda ids: [kb.references[i].as_dict() for i in dict.fromkeys(ids)]  # noqa: E731
    causes = []
    for cause in kb.causes.values():
        rules = []
        for rule in cause.evidence:
            entry: dict[str, Any] = {
                "when": rule.when.describe(kb.name_of),
                "likelihood_ratio": rule.lr,
                "reason": rule.reason,
                "references": list(rule.sources),
            }
            if rule.lr_false is not None:
                entry["likelihood_ratio_if_false"] = rule.lr_false
                entry["reason_if_false"] = rule.reason_false
            if rule.group:
                entry["group"] = rule.group
            rules.append(entry)
        entry = {
            "id": cause.id,
            "name": cause.name,
            "category": cause.category,
            "urgency": cause.urgency,
            "prior": cause.prior,
            "prior_probability": cause.prior_probability,
            "summary": cause.summary,
        }
        if cause.established:
            entry["established"] = [
                {
                    "when": d.when.describe(kb.name_of),
                    "criterion": d.criterion,
                    "likelihood_ratio": d.lr,
                    "references": list(d.sources),
                }
                for d in cause.established
            ]
        sources = [*cause.references, *(s for r in cause.evidence for s in r.sources)]
        sources += [s for d in cause.established for s in d.sources]
        entry.update(
            {"evidence": rules, "next_steps": list(kb.next_steps(cause.id).fixed_texts), "references": cite(sources)}
        )
        causes.append(entry)
    return {
        "version": kb.version,
        "causes": causes,
        "pitfalls": [_flag(kb, flag) for flag in kb.pitfalls.values()],
        "alerts": [_flag(kb, flag) for flag in kb.alerts.values()],
    }


def _flag(kb: KnowledgeBase, flag: Flag) -> dict[str, Any]:
    out: dict[str, Any] = {"id": flag.id}
    if flag.severity:
        out["severity"] = flag.severity
    out.update(
        {
            "when": flag.when.describe(kb.name_of),
            "message": flag.message,
            "cause_ids": list(flag.cause_ids),
            "references": [kb.references[i].as_dict() for i in flag.sources],
        }
    )
    return out
