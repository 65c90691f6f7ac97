"""Turn a validated patient context into facts, and list what could not be understood."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from .derive import derive
from .facts import EXPOSURE_BY_STATUS, ConceptFact, Facts, LabResult, MedicationFact, Mention
from .knowledge import KnowledgeBase
from .scores import ck_band
from .terminology import LOINC, SYSTEMS_BY_SECTION, system_name

SECTION_NOUN = {"findings": "finding", "conditions": "condition", "medications": "medication", "labs": "lab"}


@dataclass(slots=True)
class Resolution:
    facts: Facts
    unrecognized: list[dict[str, str]] = field(default_factory=list)

    def skip(self, path: str, given: str, reason: str) -> None:
        self.unrecognized.append({"path": path, "input": given, "reason": reason})


def resolve(kb: KnowledgeBase, context: Mapping[str, Any]) -> Resolution:
    """Resolve every section of a context; nothing is dropped without a word in `unrecognized`."""
    out = Resolution(Facts())
    patient = context.get("patient") or {}
    out.facts.age = patient.get("age")
    out.facts.sex = patient.get("sex")
    out.facts.pregnant = patient.get("pregnant")
    out.facts.medications_given = "medications" in context
    for section in ("findings", "conditions"):
        for i, item in enumerate(context.get(section) or ()):
            _resolve_concepts(kb, out, item, f"{section}[{i}]", section)
    for i, item in enumerate(context.get("medications") or ()):
        _resolve_medication(kb, out, item, f"medications[{i}]")
    for i, item in enumerate(context.get("labs") or ()):
        _resolve_lab(kb, out, item, f"labs[{i}]")
    derive(kb, out.facts)
    return out


def _label(item: Mapping[str, Any]) -> str:
    code = item.get("code")
    return item.get("display") or (f"{code['system']}|{code['code']}" if code else "")


def _coded(out: Resolution, item: Mapping[str, Any], path: str, section: str) -> tuple[str, str] | None:
    """Return (system, code) when the item carries a code in a system this section reads."""
    code = item.get("code")
    if not code:
        return None
    system = system_name(code["system"])
    if system not in SYSTEMS_BY_SECTION[section]:
        out.skip(f"{path}.code", f"{code['system']}|{code['code']}", f"code system not used for {section}")
        return None
    return system, code["code"]


def _resolve_concepts(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str, section: str) -> None:
    present = item.get("present", True)
    display = item.get("display") or ""
    body_site = item.get("body_site") or ""
    text = f"{display} {body_site}".strip()
    shown = _label(item) + (f" ({body_site})" if body_site else "")
    shown = shown if present else f"{shown}: absent"
    mention = Mention(shown, path)
    onset = item.get("onset_date")
    found: dict[str, bool] = {}
    coded = _coded(out, item, path, section)
    if coded:
        concept = kb.terminology.concept_by_code(*coded)
        if concept:
            found[concept] = present
        elif text:
            out.skip(f"{path}.code", f"{coded[0]}|{coded[1]}", f"{SECTION_NOUN[section]} code not in the knowledge base")
    for hit in kb.terminology.concepts_in(text):
        found.setdefault(hit.id, present and not hit.negated)
    drugs = kb.terminology.drugs_in(text) if section == "findings" else ()
    for hit in drugs:
        exposure = "denied" if hit.negated or not present else "current"
        _file_drug(kb, out.facts, MedicationFact(hit.id, exposure, mention))
    for concept, is_present in found.items():
        out.facts.concepts.setdefault(concept, []).append(ConceptFact(concept, is_present, mention, onset))
    if not found and not drugs:
        out.skip(path, _label(item) or body_site, f"no {SECTION_NOUN[section]} in the knowledge base matches")


def _resolve_medication(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str) -> None:
    status = item.get("status", "active")
    exposure = EXPOSURE_BY_STATUS.get(status)
    if exposure is None:
        out.skip(f"{path}.status", status, "not an exposure: the medication is not counted")
        return
    start: date | None = item.get("start_date")
    mention = Mention(_label(item) + ("" if exposure == "current" else f" ({status})"), path)
    drugs: dict[str, str] = {}
    coded = _coded(out, item, path, "medications")
    if coded:
        drug = kb.terminology.drug_by_code(*coded)
        if drug:
            drugs[drug] = exposure
        elif item.get("display"):
            out.skip(f"{path}.code", f"{coded[0]}|{coded[1]}", "medication code not in the knowledge base")
    for hit in kb.terminology.drugs_in(item.get("display") or ""):
        drugs.setdefault(hit.id, "denied" if hit.negated else exposure)
    for drug, how in drugs.items():
        _file_drug(kb, out.facts, MedicationFact(drug, how, mention, start))
    if not drugs:
        out.skip(path, _label(item), "no medication in the knowledge base matches")


def _file_drug(kb: KnowledgeBase, facts: Facts, fact: MedicationFact) -> None:
    """File a medication under its own id and every class it belongs to."""
    for key in (fact.drug, *kb.drug_classes_of(fact.drug)):
        facts.medications.setdefault(key, []).append(fact)


def _resolve_lab(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str) -> None:
    lab_id = None
    coded = _coded(out, item, path, "labs")
    if coded:
        lab_id = kb.terminology.lab_by_code(coded[1])
        if lab_id is None and item.get("display"):
            out.skip(f"{path}.code", f"{LOINC}|{coded[1]}", "lab code not in the knowledge base")
    if lab_id is None and item.get("display"):
        lab_id = kb.terminology.lab_in(item["display"])
    if lab_id is None:
        out.skip(path, _label(item), "no lab in the knowledge base matches")
        return
    lab = kb.labs[lab_id]
    # A plain ratio (UCUM "1", such as the ankle-brachial index) often comes with no unit at all.
    unit = item.get("unit") or ("1" if lab.unit == "1" else "")
    factor = kb.units.factor(lab_id, unit)
    if factor is None:
        out.skip(f"{path}.unit", unit or "(none)", f"unit not known for {lab.name} (expected e.g. {lab.unit})")
        return
    value = item["value"] * factor
    given = item.get("reference_range") or {}
    default = lab.default_range(out.facts.sex)
    low = given["low"] * factor if given.get("low") is not None else (None if given else default.low)
    high = given["high"] * factor if given.get("high") is not None else (None if given else default.high)
    shown = f"{item.get('display') or lab.name} {item['value']:g} {unit}".rstrip()
    if high and lab_id == "ck":
        shown += f" ({value / high:.1f} x ULN, {ck_band(value / high)})"
    elif high and value > high:
        shown += f" ({value / high:.1f} x ULN)"
    result = LabResult(lab_id, value, low, high, Mention(shown, path))
    out.facts.labs.setdefault(lab_id, []).append(result)

