"""Clinical notes as FHIR DocumentReferences, for the note tests: plain text, HTML, by url."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

CLINICAL_NOTE = [
    {
        "coding": [
            {
                "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "code": "clinical-note",
                "display": "Clinical Note",
            }
        ]
    }
]
PROGRESS_NOTE = {"coding": [{"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}]}
PHYSICIAN = {"coding": [{"system": "http://snomed.info/sct", "code": "309343006", "display": "Physician"}]}
EXAMPLES = (
    "Cramps in both calves at night for five months. Denies weakness.",
    "Dark urine since yesterday.",
    "Twitching of the left thigh.",
)


def encoded(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def document(
    note: str,
    when: str = "2026-11-18",
    ident: str = "n1",
    pid: str = "p1",
    content_type: str = "text/plain; charset=utf-8",
    **more: Any,
) -> dict[str, Any]:
    """A current progress note by a physician (a contained PractitionerRole), its text inline."""
    return {
        "resourceType": "DocumentReference",
        "id": ident,
        "contained": [{"resourceType": "PractitionerRole", "id": "role", "code": [PHYSICIAN]}],
        "status": "current",
        "type": PROGRESS_NOTE,
        "category": CLINICAL_NOTE,
        "subject": {"reference": f"Patient/{pid}"},
        "date": f"{when}T10:00:00Z",
        "author": [{"reference": "#role"}],
        "content": [{"attachment": {"contentType": content_type, "data": encoded(note)}}],
        **more,
    }


def note_html(markup: str, **more: Any) -> dict[str, Any]:
    return document(markup, content_type="text/html", **more)


# Worked cases as a chart: the coded parts as FHIR resources, every finding without a SNOMED CT code
# (and the case's own narrative) as one progress note.
SNOMED = "http://snomed.info/sct"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ON = date(2026, 11, 20)


def as_item(value: Any) -> dict[str, Any]:
    return {"display": value} if isinstance(value, str) else dict(value)


def concept(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.get("code"):
        out["coding"] = [{**item["code"], **({"display": item["display"]} if item.get("display") else {})}]
    if item.get("display"):
        out["text"] = item["display"]
    return out


def finding_sentence(item: dict[str, Any]) -> str:
    words = item["display"].rstrip(". ")
    if item.get("body_site"):
        words += f" ({item['body_site']})"
    if item.get("onset_date"):
        words += f" since {item['onset_date']}"
    return f"{words}." if item.get("present", True) else f"No {words[:1].lower() + words[1:]}."


def birth_date(age: float) -> str:
    if age >= 2:
        return f"{ON.year - int(age)}-05-20"
    return (ON - timedelta(days=round(age * 365.25))).isoformat()


def case_chart(context: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (the prefetch of a case's chart with its note, the API context of the same facts)."""
    subject = {"reference": "Patient/p1"}
    given = context.get("patient") or {}
    pat: dict[str, Any] = {"resourceType": "Patient", "id": "p1"}
    if given.get("sex"):
        pat["gender"] = given["sex"]
    if given.get("age") is not None:
        pat["birthDate"] = birth_date(given["age"])
    observations, sentences, coded = [], [], []
    for item in map(as_item, context.get("findings") or []):
        if (item.get("code") or {}).get("system") != SNOMED:
            sentences.append(finding_sentence(item))
            continue
        coded.append(item)
        resource = {"resourceType": "Observation", "status": "final", "subject": subject, "code": concept(item)}
        resource["valueBoolean"] = item.get("present", True)
        if item.get("body_site"):
            resource["bodySite"] = {"text": item["body_site"]}
        if item.get("onset_date"):
            resource["effectiveDateTime"] = item["onset_date"]
        observations.append(resource)
    if given.get("pregnant") is not None:
        answer = "77386006" if given["pregnant"] else "60001007"
        observations.append({
            "resourceType": "Observation", "status": "final", "subject": subject, "effectiveDateTime": "2026-11-19",
            "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": answer}]},
        })  # fmt: skip
    statements = []
    for item in map(as_item, context.get("medications") or []):
        resource = {"resourceType": "MedicationStatement", "status": item.get("status", "active"), "subject": subject,
                    "medicationCodeableConcept": concept(item)}  # fmt: skip
        period = {k: item[f"{k}_date"] for k in ("start", "end") if item.get(f"{k}_date")}
        if period:
            resource["effectivePeriod"] = period
        statements.append(resource)
    conditions = []
    for item in map(as_item, context.get("conditions") or []):
        status = "active" if item.get("present", True) else "inactive"
        resource = {"resourceType": "Condition", "subject": subject, "code": concept(item),
                    "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]}}  # fmt: skip
        if item.get("onset_date"):
            resource["onsetDateTime"] = item["onset_date"]
        if item.get("body_site"):
            resource["bodySite"] = [{"text": item["body_site"]}]
        conditions.append(resource)
    labs = []
    for item in map(as_item, context.get("labs") or []):
        resource = {"resourceType": "Observation", "status": "final", "subject": subject, "code": concept(item),
                    "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
                    "effectiveDateTime": "2026-11-19", "valueQuantity": {"value": item["value"]}}  # fmt: skip
        if item.get("unit"):
            resource["valueQuantity"] |= {
                "unit": item["unit"],
                "system": "http://unitsofmeasure.org",
                "code": item["unit"],
            }
        bounds = {k: {"value": v, **({"unit": item["unit"], "system": "http://unitsofmeasure.org", "code": item["unit"]}
                                     if item.get("unit") else {})}
                  for k, v in (item.get("reference_range") or {}).items() if v is not None}  # fmt: skip
        if bounds:
            resource["referenceRange"] = [bounds]
        if item.get("specimen_comment"):
            resource["note"] = [{"text": item["specimen_comment"]}]
        labs.append(resource)
    note = "\n".join(filter(None, [*sentences, context.get("narrative")]))
    wrap = lambda found: {"resourceType": "Bundle", "type": "searchset",  # noqa: E731
                          "entry": [{"resource": r} for r in found]} if found else None  # fmt: skip
    prefetch = {
        "patient": pat,
        "conditions": wrap(conditions),
        "medicationRequests": None,
        "medicationStatements": wrap(statements),
        "labs": wrap(labs + observations),
        "notes": wrap([document(note)]) if note else None,
    }
    api = {key: value for key, value in context.items() if key not in ("findings", "narrative")}
    if coded:
        api["findings"] = coded
    if note:
        api["narrative"] = note
    return prefetch, api
