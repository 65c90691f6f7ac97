"""The security review's SSRF findings through `fhirServer` (issue 15), replayed on 127.0.0.1: each must fail."""

from __future__ import annotations

import logging
import re
import socket
import time

import pytest
import requests
from cds import SERVICE, fhir_server, hook_request, patient, searchset
from contract import conforms

from spasmdx.service import create_app, fhir_http
from spasmdx.service.security import ConfigError

pytestmark = pytest.mark.security
TOKEN = "opaque-token-for-the-ehr-only"
AUTHORIZATION = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}
SAME_ANSWER = "Could not fetch prefetch patient from the fhirServer."


def chart(path, headers):
    return 200, patient() if "/Patient/" in path else searchset()


def app_allowing(*servers: str, **config):
    return create_app({"TESTING": True, "CDS_FHIR_SERVERS": ",".join(servers), "CDS_FHIR_TIMEOUT": 1, **config})


@pytest.fixture(scope="module")
def dead_port():
    """A port on 127.0.0.1 bound and never listened on, held for the module: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def ehr():
    """One allow-listed local FHIR server for the module; ehr[2]["answer"] sets how it answers."""
    route = {"answer": chart}
    with fhir_server(lambda path, headers: route["answer"](path, headers)) as (base, seen):
        yield base, seen, route


@pytest.fixture(scope="module")
def allowing(ehr, dead_port):
    return app_allowing(ehr[0], f"http://127.0.0.1:{dead_port}/fhir").test_client()


@pytest.fixture()
def ehr_answering(ehr):
    """Set the allow-listed server's answer for this test; return (base URL, requests seen in this test)."""
    base, seen, route = ehr

    def answering(answer):
        route["answer"] = answer
        return base, seen

    seen.clear()
    yield answering
    route["answer"] = chart


def hook(client, server: str, **more):
    return client.post(SERVICE, json=hook_request(None, fhirServer=server, fhirAuthorization=AUTHORIZATION, **more))


def test_with_the_default_empty_allow_list_nothing_is_fetched():
    client = create_app({"TESTING": True}).test_client()
    with fhir_server(chart) as (base, seen):
        response = hook(client, base)
    assert response.status_code == 412 and seen == []
    assert response.get_json()["detail"].startswith("Could not fetch prefetch patient, conditions")
    conforms(response)


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("/admin/delete?user=1#", id="query-and-fragment-take-the-url"),
        pytest.param("#", id="fragment"),
        pytest.param("?", id="empty-query"),
        pytest.param("/../admin/secret", id="dot-segments"),
        pytest.param("/%2e%2e/admin/secret", id="escaped-dot-segments"),
        pytest.param("/%2E%2e/%2e/admin", id="mixed-case-escapes"),
        pytest.param("/.%2e/admin", id="half-escaped"),
        pytest.param("/..%2fadmin", id="escaped-slash"),
        pytest.param("\\..\\admin", id="backslashes"),
        pytest.param("/ad min", id="space"),
    ],
)
def test_a_fhir_server_that_escapes_its_allowed_prefix_is_refused_without_a_request(allowing, ehr_answering, tail):
    base, seen = ehr_answering(chart)
    assert hook(allowing, base + tail).status_code == 412 and seen == []
    assert hook(allowing, base).status_code == 200  # the allowed base itself works


@pytest.mark.parametrize(
    "host",
    [
        "0x7f.0.0.1",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "127.1",
        "127.0.0.01",
        "user@127.0.0.1",
        "[::ffff:7f00:1]",
        "[127.0.0.1]",
        "[::1",
    ],
)
def test_other_spellings_of_an_allowed_address_are_refused(allowing, ehr_answering, host):
    base, seen = ehr_answering(chart)
    port = base.split(":")[2].split("/")[0]
    assert hook(allowing, f"http://{host}:{port}/fhir").status_code == 412 and seen == []


@pytest.mark.parametrize(
    "entry",
    [
        "http://ehr.example.org/fhir",  # plain http beyond this machine
        "https://ehr.example.org/fhir?tenant=1",
        "https://ehr.example.org/fhir#",
        "https://user:pw@ehr.example.org/fhir",
        "https://0x7f000001/fhir",
        "ftp://ehr.example.org/fhir",
        "https://ehr.example.org:0/fhir",
    ],
)
def test_a_bad_allow_list_entry_stops_start_up_naming_the_setting(entry):
    with pytest.raises(ConfigError, match="SPASMDX_CDS_FHIR_SERVERS"):
        app_allowing(entry)


