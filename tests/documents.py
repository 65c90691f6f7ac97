"""Clinical notes as FHIR DocumentReferences, for the note tests: plain text, HTML, by url."""

from __future__ import annotations

import base64
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
