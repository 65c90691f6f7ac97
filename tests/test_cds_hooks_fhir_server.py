"""Prefetch left out is fetched from the client's FHIR server (a local, allow-listed one), or the answer is 412."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import cds
import pytest
from cds import CK_40_ULN, SERVICE, STATIN, hook_request, patient, searchset, spec_problems
from contract import conforms

from spasmdx.service import create_app

TOKEN = "opaque-fhir-access-token"
AUTHORIZATION = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/*.read",
    "subject": "spasmdx",
}


def chart(path, headers, pages=None):
    """Answer like a FHIR server holding one statin user with a CK of 40 x ULN."""
    parts = urlsplit(path)
    kind = parts.path.removeprefix("/fhir/")
    if kind == "Patient/p1":
        return 200, patient()
    if parse_qs(parts.query).get("patient") != ["p1"]:
        return 400, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}
    found = {"MedicationRequest": [STATIN], "Observation": [CK_40_ULN]}.get(kind, [])
    return 200, searchset(*found)


@pytest.fixture(scope="module")
def ehr():
    """One local FHIR server for the module, so the app can allow-list it; each test sets how it answers."""
    route = {"answer": chart}
    with cds.fhir_server(lambda path, headers: route["answer"](path, headers)) as (base, seen):
        yield base, seen, route


@pytest.fixture(scope="module")
def app(ehr):
    return create_app({"TESTING": True, "CDS_FHIR_TIMEOUT": 2, "CDS_FHIR_MAX_PAGES": 3, "CDS_FHIR_SERVERS": ehr[0]})


@pytest.fixture()
def fhir_server(ehr):
    """Answer the next calls with `answer`: fhir_server(answer) -> (base URL, requests seen while it held)."""
    base, seen, route = ehr

    @contextmanager
    def answering(answer):
        seen.clear()
        route["answer"] = answer
        try:
            yield base, seen
        finally:
            route["answer"] = chart

    return answering


@pytest.fixture()
def client(app):
    return app.test_client()


def post(client, body):
    response = client.post(SERVICE, json=body)
    if response.status_code == 200:
        conforms(response)
        assert spec_problems(response.get_json()) == []
    return response


def test_without_prefetch_everything_is_fetched_with_the_bearer_token(client, fhir_server):
    with fhir_server(chart) as (base, seen):
        response = post(client, hook_request(None, fhirServer=base, fhirAuthorization=AUTHORIZATION))
    assert response.status_code == 200
    assert [c["indicator"] for c in response.get_json()["cards"]] == ["critical", "info"]
    assert len(seen) == 6 and all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in seen)  # notes too
    paths = sorted(r["path"] for r in seen)
    assert paths[-1] == "/fhir/Patient/p1"
    assert "/fhir/Observation?patient=p1&category=laboratory&_sort=-date&_count=100" in paths


def test_only_the_keys_left_out_are_fetched(client, fhir_server):
    with fhir_server(chart) as (base, seen):
        body = hook_request({"patient": patient(), "conditions": None}, fhirServer=base)
        response = post(client, body)
    assert response.status_code == 200 and len(seen) == 4  # medication requests and statements, labs, notes
    assert not any(r["path"].startswith(("/fhir/Patient", "/fhir/Condition")) for r in seen)
    assert all("Authorization" not in r["headers"] for r in seen)  # no fhirAuthorization: no token to send


def paged(path, headers):
    """Labs over pages that never end; the statin user's CK is on the second page."""
    parts = urlsplit(path)
    if parts.path.endswith("/Observation") or parts.path.endswith("/page"):
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        bundle = searchset(CK_40_ULN) if page == 2 else searchset()
        bundle["link"] = [
            {"relation": "next", "url": f"http://127.0.0.1:{headers['Host'].split(':')[1]}/fhir/page?page={page + 1}"}
        ]
        return 200, bundle
    return chart(path, headers)


def test_search_pages_are_followed_up_to_the_bound(client, fhir_server):
    with fhir_server(paged) as (base, seen):
        response = post(client, hook_request(None, fhirServer=base))
    body = response.get_json()
    assert "critical" in [c["indicator"] for c in body["cards"]]
    assert sum(r["path"].startswith("/fhir/page") for r in seen) == 2  # 3 pages in all
    assert any("more than 3 pages" in n["reason"] for n in body["extension"]["dev.spasmdx.unrecognized"])


