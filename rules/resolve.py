"""Turn a validated patient context into facts, and list what could not be understood."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any, cast

from .derive import derive
from .exposure import exposure_in_text as _exposure_in_text
from .facts import EXPOSURE_BY_STATUS, ConceptFact, Facts, LabResult, MedicationFact, Mention
from .knowledge import KnowledgeBase
from .lab_text import LabMention
from .model import HAEMOLYSED_SAMPLE
from .narrative import conversion as _conversion
from .narrative import read_note
from .scores import ck_band
from .terminology import LOINC, SYSTEMS_BY_SECTION, system_name

SECTION_NOUN = {"findings": "finding", "conditions": "condition", "medications": "medication", "labs": "lab"}


class Resolution:
    __slots__ = ("facts", "unrecognized", "text_labs", "understood")

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.unrecognized: list[dict[str, Any]] = []
        # Results written in findings, conditions and the narrative, filed after the labs section: a sent
        # result comes first. (reading, path, (start, end) in the narrative or None)
        self.text_labs: list[tuple[LabMention, str, tuple[int, int] | None]] = []
        self.understood: list[dict[str, Any]] = []  # what the narrative was read as, in order

    def skip(self, path: str, given: str, reason: str, near: tuple[str, ...] = ()) -> None:
        entry: dict[str, Any] = {"path": path, "input": given, "reason": reason}
        if near:
            entry["did_you_mean"] = list(near)
        self.unrecognized.append(entry)


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
    if context.get("narrative"):
        _resolve_narrative(kb, out, context["narrative"], "narrative")
    for said, path, span in out.text_labs:
        _file_lab_text(kb, out, said, path, span)
    derive(kb, out.facts)
    return out


def _label(item: Mapping[str, Any]) -> str:
    code = item.get("code")
    return _label_of(item.get("display") or "", code and code["system"], code and code["code"])


def _label_of(display: str, system: str | None, code: str | None) -> str:
    return display or (f"{system}|{code}" if system is not None else "")


def _coded(out: Resolution, item: Mapping[str, Any], path: str, section: str) -> tuple[str, str] | None:
    """Return (system, code) when the item carries a code in a system this section reads."""
    code = item.get("code")
    if not code:
        return None
    coded, refusal = _readable_code(section, code["system"], code["code"])
    if refusal:
        out.skip(f"{path}.code", *refusal)
    return coded


def _readable_code(section: str, system: str, code: str) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """((system name, code), None) for a system this section reads, else (None, (input, reason))."""
    name = system_name(system)
    if name not in SYSTEMS_BY_SECTION[section]:
        return None, (f"{system}|{code}", f"code system not used for {section}")
    return (name, code), None


@dataclass(frozen=True, slots=True)
class Reading:
    """What one finding or condition says, wherever it stands in a request."""

    shown: str  # how evidence quotes it
    concepts: tuple[tuple[str, bool], ...]  # (concept, present)
    drugs: tuple[tuple[str, str], ...]  # (drug, exposure): a finding may name a drug ("no statin")
    skips: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (".code" or "", input, reason, near) for `unrecognized`
    labs: tuple[LabMention, ...] = ()  # results written in the text ("CK 18,824 u/l", "CPK raised")


def _resolve_concepts(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str, section: str) -> None:
    code = item.get("code")
    reading = _reader(kb)(
        section,
        item.get("present", True),
        item.get("display") or "",
        item.get("body_site") or "",
        code["system"] if code else None,
        code["code"] if code else None,
    )
    mention = Mention(reading.shown, path)
    for suffix, given, reason, near in reading.skips:
        out.skip(path + suffix, given, reason, near)
    for drug, exposure in reading.drugs:
        _file_drug(kb, out.facts, MedicationFact(drug, exposure, mention))
    onset = item.get("onset_date")
    concepts = out.facts.concepts
    for concept, present in reading.concepts:
        concepts.setdefault(concept, []).append(ConceptFact(concept, present, mention, onset))
    out.text_labs.extend((said, path, None) for said in reading.labs)


# What a drug mention's status says of its exposure; a relative's or a queried drug is no exposure.
_NOTE_EXPOSURE = {"present": "current", "absent": "denied", "historical": "past"}
_NOTE_SHOWN = {"absent": ": absent", "historical": " (history)", "family": " (family history)"}


def _resolve_narrative(kb: KnowledgeBase, out: Resolution, text: str, path: str) -> None:
    """File what a clinical note says (rules/narrative.py), each fact pointing at its words in the note."""
    reading = read_note(kb, text, path, partial(_conversion, kb))
    for where, given, reason in reading.unreadable:
        out.skip(where, given, reason)
    concepts = out.facts.concepts
    # A note repeats itself ("cramps ... the cramps ... cramps again"): the first mention of each fact is
    # filed and shown as evidence; every mention stays in `understood`.
    seen: set[tuple[str, str]] = set()
    for said in reading.mentions:
        out.understood.append(said.as_dict())
        key = (said.concept, said.status + (said.text if said.kind == "lab" else ""))  # each result its own
        if key in seen:
            continue
        seen.add(key)
        if said.kind == "medication":
            exposure = _NOTE_EXPOSURE.get(said.status)
            if exposure is not None:
                shown = said.text if exposure == "current" else f"{said.text} ({exposure})"
                dose = dose_mg(text[said.start : said.sentence_end], said.text)
                fact = MedicationFact(said.concept, exposure, Mention(shown, path, said.start, said.end), None, dose)
                _file_drug(kb, out.facts, fact)
        elif said.kind == "lab":
            if said.lab is not None and said.status == "present":
                out.text_labs.append((said.lab, path, (said.start, said.end)))
        else:
            filed = _counted_as(kb, said.concept, said.status)
            if filed is not None:
                mention = Mention(said.text + _NOTE_SHOWN.get(said.status, ""), path, said.start, said.end)
                concepts.setdefault(filed, []).append(ConceptFact(filed, said.status != "absent", mention))


def _counted_as(kb: KnowledgeBase, concept_id: str, status: str) -> str | None:
    """The concept a note's mention counts as, by the vocabulary's data; None when it does not count."""
    concept = kb.concepts[concept_id]
    if status in ("present", "absent"):
        return concept_id
    if status == "historical":
        # A chronic condition stays the patient's; a past event counts as its history, where one is kept.
        return concept_id if concept.history == "current" else None if concept.history == "past" else concept.history
    if status == "family":
        return concept.family or None
    return None  # hypothetical


def _reader(kb: KnowledgeBase) -> Callable[..., Reading]:
    """The knowledge base's reading of finding and condition items: a pure function, so its answers are kept
    (the same displays recur across requests and batch lines)."""
    reader = cast("Callable[..., Reading] | None", kb.memo.get("concept_reading"))
    if reader is None:
        reader = kb.memo["concept_reading"] = lru_cache(maxsize=16384)(partial(_read_concepts, kb))
    return reader


def _read_concepts(
    kb: KnowledgeBase, section: str, present: bool, display: str, body_site: str, system: str | None, code: str | None
) -> Reading:
    text = f"{display} {body_site}".strip()
    label = _label_of(display, system, code)
    shown = label + (f" ({body_site})" if body_site else "")
    shown = shown if present else f"{shown}: absent"
    skips: list[tuple[str, str, str, tuple[str, ...]]] = []
    found: dict[str, bool] = {}
    if system is not None and code is not None:
        coded, refusal = _readable_code(section, system, code)
        if refusal:
            skips.append((".code", *refusal, ()))
        elif coded:
            concept = kb.terminology.concept_by_code(*coded)
            if concept:
                found[concept] = present
            elif text:
                skips.append((".code", "|".join(coded), f"{SECTION_NOUN[section]} code not in the knowledge base", ()))
    for hit in kb.terminology.concepts_in(text):
        found.setdefault(hit.id, present and not hit.negated)
    drugs = kb.terminology.drugs_said(text) if section == "findings" else ()
    exposures = tuple(
        (hit.id, _exposure_in_text(text, hit.negated or not present, "current", hit.phrase)) for hit in drugs
    )
    labs = _labs_in(kb, text) if present else ()
    skips.extend(("", said.shown, said.problem, ()) for said in labs if said.problem)
    if not found and not drugs and not labs:
        near = kb.terminology.spellers[section].near(text)
        skips.append(("", label or body_site, f"no {SECTION_NOUN[section]} in the knowledge base matches", near))
    return Reading(shown, tuple(found.items()), exposures, tuple(skips), tuple(s for s in labs if not s.problem))


def _labs_in(kb: KnowledgeBase, text: str) -> tuple[LabMention, ...]:
    """The lab results a text states; a status phrase the concept vocabulary names ("low potassium") stays a concept."""
    if not text:
        return ()
    said = kb.terminology.lab_results.read(text, partial(_conversion, kb))
    return tuple(s for s in said if not (s.status and kb.terminology.concepts_in(s.shown)))


def _file_lab_text(
    kb: KnowledgeBase, out: Resolution, said: LabMention, path: str, span: tuple[int, int] | None = None
) -> None:
    """File a result read from text with the lab's default reference range, as a lab sent without one."""
    start, end = span if span is not None else (None, None)
    lab = kb.labs[said.lab]
    default = lab.default_range(out.facts.sex)
    value, shown = said.value, said.shown
    if said.uln_multiple is not None:
        if not default.high:
            where = path if span is None else f"{path}[{span[0]}:{span[1]}]"
            out.skip(where, shown, f"{lab.name} has no upper limit to multiply")
            return
        value = said.uln_multiple * default.high
    if value is None:
        shown += f" (reported {said.status}, no value)"
        result = LabResult(lab.id, math.nan, default.low, default.high, Mention(shown, path, start, end), said.status)
    else:
        if default.high and lab.id == "ck":
            shown += f" ({value / default.high:.1f} x ULN, {ck_band(value / default.high)})"
        elif default.high and value > default.high:
            shown += f" ({value / default.high:.1f} x ULN)"
        result = LabResult(lab.id, value, default.low, default.high, Mention(shown, path, start, end))
    out.facts.labs.setdefault(lab.id, []).append(result)


