"""Turn order-check findings into CDS Hooks cards, with suggestions whose actions change the draft orders."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from spasmdx.fhir.orders import Draft
from spasmdx.rules.codesystems import RXNORM, UCUM, URI
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.order_book import Alternative
from spasmdx.rules.orders import Finding, Taking
from spasmdx.schemas.response import DISCLAIMER

from .cds_cards import OVERRIDE_SYSTEM, SUMMARY_MAX, TOPIC_SYSTEM, card_uuid, clip_clauses, md

OVERRIDE_REASONS = (
    {
        "system": OVERRIDE_SYSTEM,
        "code": "benefit-outweighs-risk",
        "display": "Benefit outweighs the risk; will monitor",
    },
    {"system": OVERRIDE_SYSTEM, "code": "already-addressed", "display": "Already assessed or being treated"},
    {"system": OVERRIDE_SYSTEM, "code": "data-out-of-date", "display": "The chart data are wrong or out of date"},
)
LABEL_MAX = 100
LINKS_SHOWN = 3


def cards(
    kb: KnowledgeBase, findings: Iterable[Finding], drafts: Mapping[str, Draft], patient: str, hook_instance: str
) -> list[dict[str, Any]]:
    """Return one card per finding, in the findings' order (most severe first)."""
    return [_card(kb, f, drafts, patient, hook_instance) for f in findings]


