"""FHIR R4 Conditions, medications and Observations as the items of a patient context."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from spasmdx.rules.codesystems import ATC, ICD10CM, LOINC, RXNORM, SNOMED, UCUM, URI
from spasmdx.schemas.request import MAX_TEXT, STATUSES

from .datatypes import (
    Collector,
    code_of,
    coding_in,
    codings,
    fhir_date,
    items,
    label,
    number,
    obj,
    period_or_date,
    reference_key,
    shown,
    text,
)

CLINICAL_PRESENT = ("active", "recurrence", "relapse")
CLINICAL_ABSENT = ("inactive", "remission", "resolved")
# MedicationRequest.status (R4) in the context's medication status vocabulary.  A cancelled
# request was never taken; a draft is not yet an order.
REQUEST_STATUS = {
    "active": "active",
    "on-hold": "on-hold",
    "completed": "completed",
    "stopped": "stopped",
    "cancelled": "not-taken",
    "draft": "intended",
    "entered-in-error": "entered-in-error",
    "unknown": "unknown",
}
NOT_YET_ORDERED = ("proposal", "plan", "option")  # MedicationRequest.intent values that are no exposure yet
OBSERVATION_UNUSABLE = ("registered", "cancelled", "entered-in-error")  # no result, or a result withdrawn
# Pregnancy status observations (LOINC) and their answers (SNOMED CT and LOINC answer codes).
PREGNANCY_STATUS = ("82810-3", "11449-6")
PREGNANT = ("77386006", "LA15173-0")
NOT_PREGNANT = ("60001007", "LA26683-5")
# Answers that say a finding coded in Observation.code is not there (it is, unless they say so).
ABSENT = ("2667000", "260385009", "373067005", "LA32-8")  # absent, negative, no; LOINC "No"
MAX_VALUE = 1e9


def _coded(concept: Any, systems: tuple[str, ...], path: str, out: Collector, noun: str) -> dict[str, Any] | None:
    """Return {code?, display?} for a concept, or note that it names nothing this service reads."""
    coding = coding_in(concept, systems)
    display = label(concept)
    if coding is None and display is None:
        out.note(path, shown(concept), f"no {noun} code in a system this service reads and no text")
        return None
    item: dict[str, Any] = {}
    if coding:
        item["code"] = coding
    if display:
        item["display"] = display[:MAX_TEXT]
    return item


def condition(resource: dict[str, Any], path: str, out: Collector) -> None:
    """Map a Condition: clinical status to present or absent; refuted is absent; entered in error is not used."""
    verification = code_of(resource.get("verificationStatus"))
    if verification == "entered-in-error":
        out.note(f"{path}.verificationStatus", shown(resource.get("code")), "entered in error: not used")
        return
    item = _coded(resource.get("code"), (SNOMED, ICD10CM), f"{path}.code", out, "condition")
    if item is None:
        return
    clinical = code_of(resource.get("clinicalStatus"))
    if clinical and clinical not in CLINICAL_PRESENT + CLINICAL_ABSENT:
        out.note(f"{path}.clinicalStatus", clinical, "clinical status not understood: counted as present")
    item["present"] = verification != "refuted" and clinical not in CLINICAL_ABSENT
    site = next((label(s) for s in items(resource.get("bodySite")) if label(s)), None)
    if site:
        item["body_site"] = site[:MAX_TEXT]
    onset, _ = period_or_date(resource, "onset")
    if onset:
        item["onset_date"] = onset.isoformat()
    out.add("conditions", item, path)
    if item["present"] and _is_pregnancy(resource.get("code")):
        out.pregnancy.append((onset, True, path))


def _is_pregnancy(concept: Any) -> bool:
    # SNOMED CT "Pregnancy" and "Normal pregnancy"; ICD-10-CM Z33.1, Z34.* and chapter O (O00-O9A).
    if code_of(concept, SNOMED) in ("77386006", "72892002"):
        return True
    icd = (code_of(concept, ICD10CM) or "").upper()
    return icd.startswith(("Z33.1", "Z34", "O"))


def medication(resource: dict[str, Any], path: str, out: Collector, medications: Mapping[str, Any]) -> None:
    """Map a MedicationRequest or MedicationStatement: the drug, its status and when it started."""
    concept = _medication_concept(resource, path, out, medications)
    if concept is None:
        return
    item = _coded(concept, (RXNORM, ATC), f"{path}.medication", out, "medication")
    if item is None:
        return
    item["status"] = _medication_status(resource, path, out)
    start, end = _medication_dates(resource)
    if start:
        item["start_date"] = start.isoformat()
    if end and (start is None or end >= start):
        item["end_date"] = end.isoformat()
    out.add("medications", item, path)


def _medication_concept(
    resource: dict[str, Any], path: str, out: Collector, medications: Mapping[str, Any]
) -> dict[str, Any] | None:
    if "medicationCodeableConcept" in resource:
        return obj(resource["medicationCodeableConcept"])
    reference = obj(resource.get("medicationReference"))
    target = text(reference.get("reference")) or ""
    if target.startswith("#"):  # a contained Medication
        found = next(
            (
                c
                for c in items(resource.get("contained"))
                if obj(c).get("resourceType") == "Medication" and obj(c).get("id") == target[1:]
            ),
            None,
        )
    else:
        found = medications.get(target) or medications.get(reference_key(reference) or "")
    if found is not None and (codings(obj(found).get("code")) or label(obj(found).get("code"))):
        return obj(found["code"])
    if text(reference.get("display")):
        return {"text": text(reference.get("display"))}
    out.note(
        f"{path}.medicationReference",
        target or "(none)",
        "the Medication is neither contained nor in the request, and the reference has no display",
    )
    return None


def _medication_status(resource: dict[str, Any], path: str, out: Collector) -> str:
    status = text(resource.get("status")) or ""
    if resource.get("resourceType") == "MedicationRequest":
        mapped = REQUEST_STATUS.get(status)
        if mapped in ("active", "on-hold") and resource.get("intent") in NOT_YET_ORDERED:
            mapped = "intended"
        if resource.get("doNotPerform") is True:
            mapped = "not-taken"  # an order not to take the drug
    else:
        mapped = status if status in STATUSES else None
    if mapped is None:
        out.note(f"{path}.status", status or "(none)", "medication status not understood: counted as unknown")
        return "unknown"
    return mapped


def _medication_dates(resource: dict[str, Any]) -> tuple[date | None, date | None]:
    if resource.get("resourceType") == "MedicationStatement":
        return period_or_date(resource, "effective")
    bounds = [
        obj(obj(obj(d).get("timing")).get("repeat")).get("boundsPeriod")
        for d in items(resource.get("dosageInstruction"))
    ]
    starts = sorted(d for d in (fhir_date(obj(b).get("start")) for b in bounds) if d)
    ends = sorted(d for d in (fhir_date(obj(b).get("end")) for b in bounds) if d)
    validity = obj(obj(resource.get("dispenseRequest")).get("validityPeriod"))
    start = (starts[0] if starts else None) or fhir_date(validity.get("start")) or fhir_date(resource.get("authoredOn"))
    return start, (ends[-1] if ends else None)


def observation(resource: dict[str, Any], path: str, out: Collector) -> None:
    """Map an Observation: a lab value (LOINC, valueQuantity), a finding (SNOMED CT) or pregnancy status."""
    concept = resource.get("code")
    status = text(resource.get("status"))
    when, _ = period_or_date(resource, "effective")
    when = when or fhir_date(resource.get("issued"))
    if status in OBSERVATION_UNUSABLE:
        out.note(f"{path}.status", f"{shown(concept)} ({status})", "no usable result: not used")
        return
    if code_of(concept, LOINC) in PREGNANCY_STATUS:
        answer = code_of(resource.get("valueCodeableConcept"))
        if answer in PREGNANT + NOT_PREGNANT:
            out.pregnancy.append((when, answer in PREGNANT, path))
        else:
            out.note(f"{path}.value", shown(resource.get("valueCodeableConcept")), "pregnancy status not understood")
        return
    if "valueQuantity" in resource:
        _lab(resource, concept, path, out, when)
    elif coding_in(concept, (SNOMED,)):
        _finding(resource, concept, path, out, _present(resource))
    elif coding_in(resource.get("valueCodeableConcept"), (SNOMED,)):
        _finding(resource, resource["valueCodeableConcept"], path, out, True)  # e.g. LOINC "Symptom": SNOMED answer
    elif "dataAbsentReason" in resource:
        out.note(
            f"{path}.dataAbsentReason",
            f"{shown(concept)}: {shown(resource['dataAbsentReason'])}",
            "no value was recorded",
        )
    else:
        value = next((k for k in resource if k.startswith("value")), "component" if "component" in resource else "")
        out.note(
            f"{path}.{value or 'value'}",
            shown(concept),
            "neither a numeric result (valueQuantity) nor a SNOMED CT-coded finding: not used",
        )


def _present(resource: dict[str, Any]) -> bool:
    """Return False when the value or interpretation says the finding is not there; else True."""
    answer = code_of(resource.get("valueCodeableConcept"))
    interpretation = {code_of(i) for i in items(resource.get("interpretation"))}
    return not (resource.get("valueBoolean") is False or answer in ABSENT or interpretation & {"NEG", "N", "ND"})


def _finding(resource: dict[str, Any], concept: Any, path: str, out: Collector, present: bool) -> None:
    item = _coded(concept, (SNOMED,), f"{path}.code", out, "finding")
    if item is None:
        return
    item["present"] = present
    site = label(resource.get("bodySite"))
    if site:
        item["body_site"] = site[:MAX_TEXT]
    out.add("findings", item, path)


def _lab(resource: dict[str, Any], concept: Any, path: str, out: Collector, when: date | None) -> None:
    quantity = obj(resource.get("valueQuantity"))
    value = number(quantity.get("value"))
    if value is None or not 0 <= value <= MAX_VALUE:
        out.note(
            f"{path}.valueQuantity.value",
            f"{shown(concept)} {quantity.get('value')!r}",
            f"not a number from 0 to {MAX_VALUE:g}: not used",
        )
        return
    item = _coded(concept, (LOINC,), f"{path}.code", out, "lab")
    if item is None:
        return
    item["value"] = value
    unit = _unit(quantity)
    if unit:
        item["unit"] = unit[:50]
    if text(quantity.get("comparator")):
        out.note(
            f"{path}.valueQuantity.comparator",
            f"{quantity['comparator']}{value:g} {unit}".strip(),
            f"a bound, not a value: read as {value:g}",
        )
    # The lab's notes on the result ("Haemolysed sample"): the engine reads them as the specimen comment.
    notes = "; ".join(filter(None, (text(obj(note).get("text")) for note in items(resource.get("note")))))
    if notes:
        item["specimen_comment"] = notes[:MAX_TEXT]
    reference = _reference_range(resource, unit, path, out)
    if reference:
        item["reference_range"] = reference
    elif items(resource.get("interpretation")):
        out.note(
            f"{path}.interpretation",
            shown(resource["interpretation"][0]),
            "interpretation without a reference range: the knowledge base's adult range is used instead",
        )
    key = (item.get("code") or {}).get("code") or (item.get("display") or "").lower()
    out.labs.append((item, path, when, key))


def _unit(quantity: dict[str, Any]) -> str:
    # The UCUM code is the computable unit; the free-text unit only when no UCUM code is given.
    if (text(quantity.get("system")) or "").rstrip("/") == URI[UCUM] and text(quantity.get("code")):
        return text(quantity["code"]) or ""
    return text(quantity.get("unit")) or text(quantity.get("code")) or ""


def _reference_range(resource: dict[str, Any], unit: str, path: str, out: Collector) -> dict[str, float] | None:
    for index, given in enumerate(items(resource.get("referenceRange"))):
        given = obj(given)
        meaning = code_of(given.get("type"))
        if given.get("appliesTo") or (meaning and meaning not in ("normal", "recommended")):
            continue  # a range for another population or purpose
        bounds = {side: obj(given.get(side)) for side in ("low", "high")}
        found = {side: number(q.get("value")) for side, q in bounds.items() if number(q.get("value")) is not None}
        if not found:
            if text(given.get("text")):
                out.note(
                    f"{path}.referenceRange[{index}].text",
                    given["text"],
                    "a reference range in words only: the knowledge base's adult range is used instead",
                )
            continue
        units = {_unit(q) for q in bounds.values() if q and _unit(q)}
        if units - {unit}:
            out.note(
                f"{path}.referenceRange[{index}]",
                ", ".join(sorted(units)),
                f"reference range in another unit than the value ({unit or 'none'}): not used",
            )
            return None
        if found.get("low") is not None and found.get("high") is not None and found["low"] > found["high"]:
            out.note(
                f"{path}.referenceRange[{index}]", f"{found['low']:g}-{found['high']:g}", "low above high: not used"
            )
            return None
        return found
    return None
