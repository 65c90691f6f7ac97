"""CDS Hooks test helpers: FHIR builders, the specification's rules for cards, a local FHIR server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}]
SERVICE = "/cds-services/spasm-differential"
REFERENCE_DATE = "2026-11-20"


def patient(pid: str = "p1", gender: str = "male", birth: str = "1962-04-11") -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def medication_request(rxnorm: str, display: str, status: str = "active", pid: str = "p1", **more: Any) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": "2026-09-01",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm, "display": display}]},
        **more,
    }


def lab(
    loinc: str,
    display: str,
    value: float,
    unit: str,
    high: float | None = None,
    low: float | None = None,
    when: str = "2026-11-19",
    pid: str = "p1",
) -> dict:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": LAB,
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    bounds = {
        side: {"value": v, "unit": unit, "system": UCUM, "code": unit}
        for side, v in (("low", low), ("high", high))
        if v is not None
    }
    if bounds:
        resource["referenceRange"] = [bounds]
    return resource


def condition(snomed: str, display: str, status: str = "active", pid: str = "p1") -> dict:
    return {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]
        },
        "code": {"coding": [{"system": SNOMED, "code": snomed, "display": display}]},
    }


def searchset(*resources: dict) -> dict:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    if resources:
        bundle["entry"] = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return bundle


STATIN = medication_request("617310", "atorvastatin 20 MG Oral Tablet")
CK_40_ULN = lab("2157-6", "Creatine kinase", 8000, "U/L", high=200)


def prefetch(pat: dict | None = None, conditions=(), medications=(), labs=(), statements=None) -> dict:
    """A complete prefetch as a client delivers it: a resource, searchset Bundles, null for no data."""
    return {
        "patient": pat if pat is not None else patient(),
        "conditions": searchset(*conditions) if conditions else None,
        "medicationRequests": searchset(*medications) if medications else None,
        "medicationStatements": statements,
        "labs": searchset(*labs) if labs else None,
    }


def hook_request(given: dict | None, pid: str = "p1", **more: Any) -> dict:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": pid},
        "extension": {"dev.spasmdx.reference-date": REFERENCE_DATE},
    }
    if given is not None:
        body["prefetch"] = given
    body.update(more)
    return body


def prefetch_from_bundle(bundle: dict, *extra: dict) -> dict:
    """Turn a patient Bundle (carebundle's transaction Bundles) into the prefetch the service asks for."""
    resources = [e["resource"] for e in bundle.get("entry", [])] + list(extra)
    by_type = lambda kind: [r for r in resources if r["resourceType"] == kind]  # noqa: E731
    labs = [
        r
        for r in by_type("Observation")
        if any(c.get("code") == "laboratory" for cat in r.get("category", []) for c in cat.get("coding", []))
    ]
    return {
        "patient": (by_type("Patient") or [None])[0],
        "conditions": searchset(*by_type("Condition")) if by_type("Condition") else None,
        "medicationRequests": searchset(*by_type("MedicationRequest")) if by_type("MedicationRequest") else None,
        "medicationStatements": None,
        "labs": searchset(*labs) if labs else None,
    }


def spec_problems(body: Any) -> list[str]:
    """Return every way a CDS Hooks response breaks the specification's rules (empty when it keeps them)."""
    problems: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("cards"), list):
        return ["the response is not an object with a cards array"]
    for key, value in body.items():
        if key != "cards":
            _no_empties(value, key, problems)
    uuids = [card.get("uuid") for card in body["cards"]]
    if len(set(uuids)) != len(uuids):
        problems.append("card uuids are not unique")
    for index, card in enumerate(body["cards"]):
        where = f"cards[{index}]"
        _no_empties(card, where, problems)
        summary = card.get("summary")
        if not isinstance(summary, str) or not 0 < len(summary) < 140:
            problems.append(f"{where}.summary must be a string of 1-139 characters")
        if card.get("indicator") not in ("info", "warning", "critical"):
            problems.append(f"{where}.indicator must be info, warning or critical")
        source = card.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("label"), str):
            problems.append(f"{where}.source needs a label")
        elif "topic" in source and not {"system", "code"} <= set(source["topic"]):
            problems.append(f"{where}.source.topic must be a Coding with system and code")
        if "detail" in card and not isinstance(card["detail"], str):
            problems.append(f"{where}.detail must be Markdown text")
        if "suggestions" in card and "selectionBehavior" not in card:
            problems.append(f"{where} has suggestions without selectionBehavior")
        for reason in card.get("overrideReasons", []):
            if not {"code", "system", "display"} <= set(reason):
                problems.append(f"{where}.overrideReasons need code, system and display")
        for link in card.get("links", []):
            if not {"label", "url", "type"} <= set(link) or link["type"] not in ("absolute", "smart"):
                problems.append(f"{where}.links need label, url and type absolute or smart")
            elif "appContext" in link and link["type"] != "smart":
                problems.append(f"{where}.links: appContext is only for smart links")
    return problems


def _no_empties(value: Any, where: str, problems: list[str]) -> None:
    # The specification: no null, "", [] or {} unless it says otherwise (only the cards array may be empty).
    if value is None or value == "" or value == [] or value == {}:
        problems.append(f"{where or 'the response'} is null or empty")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_empties(item, f"{where}.{key}" if where else key, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_empties(item, f"{where}[{index}]", problems)


Route = Callable[[str, dict[str, str]], tuple[Any, ...]]


@contextmanager
def fhir_server(answer: Route) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve answer(path_and_query, headers) -> (status, JSON or bytes[, headers]) on 127.0.0.1.

    Yield (base URL, requests seen).
    """
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "headers": dict(self.headers)})
            status, body, *more = answer(self.path, dict(self.headers))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            for name, value in (more[0] if more else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up (the timeout tests) is expected, not news

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def raw_server(serve: Callable[[Any], None]) -> Iterator[tuple[str, list[int]]]:
    """Accept connections on 127.0.0.1 and hand each socket to serve(sock), in a thread of its own.

    For servers that misbehave below HTTP (trickling, endless bodies). Yields (base URL, a list with
    one entry per connection accepted). Every socket has a 10 s timeout, so nothing outlives a test long.
    """
    accepted: list[int] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def run(sock: Any) -> None:
        with sock:
            sock.settimeout(10)
            with suppress(OSError):  # the client gave up: expected when it enforces a limit
                serve(sock)

    def accept() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=run, args=(sock,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/fhir", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