def _resolve_medication(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str) -> None:
    status = item.get("status", "active")
    exposure = EXPOSURE_BY_STATUS.get(status)
    if exposure is None:
        out.skip(f"{path}.status", status, "not an exposure: the medication is not counted")
        return
    start: date | None = item.get("start_date")
    end: date | None = item.get("end_date")
    if exposure == "current" and end is not None and _ended_before_symptoms(out.facts, end):
        exposure, status = "past", f"ended {end.isoformat()}"
    mention = Mention(_label(item) + ("" if exposure == "current" else f" ({status})"), path)
    display = item.get("display") or ""
    drugs: dict[str, tuple[str, float | None]] = {}
    coded = _coded(out, item, path, "medications")
    if coded:
        drug = kb.terminology.drug_by_code(*coded)
        if drug:
            # A clinical drug code names its strength ("simvastatin 40 MG Oral Tablet").
            ingredient = kb.ingredients.get(drug)
            product, name = (ingredient.products.get(coded[1], ""), ingredient.name) if ingredient else ("", "")
            how = exposure if exposure == "past" else _exposure_in_text(display, False, exposure)
            drugs[drug] = (how, dose_mg(display, name) or dose_mg(product, name))
        elif display:
            out.skip(f"{path}.code", f"{coded[0]}|{coded[1]}", "medication code not in the knowledge base")
    for hit in kb.terminology.drugs_in(display):
        how = exposure if exposure == "past" else _exposure_in_text(display, hit.negated, exposure, hit.phrase)
        drugs.setdefault(hit.id, (how, dose_mg(display, hit.phrase)))
    for drug, (how, dose) in drugs.items():
        _file_drug(kb, out.facts, MedicationFact(drug, how, mention, start, dose))
    if not drugs:
        near = kb.terminology.spellers["medications"].near(item.get("display") or "")
        out.skip(path, _label(item), "no medication in the knowledge base matches", near)


