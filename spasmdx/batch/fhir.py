"""A FHIR R4 Bundle (one patient, as Synthea and bulk exports write them) as a case.

Its DocumentReferences (clinical notes) are read into the context's narrative by the mapping, under
the same rules as the hook's: text/plain and text/html, newest first, none older than 30 days before
the Bundle's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from spasmdx import fhir
from spasmdx.fhir.datatypes import fhir_date

# Where a resource records when something happened; the newest is the Bundle's "today".
_DATE_FIELDS = ("effectiveDateTime", "issued", "authoredOn", "recordedDate", "onsetDateTime", "dateAsserted", "date")


def bundle_case(bundle: dict[str, Any]) -> tuple[str | None, dict[str, Any], list[dict[str, str]]]:
    """Return (patient id, context as validated by the mapping, notes): the case a Bundle describes."""
    when = reference_date(bundle)
    mapped = fhir.to_context({"bundle": bundle}, when or date.today(), medications_listed=True, root="bundle")
    patient = next((e["resource"] for e in _entries(bundle) if e["resource"].get("resourceType") == "Patient"), None)
    notes = list(mapped.notes)
    if when is None:
        notes.append(
            {"path": "bundle", "input": "(no dates)", "reason": "no date in the Bundle: ages counted to today"}
        )
    case_id = patient.get("id") if patient else None
    return case_id, mapped.context, notes


def reference_date(bundle: dict[str, Any]) -> date | None:
    """The Bundle's timestamp, else the newest clinical date in it: never the wall clock."""
    stamp = fhir_date(bundle.get("timestamp"))
    if stamp:
        return stamp
    days = [fhir_date(entry["resource"].get(name)) for entry in _entries(bundle) for name in _DATE_FIELDS]
    days += [fhir_date((entry["resource"].get("effectivePeriod") or {}).get("start")) for entry in _entries(bundle)]
    found = [d for d in days if d]
    return max(found) if found else None


def _entries(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry") or ():
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield entry