def test_a_next_page_on_another_server_is_not_followed(client, fhir_server):
    def elsewhere(path, headers):
        if path.startswith("/fhir/Observation"):
            return 200, searchset(CK_40_ULN) | {"link": [{"relation": "next", "url": "https://other.example/x"}]}
        return chart(path, headers)

    with fhir_server(elsewhere) as (base, seen):
        body = post(client, hook_request(None, fhirServer=base, fhirAuthorization=AUTHORIZATION)).get_json()
    assert len(seen) == 6
    assert any(n["reason"] == "on another server: not followed" for n in body["extension"]["dev.spasmdx.unrecognized"])


def test_a_patient_the_server_does_not_know_is_no_data(client, fhir_server):
    def unknown(path, headers):
        return (404, {"resourceType": "OperationOutcome"}) if "/Patient/" in path else chart(path, headers)

    with fhir_server(unknown) as (base, _):
        response = post(client, hook_request(None, fhirServer=base))
    assert response.status_code == 200


@pytest.mark.parametrize("failing", ["Observation", "Patient"])
def test_a_failing_server_is_412_naming_the_key(client, fhir_server, failing):
    def broken(path, headers):
        return (500, {"resourceType": "OperationOutcome"}) if failing in path else chart(path, headers)

    with fhir_server(broken) as (base, _):
        response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    key = {"Observation": "labs", "Patient": "patient"}[failing]
    assert response.status_code == 412
    assert response.get_json()["detail"] == f"Could not fetch prefetch {key} from the fhirServer."
    conforms(response)


def test_an_unreachable_server_is_412(closed_port):
    base = f"http://127.0.0.1:{closed_port}/fhir"
    client = create_app({"TESTING": True, "CDS_FHIR_SERVERS": base}).test_client()
    response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 412 and response.get_json()["detail"].endswith(" from the fhirServer.")


def test_an_optional_key_the_server_fails_on_is_reported_not_412(client, fhir_server):
    def no_statements(path, headers):
        return (500, {}) if "MedicationStatement" in path else chart(path, headers)

    with fhir_server(no_statements) as (base, _):
        body = post(client, hook_request(None, fhirServer=base)).get_json()
    assert any(n["path"] == "prefetch.medicationStatements" for n in body["extension"]["dev.spasmdx.unrecognized"])


def test_a_server_that_never_answers_is_412(client, fhir_server):
    def hung(path, headers):
        time.sleep(10)  # past the 2 s budget; the handler thread is a daemon: the test does not wait for it
        return chart(path, headers)

    with fhir_server(hung) as (base, seen):
        response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 412 and len(seen) <= 1  # the first fetch used up the budget: no other is tried
    assert response.get_json()["detail"] == "Could not fetch prefetch patient from the fhirServer."
    conforms(response)


def test_the_time_budget_is_for_all_fetches_not_for_each(client, fhir_server):
    # Each answer takes 0.8 s, well inside a 2 s budget for one fetch; five of them cannot fit in a
    # budget of 2 s for all. Counting the fetches tells which, whatever the machine's load: at most
    # three can have started before the budget ran out (three take at least 2.4 s).
    def slow(path, headers):
        time.sleep(0.8)
        return chart(path, headers)

    with fhir_server(slow) as (base, seen):
        response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 412 and 1 <= len(seen) <= 3
    conforms(response)


def test_a_server_not_on_the_allow_list_is_not_called(fhir_server):
    client = create_app({"TESTING": True, "CDS_FHIR_SERVERS": "https://ehr.example.org/fhir"}).test_client()
    with fhir_server(chart) as (base, seen):
        response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 412 and seen == []


def keep_alive(close_after_each: bool):
    """An HTTP/1.1 server answering every request with the chart; it may close after each without saying so."""

    def serve(sock):
        for _ in range(10):
            request = sock.recv(65536)
            if not request:
                return
            path = request.split(b" ")[1].decode()
            status, body = chart(path, {})
            data = json.dumps(body).encode()
            sock.sendall(f"HTTP/1.1 {status} OK\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
            if close_after_each:
                return

    return serve


@pytest.mark.parametrize("close_after_each, connections", [(False, 1), (True, 6)], ids=["kept", "closed-each-time"])
def test_a_connection_is_kept_alive_and_one_the_server_closed_is_made_again(close_after_each, connections):
    with cds.raw_server(keep_alive(close_after_each)) as (base, accepted):
        client = create_app({"TESTING": True, "CDS_FHIR_SERVERS": base}).test_client()
        response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 200 and len(accepted) == connections