def _ended_before_symptoms(facts: Facts, end: date) -> bool:
    """True when the drug's end date falls before the first dated symptom: it was stopped, not taken, then."""
    onsets = [
        f.onset_date
        for found in facts.concepts.values()
        for f in found
        if f.present and f.onset_date and f.mention.path.startswith("findings")  # symptoms, not the problem list
    ]
    return bool(onsets) and end < min(onsets)


# A strength in mg (micrograms and grams converted); a twice-daily schedule doubles it.  Enough
# for the label dose limits the rules weigh (statins).
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)(?:\s*/\s*\d+(?:\.\d+)?)*\s*(mg|milligrams?|mcg|micrograms?|µg|ug|g)\b")
_PER_MG = {"mg": 1.0, "milligram": 1.0, "milligrams": 1.0, "g": 1000.0}
_TWICE_DAILY = re.compile(r"\b(bd|bid|b\.i\.d\.?|twice (?:a )?day|twice daily|every 12 hours|q12h)\b")


_TWO_FIGURES = re.compile(r"\d\s*/\s*\d")
# "ezetimibe/simvastatin 10/40 mg": the strengths follow the names in order.
_COMBINATION = re.compile(r"([a-z][a-z ]*(?:/[a-z][a-z ]*)+?)\s*(\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)+)\s*(mg)\b")


