"""FHIR R4 resources to the patient context the engine reads: pure functions, no web framework.

Used by the CDS Hooks service for its prefetch, and meant for batch scoring of Bundles.
What a resource says that the mapping cannot use is reported as a note
{path, input, reason}: nothing is dropped silently, and no input raises.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import ValidationError

from spasmdx.schemas.problem import field_errors
from spasmdx.schemas.request import FREE_TEXT, MAX_ITEMS, MAX_TEXT_TOTAL, SEXES, ContextSchema

from . import notes as clinical_notes
from .clinical import condition, medication, observation
from .datatypes import Collector, Note, date_parts, items, obj, reference_key, text

log = logging.getLogger("spasmdx.fhir")
SECTIONS = ("findings", "medications", "conditions", "labs")
EARLIER = "an earlier result of a test given again: the latest is used"
STALE = "older than {days} days on {day}: not used"  # a result too old to use, listed so it is never silent
_NARRATIVE_SPAN = re.compile(r"narrative\[(\d+):(\d+)\]")
MAX_DEPTH = 3  # Bundles within Bundles: deeper than any real prefetch nests
_schema = ContextSchema()

Reader = Callable[..., None]
READERS: Mapping[str, Reader] = {
    "Condition": condition,
    "Observation": observation,
    "MedicationRequest": medication,
    "MedicationStatement": medication,
}


@dataclass(frozen=True)
class Mapped:
    """The context (as ContextSchema loads it), the notes, and where each context item came from."""

    context: dict[str, Any]
    notes: list[Note]
    origins: dict[str, str]  # "labs[0]" -> "prefetch.labs.entry[3]"
    narrative: clinical_notes.Narrative = field(default_factory=clinical_notes.Narrative)  # the notes read

    def origin(self, path: str) -> str:
        """Return the FHIR location of an engine path such as `labs[2].unit` or `narrative[40:52]`
        (the note's attachment and the offsets in its text); the path itself if unknown."""
        span = _NARRATIVE_SPAN.fullmatch(path)
        if span:
            found = self.narrative.locate(int(span.group(1)), int(span.group(2)))
            return f"{found[0].path}[{found[1]}:{found[2]}]" if found else path
        return self.origins.get(path.split(".", 1)[0], path)

    def located(self, span: Mapping[str, Any]) -> dict[str, Any]:
        """Return a span of the narrative ({path, start, end, ...}) as a span of the note it is in."""
        found = self.narrative.locate(span["start"], span["end"]) if span.get("path") == "narrative" else None
        if found is None:
            return dict(span)
        return {**span, "path": found[0].path, "start": found[1], "end": found[2]}


def to_context(
    prefetch: Mapping[str, Any],
    reference_date: date,
    patient_id: str | None = None,
    lab_max_age_days: int | None = None,
    medications_listed: bool = False,
    root: str = "prefetch",
    note_max_age_days: int | None = clinical_notes.MAX_AGE_DAYS,
) -> Mapped:
    """Map resources, Bundles or nulls under named keys to a patient context.

    `reference_date` is the day ages and result ages are counted to: the caller names it, so
    the same input always maps the same way.  With `patient_id`, resources about another patient
    are left out (and reported).  `medications_listed` says the input holds the patient's whole
    medication list, so that a drug missing from it counts as not taken.  DocumentReferences
    (clinical notes) no older than `note_max_age_days` become the context's narrative.
    """
    out = Collector()
    resources = _deduplicated(_walk(prefetch, root, out))
    medications = {
        key: res
        for _, res, full_url in resources
        if res.get("resourceType") == "Medication"
        for key in (full_url, f"Medication/{text(res.get('id'))}" if text(res.get("id")) else "")
        if key
    }
    wanted = (patient_id or "").removeprefix("Patient/") or None
    patient: dict[str, Any] | None = None
    documents: list[tuple[str, dict[str, Any]]] = []
    for path, resource, full_url in resources:
        kind, named = resource.get("resourceType"), _named(resource, full_url)
        if wanted and _about_another_patient(resource, wanted):
            out.note(path, named, "about another patient than context.patientId: not used")
        elif kind == "Patient":
            if patient is None:
                patient = _patient(resource, path, out, reference_date)
            else:
                out.note(path, named, "a second Patient: the first one is used")
        elif kind in READERS:
            _read(READERS[kind], resource, path, out, medications)
        elif kind == "DocumentReference":
            documents.append((path, resource))
        elif kind != "Medication":  # Medications are read through the requests and statements naming them
            out.note(path, named, "resource type not read by this service")
    patient = patient or {}
    pregnant = _pregnancy(out)
    if pregnant is not None:
        patient["pregnant"] = pregnant
    _keep_recent_labs(out, reference_date, lab_max_age_days)
    narrative = clinical_notes.read(documents, reference_date, note_max_age_days)
    out.notes.extend(narrative.notes)
    mapped = _assemble(patient, out, medications_listed, narrative.text)
    return Mapped(mapped.context, mapped.notes, mapped.origins, narrative) if narrative.text else mapped


def _walk(prefetch: Mapping[str, Any], root: str, out: Collector) -> Iterator[tuple[str, dict[str, Any], str]]:
    for key, value in prefetch.items():
        if value is not None:  # null: the client had no data for this key
            yield from _resources_in(value, f"{root}.{key}", out, 0, "")


def _resources_in(
    value: Any, path: str, out: Collector, depth: int, full_url: str
) -> Iterator[tuple[str, dict[str, Any], str]]:
    resource = obj(value)
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        out.note(path, str(value)[:80], "not a FHIR resource")
    elif kind == "Bundle" and depth < MAX_DEPTH:
        for index, entry in enumerate(items(resource.get("entry"))):
            entry = obj(entry)
            where = f"{path}.entry[{index}]"
            if "resource" not in entry:
                out.note(where, text(entry.get("fullUrl")) or "(entry)", "a Bundle entry without a resource")
            else:
                yield from _resources_in(entry["resource"], where, out, depth + 1, text(entry.get("fullUrl")) or "")
    elif kind == "OperationOutcome":
        if not items(resource.get("issue")):
            out.note(path, "OperationOutcome", "the FHIR server's note on this search, with no issue in it")
        for index, issue in enumerate(items(resource.get("issue"))):
            issue = obj(issue)
            said = text(issue.get("diagnostics")) or text(obj(issue.get("details")).get("text")) or issue.get("code")
            out.note(
                f"{path}.issue[{index}]",
                f"{issue.get('severity', 'issue')}: {said}",
                "the FHIR server's note on this search",
            )
    else:
        yield path, resource, full_url


def _named(resource: dict[str, Any], full_url: str) -> str:
    """Return Type/id, or the entry's fullUrl for a resource without an id."""
    ident = text(resource.get("id"))
    return f"{resource.get('resourceType')}/{ident}" if ident else full_url or str(resource.get("resourceType"))


def _deduplicated(found: Iterator[tuple[str, dict[str, Any], str]]) -> list[tuple[str, dict[str, Any], str]]:
    # The same resource can arrive under two keys (a Medication both included and contained, say).
    seen: set[tuple[str, str]] = set()
    kept = []
    for path, resource, full_url in found:
        ident = (resource["resourceType"], text(resource.get("id")) or full_url or path)
        if ident not in seen:
            seen.add(ident)
            kept.append((path, resource, full_url))
    return kept


def _read(reader: Reader, resource: dict[str, Any], path: str, out: Collector, medications: Mapping[str, Any]) -> None:
    try:
        if reader is medication:
            reader(resource, path, out, medications)
        else:
            reader(resource, path, out)
    except Exception as error:
        log.warning("could not read %s: %s", path, type(error).__name__)
        out.note(path, _named(resource, ""), "could not be read")


def _about_another_patient(resource: dict[str, Any], wanted: str) -> bool:
    if resource.get("resourceType") == "Patient":
        return text(resource.get("id")) not in (None, wanted)
    for element in ("subject", "patient"):
        key = reference_key(resource.get(element))
        if key and key.startswith("Patient/") and key != f"Patient/{wanted}":
            return True
    return False


def _patient(resource: dict[str, Any], path: str, out: Collector, reference_date: date) -> dict[str, Any]:
    patient: dict[str, Any] = {}
    gender = resource.get("gender")
    if gender in SEXES:
        patient["sex"] = gender
    elif gender is not None:
        out.note(f"{path}.gender", str(gender)[:50], "not a FHIR administrative gender")
    if "birthDate" in resource:
        age = age_on(resource["birthDate"], reference_date)
        if age is None:
            out.note(
                f"{path}.birthDate",
                str(resource["birthDate"])[:50],
                f"not a birth date from 130 years before {reference_date} to that day",
            )
        else:
            patient["age"] = age
    return patient


def age_on(birth_date: Any, reference_date: date) -> float | None:
    """Return the age in completed years on a day (a fraction under 2 years), or None if it cannot be told."""
    parts = date_parts(birth_date)
    if parts is None:
        return None
    year, month, day = parts
    # A partial birth date is taken at the middle of what it names: off by at most half a year.
    try:
        born = date(year, month or 7, day or (15 if month else 1))
    except ValueError:
        return None
    if born > reference_date:
        return None
    years = reference_date.year - born.year - ((reference_date.month, reference_date.day) < (born.month, born.day))
    if years > 130:
        return None
    return float(years) if years >= 2 else round((reference_date - born).days / 365.25, 2)


def _pregnancy(out: Collector) -> bool | None:
    if not out.pregnancy:
        return None
    # The most recent record wins; an undated one counts as the oldest.
    return max(out.pregnancy, key=lambda p: p[0] or date.min)[1]


def is_stale(note: Mapping[str, str]) -> bool:
    """True for the note on a lab result left out as too old (a critical value may hide in one)."""
    reason = note.get("reason", "")
    return reason.startswith("older than ") and reason.endswith(": not used")


def _lab_text(item: dict[str, Any], when: date | None) -> str:
    name = item.get("display") or (item.get("code") or {}).get("code", "lab")
    return f"{name} {item['value']:g} {item.get('unit', '')}".rstrip() + (f" ({when})" if when else "")


def _keep_recent_labs(out: Collector, reference_date: date, max_age_days: int | None) -> None:
    """Keep the latest result of each test, and none older than max_age_days: old values mislead."""
    latest: dict[str, tuple[dict[str, Any], str, date | None]] = {}
    for item, path, when, key in out.labs:
        if max_age_days is not None and when is not None and (reference_date - when).days > max_age_days:
            out.note(path, _lab_text(item, when), STALE.format(days=max_age_days, day=reference_date))
            continue
        kept = latest.get(key)
        if kept is not None and (when or date.min) <= (kept[2] or date.min):
            out.note(path, _lab_text(item, when), EARLIER)
            continue
        if kept is not None:
            out.note(kept[1], _lab_text(kept[0], kept[2]), EARLIER)
        latest[key] = (item, path, when)
    for item, path, _ in latest.values():
        out.add("labs", item, path)


def _assemble(patient: dict[str, Any], out: Collector, medications_listed: bool, narrative: str = "") -> Mapped:
    """Load the context through ContextSchema, leaving out (and reporting) any item it refuses."""
    entries = {s: out.sections.get(s, []) for s in SECTIONS}
    for section, found in entries.items():
        for item, origin in found[MAX_ITEMS:]:
            out.note(origin, item.get("display", "item"), f"more than {MAX_ITEMS} {section}: left out")
        entries[section] = found[:MAX_ITEMS]
    _within_text_budget(entries, out)
    context = _context(patient, entries, medications_listed, narrative)
    try:
        loaded = _schema.load(context)
    except ValidationError:
        # Find the items at fault one by one, so that one bad value costs that item only.
        if patient and not _valid({"patient": patient}, "Patient", out):
            patient = {}
        entries = {s: [(i, o) for i, o in found if _valid({s: [i]}, o, out)] for s, found in entries.items()}
        context = _context(patient, entries, medications_listed, narrative)
        loaded = _schema.load(context)
    origins = {f"{s}[{n}]": origin for s, found in entries.items() for n, (_, origin) in enumerate(found)}
    return Mapped(loaded, out.notes, origins)


def _within_text_budget(entries: dict[str, list[tuple[dict[str, Any], str]]], out: Collector) -> None:
    """Leave out (and report) the items that would take the case's free text past what the contract allows."""
    total = 0
    for section, found in entries.items():
        kept = []
        for item, origin in found:
            size = sum(len(item.get(name) or "") for name in FREE_TEXT)
            if total + size > MAX_TEXT_TOTAL:
                out.note(
                    origin, str(item.get("display", "item")), f"over {MAX_TEXT_TOTAL} characters of text: left out"
                )
            else:
                total += size
                kept.append((item, origin))
        entries[section] = kept


def _context(
    patient: dict[str, Any],
    entries: dict[str, list[tuple[dict[str, Any], str]]],
    medications_listed: bool,
    narrative: str = "",
) -> dict[str, Any]:
    context: dict[str, Any] = {"patient": patient} if patient else {}
    for section, found in entries.items():
        if found or (section == "medications" and medications_listed):
            context[section] = [item for item, _ in found]
    if narrative:
        context["narrative"] = narrative
    return context


def _valid(fragment: dict[str, Any], origin: str, out: Collector) -> bool:
    try:
        _schema.load(fragment)
    except ValidationError as error:
        problems = "; ".join(f"{e['path']}: {e['message']}" for e in field_errors(error.messages))
        section = next(iter(fragment))
        given = fragment[section] if section == "patient" else fragment[section][0]
        code = given.get("code") or {}
        named = given.get("display") or (f"{code.get('system')}|{code.get('code')}" if code else section)
        out.note(origin, str(named), f"refused: {problems}")
        return False
    return True
