"""CDS Hooks draft orders (a FHIR R4 Bundle of MedicationRequest) as medication items with a daily dose.

Pure functions, no web framework. What a draft holds that this reading cannot use (another resource
type, a dose in a unit that is not a mass or a count of the product) is reported as a note
{path, input, reason}; nothing raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from spasmdx.rules.codesystems import ATC, RXNORM, UCUM, URI
from spasmdx.schemas.problem import field_errors
from spasmdx.schemas.request import MAX_ITEMS, MAX_TEXT, MedicationSchema

from .datatypes import Note, coding_in, items, label, number, obj, reference_key, text

MASS_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001}
# A dose counted in units of the product ("1 TAB"): v3-orderableDrugForm codes, UCUM annotations, "1".
_FORMS = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
PER_DAY = {"h": 24.0, "d": 1.0, "wk": 1 / 7, "mo": 1 / 30}
# Past conditions stay on record for the order checks: a resolved statin myopathy is the history
# that matters when a statin is ordered again.  Refuted and entered-in-error ones stay out.
PAST = ("inactive", "remission", "resolved")
ROOT = "context.draftOrders"
_item = MedicationSchema()


@dataclass(frozen=True)
class Draft:
    """One draft MedicationRequest: where it is, its medication item, and its daily dose when it can be told."""

    reference: str  # MedicationRequest/<id>: what a suggestion's resourceId names
    path: str
    resource: dict[str, Any]
    item: dict[str, Any]  # a context medication item: code and display (with the dosage text)
    mg_per_day: float | None  # from a dose in mg, g or micrograms
    units_per_day: float | None  # from a dose in tablets or capsules: times the product's strength


def read_drafts(bundle: Any, patient_id: str) -> tuple[list[Draft], list[Note]]:
    """Return the MedicationRequests of a draftOrders Bundle, and notes on what was not read."""
    drafts: list[Draft] = []
    notes: list[Note] = []
    medications = _medications(bundle)
    wanted = patient_id.removeprefix("Patient/")
    for index, entry in enumerate(items(obj(bundle).get("entry"))):
        path = f"{ROOT}.entry[{index}].resource"
        resource = obj(obj(entry).get("resource"))
        kind = text(resource.get("resourceType")) or "(no resourceType)"
        ident = text(resource.get("id"))
        if kind == "Medication":
            continue  # read through the requests naming it
        if kind == "MedicationRequest" and len(drafts) >= MAX_ITEMS:
            notes.append(
                {"path": path, "input": ident or kind, "reason": f"more than {MAX_ITEMS} draft orders: not checked"}
            )
            continue
        if kind != "MedicationRequest":
            notes.append({"path": path, "input": kind, "reason": "not a medication order: not checked by this service"})
            continue
        subject = reference_key(resource.get("subject"))
        if subject and subject != f"Patient/{wanted}":
            notes.append({"path": f"{path}.subject", "input": subject, "reason": "about another patient: not checked"})
            continue
        if ident is None:
            notes.append({"path": path, "input": kind, "reason": "a draft order without an id: not checked"})
            continue
        concept = _concept(resource, medications)
        item: dict[str, Any] = {"status": "active"}
        coding = coding_in(concept, (RXNORM, ATC))
        if coding:
            item["code"] = coding
        words = " ".join(filter(None, [label(concept), *_dosage_texts(resource)]))
        if words:
            item["display"] = words[:MAX_TEXT]
        if len(item) == 1:
            notes.append({"path": f"{path}.medication", "input": ident, "reason": "no medication code or name"})
            continue
        try:
            loaded = _item.load(item)
        except ValidationError as error:
            said = "; ".join(f"{e['path']}: {e['message']}" for e in field_errors(error.messages))
            notes.append({"path": f"{path}.medication", "input": ident, "reason": f"refused: {said}"})
            continue
        mg, units = daily_dose(resource)
        drafts.append(Draft(f"MedicationRequest/{ident}", path, resource, loaded, mg, units))
    return drafts, notes


def selected(drafts: Sequence[Draft], selections: Sequence[str]) -> tuple[set[str], list[Note]]:
    """Return the references of the drafts named by `selections`, and notes on selections not found."""
    known = {d.reference for d in drafts}
    notes = [
        {"path": f"context.selections[{i}]", "input": s, "reason": "names no medication order in draftOrders"}
        for i, s in enumerate(selections)
        if s not in known
    ]
    return {s for s in selections if s in known}, notes


def daily_dose(resource: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Return (mg a day, product units a day) from the dosage instructions; the larger of several."""
    mg: list[float] = []
    units: list[float] = []
    for dosage in items(resource.get("dosageInstruction")):
        dosage = obj(dosage)
        per_day = _per_day(obj(obj(dosage.get("timing")).get("repeat")))
        for rate in items(dosage.get("doseAndRate")):
            rate = obj(rate)
            quantity = obj(rate.get("doseQuantity")) or obj(obj(rate.get("doseRange")).get("high"))
            value = number(quantity.get("value"))
            if value is None or value <= 0 or per_day is None:
                continue
            unit = (text(quantity.get("code")) or text(quantity.get("unit")) or "").lower()
            system = (text(quantity.get("system")) or "").rstrip("/")
            if unit in MASS_MG and system in ("", URI[UCUM]):
                mg.append(value * MASS_MG[unit] * per_day)
            elif system == _FORMS or unit in ("1", "tab", "tablet", "cap", "capsule") or unit.startswith("{"):
                units.append(value * per_day)
    return (max(mg) if mg else None), (max(units) if units else None)