def dose_mg(text: str, name: str) -> float | None:
    """Return the daily dose in mg written after `name` in `text` (or anywhere when `name` is empty)."""
    lowered = text.lower()
    name = name.lower()
    value = _combination_strength(lowered, name) if name else None
    at = lowered.find(name) if name else 0
    match = _STRENGTH.search(lowered, max(at, 0))
    if value is None:
        # "Vytorin 10/40 mg": figures that cannot be matched to names are not guessed.
        if match is None or _TWO_FIGURES.search(match.group(0)):
            return None
        value = float(match.group(1)) * _PER_MG.get(match.group(2), 0.001)
    end = match.end() if match else 0
    return value * 2 if _TWICE_DAILY.search(lowered, end) else value


def _combination_strength(lowered: str, name: str) -> float | None:
    for found in _COMBINATION.finditer(lowered):
        names = [part.strip() for part in found.group(1).split("/")]
        figures = [float(part) for part in found.group(2).replace(" ", "").split("/")]
        for index, part in enumerate(names):
            if len(names) == len(figures) and (part == name or part.endswith(" " + name)):
                return figures[index]
    return None


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
        near = kb.terminology.spellers["labs"].near(item.get("display") or "")
        out.skip(path, _label(item), "no lab in the knowledge base matches", near)
        return
    lab = kb.labs[lab_id]
    # A plain ratio (UCUM "1", such as the ankle-brachial index) often comes with no unit at all.
    unit = item.get("unit") or ("1" if lab.unit == "1" else "")
    factor = kb.units.factor(lab_id, unit)
    if factor is None:
        out.skip(f"{path}.unit", unit or "(none)", f"unit not known for {lab.name} (expected e.g. {lab.unit})")
        return
    offset = kb.units.offset(lab_id, unit)
    value = item["value"] * factor + offset
    given = item.get("reference_range") or {}
    default = lab.default_range(out.facts.sex)
    low = given["low"] * factor + offset if given.get("low") is not None else (None if given else default.low)
    high = given["high"] * factor + offset if given.get("high") is not None else (None if given else default.high)
    shown = f"{item.get('display') or lab.name} {item['value']:g} {unit}".rstrip()
    if lab.if_haemolysed and _haemolysed(kb, out, item, path, shown, lab.if_haemolysed):
        if low is None or value >= low:
            # Haemolysis releases red-cell contents and raises the result: a normal or high value
            # may be spurious, or hide a true low one (Asirvatham 2013), so it is not used.
            reason = f"haemolysed sample: {lab.name} reads falsely high; not used, repeat on a fresh sample"
            out.skip(path, shown, reason)
            return
        shown += " (haemolysed sample: the true value is lower still)"  # a low one stands
    if high and lab_id == "ck":
        shown += f" ({value / high:.1f} x ULN, {ck_band(value / high)})"
    elif high and value > high:
        shown += f" ({value / high:.1f} x ULN)"
    result = LabResult(lab_id, value, low, high, Mention(shown, path))
    out.facts.labs.setdefault(lab_id, []).append(result)


def _haemolysed(kb: KnowledgeBase, out: Resolution, item: Mapping[str, Any], path: str, shown: str, filed: str) -> bool:
    """True when the lab's specimen comment or display says the sample was haemolysed; files `filed` then."""
    marks = (HAEMOLYSED_SAMPLE, filed)  # "haemolysed", or "haemolysed potassium" itself
    if not any(_says(kb, item.get(key) or "", marks) for key in ("specimen_comment", "display")):
        return False
    fact = ConceptFact(filed, True, Mention(f"{shown} (haemolysed sample)", path))
    out.facts.concepts.setdefault(filed, []).append(fact)
    return True


def _says(kb: KnowledgeBase, text: str, concepts: tuple[str, ...]) -> bool:
    """True when the text names one of the concepts, not negated ("haemolysed", not "no haemolysis")."""
    return bool(text) and any(hit.id in concepts and not hit.negated for hit in kb.terminology.concepts_in(text))