def _clip(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _name(kb: KnowledgeBase, drug: str) -> str:
    return kb.name_of(drug).split(" (")[0].lower()


def _card(
    kb: KnowledgeBase, finding: Finding, drafts: Mapping[str, Draft], patient: str, hook_instance: str
) -> dict[str, Any]:
    rule = finding.rule
    drug, other = finding.drug, finding.other
    dose = f"{drug.dose_mg:g} mg a day" if drug.dose_mg is not None else "at a dose not read"
    summary = rule.message.format(
        drug=_name(kb, drug.drug),
        other=_name(kb, other.drug) if other else "",
        dose=dose,
        cap=f"{rule.dose_above:g} mg" if rule.dose_above is not None else "",
    )
    summary = clip_clauses(summary[:1].upper() + summary[1:], 0, SUMMARY_MAX)
    # A capped rule that held only because the dose could not be read says so, one step lower.
    indicator = "info" if finding.dose_unknown else rule.indicator
    lines = [rule.advice, "", "**Orders and medications**"]
    lines += [f"- {_where(t)}: {md(t.shown)}" for t in (drug, other) if t is not None]
    if finding.dose_unknown:
        lines += [
            "",
            f"The daily dose could not be read from the order: the labelling's limit is {rule.dose_above:g} mg a day.",
        ]
    if finding.record:
        lines += ["", "**On record:** " + "; ".join(md(r) for r in finding.record)]
    lines += ["", "**Sources:** " + "; ".join(kb.references[r].citation for r in rule.sources)]
    lines += ["", f"_{DISCLAIMER}_ Knowledge base {kb.version}."]
    first = kb.references[rule.sources[0]]
    source: dict[str, Any] = {
        "label": _clip(first.citation),
        "topic": {"system": TOPIC_SYSTEM, "code": f"order/{rule.id}", "display": _clip(summary)},
    }
    if first.url:
        source["url"] = first.url
    card: dict[str, Any] = {
        "uuid": card_uuid(hook_instance, finding.key),
        "summary": summary,
        "indicator": indicator,
        "detail": "\n".join(lines),
        "source": source,
    }
    suggestions = _suggestions(kb, finding, drafts, patient, hook_instance)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    card["overrideReasons"] = [dict(r) for r in OVERRIDE_REASONS]
    links = [
        {
            "label": _clip(kb.references[r].citation),
            "url": kb.references[r].url,
            "type": "absolute",
        }
        for r in rule.sources[1:]
        if kb.references[r].url
    ][:LINKS_SHOWN]
    if links:
        card["links"] = links
    return card


def _where(taking: Taking) -> str:
    if taking.draft:
        return "Draft order" + (" (selected)" if taking.focus else "")
    return "On the chart"


def _suggestions(
    kb: KnowledgeBase, finding: Finding, drafts: Mapping[str, Draft], patient: str, hook_instance: str
) -> list[dict[str, Any]]:
    rule, drug, other = finding.rule, finding.drug, finding.other
    found: list[dict[str, Any]] = []

    def add(key: str, label: str, actions: list[dict[str, Any]]) -> None:
        found.append({"label": label, "uuid": card_uuid(hook_instance, f"{finding.key}/{key}"), "actions": actions})

    target = drafts.get(drug.draft or "")
    for kind in rule.suggest:
        if kind == "switch" and target is not None:
            for alternative in finding.switches:
                create = _new_order(kb, alternative, target, patient)
                add(
                    f"switch/{alternative.id}",
                    f"Replace with {alternative.display}, once a day",
                    [_delete(target, f"Remove the {_name(kb, drug.drug)} order"), create],
                )
        elif kind == "lower" and target is not None and rule.dose_above is not None and not finding.dose_unknown:
            add(
                "lower",
                f"Lower {_name(kb, drug.drug)} to {rule.dose_above:g} mg a day",
                [_lowered(kb, target, drug.drug, rule.dose_above)],
            )
        elif kind == "cancel_drug" and target is not None:
            add("cancel_drug", f"Remove the {_name(kb, drug.drug)} order", [_delete(target, "Remove the order")])
        elif kind == "cancel_other" and other is not None and other.draft in drafts:
            add(
                "cancel_other",
                f"Remove the {_name(kb, other.drug)} order",
                [_delete(drafts[other.draft], "Remove the order")],
            )
    return found


def _delete(draft: Draft, description: str) -> dict[str, Any]:
    return {"type": "delete", "description": description, "resourceId": draft.reference}


def dosage(mg: float) -> list[dict[str, Any]]:
    """A once-daily oral dose of `mg` as FHIR R4 dosageInstruction."""
    return [
        {
            "text": f"{mg:g} mg by mouth once a day",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "route": {"text": "oral"},
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": URI[UCUM], "code": "mg"}}],
        }
    ]


def _new_order(kb: KnowledgeBase, alternative: Alternative, draft: Draft, patient: str) -> dict[str, Any]:
    ingredient = kb.ingredients.get(alternative.drug)
    # An ingredient code is displayed as the ingredient; the strength travels in the text and the dose.
    named = ingredient.name.lower() if ingredient and alternative.rxnorm in ingredient.rxnorm else alternative.display
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": draft.resource.get("intent") if isinstance(draft.resource.get("intent"), str) else "order",
        "medicationCodeableConcept": {
            "coding": [{"system": URI[RXNORM], "code": alternative.rxnorm, "display": named}],
            "text": alternative.display,
        },
        "subject": draft.resource.get("subject") or {"reference": f"Patient/{patient.removeprefix('Patient/')}"},
        "dosageInstruction": dosage(alternative.dose_mg),
    }
    return {"type": "create", "description": f"Order {alternative.display}, once a day", "resource": resource}


def _lowered(kb: KnowledgeBase, draft: Draft, drug: str, mg: float) -> dict[str, Any]:
    resource = copy.deepcopy(draft.resource)
    resource["dosageInstruction"] = dosage(mg)
    ingredient = kb.ingredients.get(drug)
    name = ingredient.name if ingredient else drug
    # A clinical-drug code names a strength that would contradict the new dose: order the ingredient.
    concept: dict[str, Any] = {"text": f"{name.lower()} {mg:g} mg oral tablet"}
    if ingredient and ingredient.rxnorm:
        concept["coding"] = [{"system": URI[RXNORM], "code": ingredient.rxnorm[0], "display": name.lower()}]
    reference = resource.pop("medicationReference", None)
    target = reference.get("reference") if isinstance(reference, dict) else None
    if isinstance(target, str) and target.startswith("#") and isinstance(resource.get("contained"), list):
        # A contained Medication no longer referenced would break FHIR's rule dom-3: it goes too.
        resource["contained"] = [
            c for c in resource["contained"] if not (isinstance(c, dict) and c.get("id") == target[1:])
        ]
        if not resource["contained"]:
            del resource["contained"]
    resource["medicationCodeableConcept"] = concept
    return {"type": "update", "description": f"Change the dose to {mg:g} mg once a day", "resource": resource}