def with_past_conditions(prefetch: Mapping[str, Any]) -> dict[str, Any]:
    """Return the prefetch with past Conditions (resolved, inactive, in remission) counted as on record."""
    return {key: _on_record(value) for key, value in prefetch.items()}


def _on_record(value: Any) -> Any:
    resource = obj(value)
    if resource.get("resourceType") == "Bundle":
        return {
            **resource,
            "entry": [{**obj(e), "resource": _on_record(obj(e).get("resource"))} for e in items(resource.get("entry"))],
        }
    if resource.get("resourceType") == "Condition":
        status = obj(resource.get("clinicalStatus"))
        codes = [obj(c).get("code") for c in items(status.get("coding"))]
        if any(code in PAST for code in codes):
            active = {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
            }
            return {**resource, "clinicalStatus": active}
    return value


def _per_day(repeat: Mapping[str, Any]) -> float | None:
    if not repeat:
        return 1.0  # a dose with no timing: taken as once a day
    frequency = number(repeat.get("frequencyMax")) or number(repeat.get("frequency")) or 1.0
    period = number(repeat.get("period")) or 1.0
    unit = text(repeat.get("periodUnit")) or "d"
    if unit not in PER_DAY or period <= 0:
        return None  # minutes or years: no daily dose to compare with a label's
    return frequency * PER_DAY[unit] / period


def _dosage_texts(resource: Mapping[str, Any]) -> list[str]:
    return [t for t in (text(obj(d).get("text")) for d in items(resource.get("dosageInstruction"))) if t]


def _medications(bundle: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in items(obj(bundle).get("entry")):
        resource = obj(obj(entry).get("resource"))
        if resource.get("resourceType") == "Medication":
            for key in (text(obj(entry).get("fullUrl")), f"Medication/{text(resource.get('id'))}"):
                if key:
                    found[key] = resource
    return found


def _concept(resource: Mapping[str, Any], medications: Mapping[str, Any]) -> dict[str, Any]:
    if "medicationCodeableConcept" in resource:
        return obj(resource["medicationCodeableConcept"])
    reference = obj(resource.get("medicationReference"))
    target = text(reference.get("reference")) or ""
    if target.startswith("#"):
        contained = [obj(c) for c in items(resource.get("contained"))]
        found = next((c for c in contained if c.get("resourceType") == "Medication" and c.get("id") == target[1:]), {})
    else:
        found = obj(medications.get(target) or medications.get(reference_key(reference) or ""))
    concept = obj(found.get("code"))
    if not concept and text(reference.get("display")):
        concept = {"text": text(reference.get("display"))}
    return concept
