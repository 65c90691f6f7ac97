"""Helpers for the order-select and order-sign tests: draft orders as an EHR sends them, and the hook calls."""

from __future__ import annotations

import copy
from typing import Any

from cds import REFERENCE_DATE, RXNORM, UCUM, patient, searchset

SELECT = "/cds-services/statin-myopathy-order-select"
SIGN = "/cds-services/statin-myopathy-order-sign"
FORMS = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
# RxNorm ingredient codes as vocabulary/drugs.yaml verified them; a drug without one is named in text.
RX = {
    "simvastatin": "36567",
    "lovastatin": "6472",
    "atorvastatin": "83367",
    "rosuvastatin": "301542",
    "pravastatin": "42463",
    "clarithromycin": "21212",
    "itraconazole": "28031",
    "ketoconazole": "6135",
    "posaconazole": "282446",
    "ritonavir": "85762",
    "cobicistat": "1306284",
    "erythromycin": "4053",
    "gemfibrozil": "4719",
    "cyclosporine": "3008",
    "daptomycin": "22299",
    "amiodarone": "703",
    "amlodipine": "17767",
    "diltiazem": "3443",
    "verapamil": "11170",
    "dronedarone": "233698",
    "ranolazine": "35829",
    "colchicine": "2683",
    "pembrolizumab": "1547545",
    "nivolumab": "1597876",
}


def concept(drug: str) -> dict[str, Any]:
    if drug in RX:
        return {"coding": [{"system": RXNORM, "code": RX[drug], "display": drug}], "text": drug}
    return {"text": drug}


def dosage(value: float | None, unit: str = "mg", frequency: int = 1, period_unit: str = "d") -> list[dict]:
    if value is None:
        return []
    quantity = {"value": value, "unit": unit, "system": FORMS if unit == "TAB" else UCUM, "code": unit}
    return [
        {
            "timing": {"repeat": {"frequency": frequency, "period": 1, "periodUnit": period_unit}},
            "doseAndRate": [{"doseQuantity": quantity}],
        }
    ]


def draft(rid: str, drug: str, mg: float | None = None, pid: str = "p1", **more: Any) -> dict[str, Any]:
    """A draft MedicationRequest as an EHR sends it: RxNorm-coded, the dose in dosageInstruction."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": concept(drug),
        "dosageInstruction": dosage(mg),
    }
    if not resource["dosageInstruction"]:
        del resource["dosageInstruction"]
    resource.update(more)
    return resource


def on_chart(drug: str, text: str | None = None, pid: str = "p1") -> dict[str, Any]:
    """An active MedicationRequest on the chart, its dose written in its text as many EHRs keep it."""
    medication = concept(drug)
    if text:
        medication = {**medication, "text": text}
    return {
        "resourceType": "MedicationRequest",
        "id": f"chart-{drug}",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": "2026-09-01",
        "medicationCodeableConcept": medication,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def order_prefetch(medications=(), conditions=(), ck=None, creatinine=None, pat=None) -> dict[str, Any]:
    return {
        "patient": pat if pat is not None else patient(),
        "medications": searchset(*medications) if medications else None,
        "conditions": searchset(*conditions) if conditions else None,
        "ck": searchset(ck) if ck else None,
        "creatinine": searchset(creatinine) if creatinine else None,
    }


def order_call(
    hook: str,
    drafts: list[dict[str, Any]],
    given: dict[str, Any] | None = None,
    selections: list[str] | None = None,
    pid: str = "p1",
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": pid, "draftOrders": bundle(*drafts)}
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{drafts[0]['id']}"]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "0d3a1f7c-6a3e-4c0e-9a55-2f1de9b0c4aa",
        "context": context,
        "extension": {"dev.spasmdx.reference-date": REFERENCE_DATE},
    }
    if given is not None:
        body["prefetch"] = given
    return body


def apply(draft_bundle: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply a suggestion's actions to the draft orders, as an EHR would: delete, create, update by id."""
    result = copy.deepcopy(draft_bundle)
    for action in actions:
        if action["type"] == "delete":
            kind, ident = action["resourceId"].split("/")
            before = len(result["entry"])
            result["entry"] = [
                e for e in result["entry"] if (e["resource"]["resourceType"], e["resource"].get("id")) != (kind, ident)
            ]
            assert len(result["entry"]) == before - 1, f"{action['resourceId']} is not in the draft"
        elif action["type"] == "create":
            result["entry"].append({"resource": action["resource"]})
        else:
            resource = action["resource"]
            ids = [e["resource"].get("id") for e in result["entry"]]
            assert resource.get("id") in ids, "an update names a draft order"
            result["entry"][ids.index(resource["id"])] = {"resource": resource}
    return result
