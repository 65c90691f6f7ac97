"""The patient-view hook with five 4,000-character notes: latency in-process and through gunicorn (wrk)."""

from __future__ import annotations

import base64
import statistics
import time
from typing import Any

from . import wrk
from .notes import NOTE
from .server import serving

SERVICE = "/cds-services/spasm-differential"
NOTES, NOTE_SIZE = 5, 4_000
GOAL_P99_MS = 50.0


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def _note(index: int, text: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": f"n{index}",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}]},
        "subject": {"reference": "Patient/p1"},
        "date": f"2026-11-{19 - index:02d}T09:00:00Z",
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                    "data": base64.b64encode(text.encode()).decode()}}],
    }  # fmt: skip


def note_text(index: int) -> str:
    """A note of NOTE_SIZE characters: the bench's clinical note, its lines rotated by `index`, repeated."""
    lines = NOTE.splitlines()
    rotated = "\n".join(lines[index:] + lines[:index]) + "\n"
    return (rotated * (NOTE_SIZE // len(rotated) + 1))[:NOTE_SIZE]


def hook_call(notes: bool = True) -> dict[str, Any]:
    """A patient-view call: a statin user with a CK, and (with `notes`) five 4,000-character progress notes."""
    subject = {"reference": "Patient/p1"}
    rxnorm, loinc, ucum = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://loinc.org", "http://unitsofmeasure.org"
    atorvastatin = {"system": rxnorm, "code": "617310", "display": "atorvastatin 20 MG Oral Tablet"}
    statin = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": subject,
        "medicationCodeableConcept": {"coding": [atorvastatin]},
    }
    laboratory = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}
    ck = {
        "resourceType": "Observation",
        "status": "final",
        "subject": subject,
        "effectiveDateTime": "2026-11-19",
        "category": [{"coding": [laboratory]}],
        "code": {"coding": [{"system": loinc, "code": "2157-6", "display": "Creatine kinase"}]},
        "valueQuantity": {"value": 4200, "unit": "U/L", "system": ucum, "code": "U/L"},
        "referenceRange": [{"high": {"value": 200, "unit": "U/L", "system": ucum, "code": "U/L"}}],
    }
    texts = [note_text(3 * i) for i in range(NOTES)]  # no two the same text
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-03-02"},
        "conditions": None,
        "medicationRequests": _bundle(statin),
        "medicationStatements": None,
        "labs": _bundle(ck),
        "notes": _bundle(*(_note(i, text) for i, text in enumerate(texts))) if notes else None,
    }
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "p1"},
        "extension": {"dev.spasmdx.reference-date": "2026-11-20"},
        "prefetch": prefetch,
    }


def in_process(body: dict[str, Any], rounds: int = 300) -> tuple[float, float]:
    """Return (median, p99) milliseconds of one call through the app, without HTTP or gunicorn."""
    from spasmdx.service import create_app

    client = create_app({"LOG_LEVEL": "WARNING"}).test_client()
    for _ in range(10):
        client.post(SERVICE, json=body)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.post(SERVICE, json=body)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def reading_ms(body: dict[str, Any], rounds: int = 200) -> float:
    """Return the median milliseconds of mapping the prefetch, notes decoded and joined (no engine)."""
    from datetime import date

    from spasmdx import fhir

    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fhir.to_context(body["prefetch"], date(2026, 11, 20), "p1", 365)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def hook() -> None:
    """Print the hook's latency with five 4,000-character notes, beside the same call without them."""
    with_notes, without = hook_call(), hook_call(notes=False)
    print(
        f"patient-view mapping alone: {reading_ms(without):.2f} ms without notes, "
        f"{reading_ms(with_notes):.2f} ms with {NOTES} notes of {NOTE_SIZE:,} characters (decoded, joined)"
    )
    for name, body in (("without notes", without), (f"{NOTES} notes of {NOTE_SIZE:,} characters", with_notes)):
        median, p99 = in_process(body)
        print(f"patient-view in-process, {name}: median {median:.1f} ms, p99 {p99:.1f} ms")
    with serving(workers=2) as (url, _):
        wrk.run(f"{url}{SERVICE}", with_notes, seconds=2)  # warm up
        stats = wrk.run(f"{url}{SERVICE}", with_notes, seconds=10, connections=2)
    print(
        f"patient-view through gunicorn, {NOTES} notes of {NOTE_SIZE:,} characters: {stats['rps']:.0f} requests/s, "
        f"p50 {stats['p50']:.1f} ms, p99 {stats['p99']:.1f} ms (goal under {GOAL_P99_MS:.0f} ms), "
        f"errors {stats['errors']:.0f} (wrk, 2 connections, 2 workers)"
    )


if __name__ == "__main__":
    hook()
