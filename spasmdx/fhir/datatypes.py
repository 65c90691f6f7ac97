"""Read FHIR R4 data types tolerantly: a value of the wrong shape reads as absent, never as an error."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from spasmdx.rules.codesystems import URI

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_REFERENCE = re.compile(r"(?:^|/)([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")

Note = dict[str, str]


def obj(value: Any) -> dict[str, Any]:
    """Return the value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """Return the value if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """Return a non-blank string, stripped, or None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def number(value: Any) -> float | None:
    """Return a finite JSON number (not a boolean) as float, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _system(coding: dict[str, Any]) -> str:
    return (text(coding.get("system")) or "").rstrip("/").lower()


def codings(concept: Any) -> list[dict[str, Any]]:
    """Return the codings of a CodeableConcept that carry a code."""
    return [c for c in items(obj(concept).get("coding")) if isinstance(c, dict) and text(c.get("code"))]


def coding_in(concept: Any, systems: Iterable[str]) -> dict[str, str] | None:
    """Return {system, code} of the first coding in one of the systems, named as in rules.codesystems
    (a userSelected one first); the system is given back as the resource spells it."""
    wanted = [URI[s].lower() for s in systems]
    found = [c for c in codings(concept) if _system(c) in wanted]
    # The clinician's own choice first, then the order of the systems given (the preferred first).
    found.sort(key=lambda c: (c.get("userSelected") is not True, wanted.index(_system(c))))
    if not found:
        return None
    return {"system": text(found[0]["system"]) or "", "code": text(found[0]["code"]) or ""}


def code_of(concept: Any, system: str | None = None) -> str | None:
    """Return the first code of a CodeableConcept, in the given system (a rules.codesystems name) if one is named."""
    for coding in codings(concept):
        if system is None or _system(coding) == URI[system].lower():
            return text(coding["code"])
    return None


def label(concept: Any) -> str | None:
    """Return what a clinician would read: the concept's text, else the first coding's display."""
    concept = obj(concept)
    if text(concept.get("text")):
        return text(concept["text"])
    for coding in codings(concept):
        if text(coding.get("display")):
            return text(coding["display"])
    return None


def shown(concept: Any) -> str:
    """Return a concept for a note: its label, else its codes as system|code."""
    return label(concept) or ", ".join(f"{c.get('system', '?')}|{c['code']}" for c in codings(concept)) or "(no code)"


def fhir_date(value: Any) -> date | None:
    """Return the calendar date of a FHIR date, dateTime or instant given to the day, else None."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if not match or match.group(3) is None:
        return None  # a partial date ("2020", "2020-03") does not name a day
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def date_parts(value: Any) -> tuple[int, int | None, int | None] | None:
    """Return (year, month, day) of a FHIR date, with None for the parts a partial date leaves out."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    return year, month, day  # type: ignore[return-value]


def reference_key(reference: Any) -> str | None:
    """Return "Type/id" for a relative or absolute literal reference, else None."""
    match = _REFERENCE.search(text(obj(reference).get("reference")) or "")
    return f"{match.group(1)}/{match.group(2)}" if match else None


def period_or_date(resource: dict[str, Any], stem: str) -> tuple[date | None, date | None]:
    """Return (start, end) of `<stem>DateTime`, `<stem>Period` or `<stem>Instant`."""
    single = fhir_date(resource.get(f"{stem}DateTime")) or fhir_date(resource.get(f"{stem}Instant"))
    period = obj(resource.get(f"{stem}Period"))
    return single or fhir_date(period.get("start")), fhir_date(period.get("end"))


@dataclass
class Collector:
    """What a mapping found: items by section with where each came from, and notes on what it could not use."""

    sections: dict[str, list[tuple[dict[str, Any], str]]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    labs: list[tuple[dict[str, Any], str, date | None, str]] = field(default_factory=list)
    pregnancy: list[tuple[date | None, bool, str]] = field(default_factory=list)

    def add(self, section: str, item: dict[str, Any], origin: str) -> None:
        self.sections.setdefault(section, []).append((item, origin))

    def note(self, path: str, given: str, reason: str) -> None:
        self.notes.append({"path": path, "input": given[:200], "reason": reason})