def test_the_token_goes_to_the_allowed_server_only(allowing, ehr_answering):
    def pointing_to(elsewhere):
        def answer(path, headers):
            if "Observation" in path:  # a next link to the other server
                return 200, searchset() | {"link": [{"relation": "next", "url": f"{elsewhere}/Observation"}]}
            if "MedicationStatement" in path:  # a redirect there (an optional key: the call goes on)
                return 302, b"", {"Location": f"{elsewhere}/MedicationStatement"}
            return chart(path, headers)

        return answer

    with fhir_server(chart) as (other, seen_elsewhere):
        base, seen = ehr_answering(pointing_to(other))
        assert hook(allowing, other).status_code == 412  # not on the allow-list
        assert hook(allowing, base).status_code == 200
    assert len(seen) == 6 and all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in seen)
    assert seen_elsewhere == []


def hung(path, headers):
    time.sleep(5)  # past the 1 s budget; the server's thread is a daemon: nothing waits for it
    return chart(path, headers)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda path, headers: (500, {"resourceType": "OperationOutcome"}), id="http-500"),
        pytest.param(lambda path, headers: (302, b"", {"Location": "http://127.0.0.1:1/"}), id="redirect"),
        pytest.param(lambda path, headers: (200, b"<html>login</html>"), id="not-json"),
        pytest.param(lambda path, headers: (200, [1, 2]), id="json-not-fhir"),
        pytest.param(lambda path, headers: (401, {}), id="http-401"),
        pytest.param("refused", id="connection-refused"),
        pytest.param("timeout", id="timeout"),
    ],
)
def test_the_412_says_the_same_whatever_the_server_did(allowing, ehr_answering, dead_port, answer):
    if answer == "refused":
        response = hook(allowing, f"http://127.0.0.1:{dead_port}/fhir")
    else:
        base, _ = ehr_answering(hung if answer == "timeout" else answer)
        response = hook(allowing, base)
    assert response.status_code == 412 and response.get_json()["detail"] == SAME_ANSWER
    assert set(response.get_json()) == {"type", "title", "status", "detail", "instance", "request_id"}


def test_the_failure_is_logged_with_the_host_and_no_patient_data_or_token(allowing, ehr_answering, caplog):
    caplog.set_level(logging.DEBUG)
    base, _ = ehr_answering(lambda path, headers: (500, {}))
    hook(allowing, base, context={"userId": "u", "patientId": "PATIENT-7731-SECRET"})
    assert re.search(r"prefetch patient not fetched from '127\.0\.0\.1:\d+': HTTP 500", caplog.text)
    assert "PATIENT-7731" not in caplog.text and TOKEN not in caplog.text


def test_the_service_does_not_fetch_its_own_metrics(server):
    def scrapes():
        text = requests.get(f"{server}/metrics", timeout=10).text
        found = re.search(r'spasmdx_requests_total\{[^}]*route="/metrics"[^}]*status="200"[^}]*\} (\S+)', text)
        return float(found.group(1)) if found else 0.0

    before = scrapes()
    for own in (f"{server}/metrics#", f"{server}/metrics?", f"{server}/metrics", server):
        body = hook_request(None, fhirServer=own)
        assert requests.post(f"{server}{SERVICE}", json=body, timeout=10).status_code == 412
    assert scrapes() == before + 1  # only the first scrape itself


def test_a_name_that_resolves_to_this_machine_or_to_metadata_is_refused(monkeypatch):
    with fhir_server(chart) as (base, seen):
        port = int(base.split(":")[2].split("/")[0])
        client = app_allowing(
            f"https://ehr.example.org:{port}/fhir", f"https://meta.example.org:{port}/fhir"
        ).test_client()
        for name, address in (("ehr", "127.0.0.1"), ("meta", "169.254.169.254"), ("ehr", "::ffff:169.254.169.254")):
            monkeypatch.setattr(fhir_http.socket, "getaddrinfo", lambda *a, address=address, **k: _found(address, port))
            assert hook(client, f"https://{name}.example.org:{port}/fhir").status_code == 412
    assert seen == []


def test_the_host_is_resolved_once_and_every_fetch_goes_to_the_checked_address(monkeypatch):
    # A rebinding DNS answers this machine first, the metadata service after: only the first answer is used.
    answers = iter(["127.0.0.1"] + ["169.254.169.254"] * 10)
    with fhir_server(chart) as (base, seen):
        port = int(base.split(":")[2].split("/")[0])
        monkeypatch.setattr(fhir_http.socket, "getaddrinfo", lambda *a, **k: _found(next(answers), port))
        response = hook(app_allowing(f"http://localhost:{port}/fhir").test_client(), f"http://localhost:{port}/fhir")
    assert response.status_code == 200 and len(seen) == 6
    assert next(answers) == "169.254.169.254" and sum(1 for _ in answers) == 9  # one lookup for five fetches
    assert all(r["headers"]["Host"] == f"localhost:{port}" for r in seen)


def _found(address: str, port: int) -> list:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
