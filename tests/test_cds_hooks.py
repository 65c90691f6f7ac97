"""CDS Hooks 2.0: discovery, the patient-view service with prefetch, feedback and CORS, held to the contract."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from cds import (
    CK_40_ULN,
    SERVICE,
    STATIN,
    condition,
    hook_request,
    lab,
    medication_request,
    patient,
    prefetch,
    spec_problems,
)
from contract import conforms

from spasmdx.service import create_app

UNRECOGNIZED = "dev.spasmdx.unrecognized"
# The specification's recommended prefetch query subset, for the parameters this service uses.
ALLOWED_PARAMETERS = {"patient", "clinical-status", "status", "category", "code", "_count", "_sort"}


def call(client, body, **kwargs):
    response = client.post(SERVICE, json=body, **kwargs)
    if response.status_code == 200:
        conforms(response)
        assert spec_problems(response.get_json()) == []
    return response


def indicators(response):
    return [card["indicator"] for card in response.get_json()["cards"]]


def test_discovery_lists_the_patient_view_service_with_prefetch_templates(client):
    response = client.get("/cds-services")
    assert response.status_code == 200
    conforms(response)
    [service] = [s for s in response.get_json()["services"] if s["hook"] == "patient-view"]
    assert service["id"] == "spasm-differential"
    assert service["title"] and service["description"]
    assert set(service["prefetch"]) == {
        *("patient", "conditions", "medicationRequests", "medicationStatements", "labs", "notes"),
    }
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    for template in service["prefetch"].values():
        assert set(re.findall(r"{{(.*?)}}", template)) == {"context.patientId"}
        resource, _, query = template.partition("?")
        assert re.fullmatch(r"[A-Z][A-Za-z]+(/{{context.patientId}})?", resource)
        assert {name for name, _ in parse_qsl(query)} <= ALLOWED_PARAMETERS
    assert "category=laboratory" in service["prefetch"]["labs"] and "_sort=-date" in service["prefetch"]["labs"]


def test_statin_user_with_ck_40_times_uln_gets_a_critical_rhabdomyolysis_card(client):
    response = call(client, hook_request(prefetch(medications=[STATIN], labs=[CK_40_ULN])))
    cards = response.get_json()["cards"]
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert [c["source"]["topic"]["code"] for c in critical] == ["rhabdomyolysis"]
    assert "rhabdomyolysis" in critical[0]["summary"] and "intravenous fluids" in critical[0]["detail"]
    assert "40.0 x ULN" in critical[0]["detail"]
    info = cards[-1]
    assert info["indicator"] == "info" and "Statin-associated myopathy" in info["summary"]
    assert "**Top of the differential**" in info["detail"] and "atorvastatin" in info["detail"]
    assert all(link["url"].startswith("https://") for card in cards for link in card.get("links", []))


def test_benign_nocturnal_cramps_get_no_critical_card(client):
    given = prefetch(
        patient(gender="female", birth="1950-03-02"),
        conditions=[condition("90392009", "Nocturnal leg cramps")],
        medications=[medication_request("197361", "amlodipine 5 MG Oral Tablet")],
        labs=[
            lab("2157-6", "Creatine kinase", 120, "U/L", high=200),
            lab("19123-9", "Magnesium", 2.0, "mg/dL", low=1.7, high=2.2),
        ],
    )
    response = call(client, hook_request(given))
    assert indicators(response) == ["info"]
    assert "nocturnal leg cramps" in response.get_json()["cards"][0]["summary"].lower()


def test_nothing_to_say_is_an_empty_list_of_cards(client):
    response = call(client, hook_request(prefetch(patient(), statements=None)))
    assert response.get_json() == {"cards": []}


def test_the_same_request_gives_the_same_cards(client):
    body = hook_request(prefetch(medications=[STATIN], labs=[CK_40_ULN]))
    first, second = call(client, body).get_json(), call(client, body).get_json()
    assert first == second
    other = call(client, body | {"hookInstance": "another"}).get_json()
    assert {c["uuid"] for c in first["cards"]}.isdisjoint(c["uuid"] for c in other["cards"])


def test_what_is_not_understood_is_in_the_card_and_in_the_extension(client):
    given = prefetch(
        medications=[STATIN, medication_request("1", "frobnicate 10 mg")],
        labs=[
            CK_40_ULN,
            {"resourceType": "Observation", "status": "final", "code": {"text": "Mood"}, "valueString": "fine"},
        ],
    )
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "too-costly", "diagnostics": "results truncated"}],
    }
    given["labs"]["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    body = call(client, hook_request(given)).get_json()
    notes = body["extension"][UNRECOGNIZED]
    paths = {n["path"] for n in notes}
    assert {
        "prefetch.medicationRequests.entry[1]",
        "prefetch.labs.entry[1].valueString",
        "prefetch.labs.entry[2].issue[0]",
    } <= paths
    assert "**Not understood" in body["cards"][-1]["detail"] and "frobnicate" in body["cards"][-1]["detail"]


def test_resources_about_another_patient_are_not_used(client):
    given = prefetch(medications=[medication_request("617310", "atorvastatin", pid="someone-else")], labs=[CK_40_ULN])
    body = call(client, hook_request(given)).get_json()
    assert "atorvastatin" not in body["cards"][-1]["summary"]
    assert any("another patient" in n["reason"] for n in body["extension"][UNRECOGNIZED])


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"extension": {"com.example.timestamp": "2017-11-27T22:13:25Z"}}, id="extension-object"),
        pytest.param({"extension": [{"url": "x"}]}, id="extension-as-a-list"),
        pytest.param({"somethingNew": {"a": 1}}, id="unknown-top-level-field"),
        pytest.param({"hookInstance": "not-a-uuid"}, id="hook-instance-not-a-uuid"),
        pytest.param({"fhirServer": "https://ehr.example.org/fhir/"}, id="fhir-server-unused-with-full-prefetch"),
        pytest.param(
            {"context": {"patientId": "p1", "userId": "PractitionerRole/9", "encounterId": "e", "x": [1]}},
            id="extra-context-fields",
        ),
    ],
)
def test_tolerant_reading_of_unknown_fields_and_variations(client, change):
    body = hook_request(prefetch(medications=[STATIN], labs=[CK_40_ULN])) | change
    body["prefetch"]["patient"]["extension"] = [{"url": "http://example.org/x", "valueString": "y"}]
    assert "critical" in indicators(call(client, body))


@pytest.mark.parametrize(
    "remove,path",
    [
        pytest.param("hook", "hook", id="hook"),
        pytest.param("hookInstance", "hookInstance", id="hookInstance"),
        pytest.param("context", "context", id="context"),
        pytest.param("context.patientId", "context.patientId", id="patientId"),
    ],
)
def test_missing_required_fields_are_a_400_problem(client, remove, path):
    body = hook_request(prefetch())
    if "." in remove:
        del body["context"]["patientId"]
    else:
        del body[remove]
    response = client.post(SERVICE, json=body)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert [e["path"] for e in response.get_json()["errors"]] == [path]
    conforms(response)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(hook_request(prefetch()) | {"hook": "order-select"}, id="another-hook"),
        pytest.param(hook_request(prefetch(), pid="../../etc"), id="patient-id-not-a-fhir-id"),
        pytest.param(hook_request(prefetch()) | {"prefetch": [1, 2]}, id="prefetch-not-an-object"),
    ],
)
def test_requests_this_service_cannot_answer_are_400(client, body):
    response = client.post(SERVICE, json=body)
    assert response.status_code == 400
    conforms(response)


def test_a_prefetch_value_that_is_no_resource_and_keys_not_asked_for_are_reported(client):
    given = prefetch() | {"patient": [1, 2], "user": "Practitioner/1"}
    notes = call(client, hook_request(given)).get_json()["extension"][UNRECOGNIZED]
    assert [(n["path"], n["reason"]) for n in notes] == [
        ("prefetch.user", "not a prefetch key of this service: not read"),
        ("prefetch.patient", "not a FHIR resource"),
    ]


def test_missing_prefetch_without_a_fhir_server_is_412(client):
    response = client.post(SERVICE, json=hook_request(None))
    assert response.status_code == 412 and response.mimetype == "application/problem+json"
    assert "no fhirServer" in response.get_json()["detail"]
    conforms(response)


def test_optional_medication_statements_may_be_left_out(client):
    given = prefetch(medications=[STATIN], labs=[CK_40_ULN])
    del given["medicationStatements"]
    assert "critical" in indicators(call(client, hook_request(given)))


def test_a_large_prefetch_is_accepted_up_to_the_cds_limit(client):
    labs = [
        lab("2157-6", "Creatine kinase", 100 + i, "U/L", high=200, when=f"2026-10-{1 + i % 28:02d}") for i in range(400)
    ]
    response = call(client, hook_request(prefetch(labs=labs)))
    assert response.status_code == 200  # about 300 KB: over the /v1 limit, within the CDS Hooks one


def feedback(client, items):
    return client.post(f"{SERVICE}/feedback", json={"feedback": items})


def test_feedback_is_validated_acknowledged_and_counted_without_patient_data(app):
    client = app.test_client()
    counter = app.extensions["spasmdx.cds_feedback"]
    before = counter.snapshot()
    response = feedback(
        client,
        [
            {
                "card": "c1",
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
                "overrideReason": {
                    "reason": {
                        "system": "https://spasmdx.dev/fhir/CodeSystem/override-reason",
                        "code": "already-addressed",
                    },
                    "userComment": "Mrs Smith's CK was repeated",
                },
            },
            {
                "card": "c2",
                "outcome": "accepted",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
                "acceptedSuggestions": [{"id": "s1"}],
                "extension": {"x": 1},
            },
            {"card": "c3", "outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:00:00Z"},
        ],
    )
    assert response.status_code == 200 and response.get_json() == {"received": 3}
    conforms(response)
    after = counter.snapshot()
    assert {k: after[k] - before.get(k, 0) for k in after} == {
        "overridden/already-addressed": 1,
        "accepted/none": 1,
        "overridden/none": 1,
    }
    # What the counter holds (its lock aside, whose repr is a memory address that may spell "c1").
    held = repr({name: value for name, value in vars(counter).items() if name != "_lock"})
    assert "Smith" not in held and "c1" not in held


def test_feedback_reaches_metrics_with_only_the_offered_reason_codes_as_labels(app):
    client = app.test_client()
    ours = {"system": "https://spasmdx.dev/fhir/CodeSystem/override-reason", "code": "already-addressed"}
    theirs = {"system": "https://ehr.example/reasons", "code": "Mrs-Smith-declined"}
    when = "2026-11-20T10:00:00Z"

    def counted():
        text = client.get("/metrics").get_data(as_text=True)
        found = re.findall(r'spasmdx_cds_feedback_total\{outcome="(\w+)",reason="([\w-]+)"\} ([\d.]+)', text)
        return {(outcome, reason): float(n) for outcome, reason, n in found}, text

    before, _ = counted()
    feedback(
        client,
        [
            {"card": "c1", "outcome": "overridden", "outcomeTimestamp": when, "overrideReason": {"reason": ours}},
            {"card": "c2", "outcome": "overridden", "outcomeTimestamp": when, "overrideReason": {"reason": theirs}},
            {"card": "c3", "outcome": "overridden", "outcomeTimestamp": when, "overrideReason": {"reason": theirs}},
            {"card": "c4", "outcome": "accepted", "outcomeTimestamp": when},
        ],
    )
    after, text = counted()
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        ("overridden", "already-addressed"): 1,
        ("overridden", "other"): 2,
        ("accepted", "none"): 1,
    }
    assert "Mrs-Smith" not in text


@pytest.mark.parametrize(
    "item,path",
    [
        pytest.param(
            {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-11-20T10:00:00Z"},
            "feedback[0].outcome",
            id="unknown-outcome",
        ),
        pytest.param({"card": "c", "outcome": "accepted"}, "feedback[0].outcomeTimestamp", id="no-timestamp"),
        pytest.param(
            {"outcome": "accepted", "outcomeTimestamp": "2026-11-20T10:00:00Z"}, "feedback[0].card", id="no-card"
        ),
        pytest.param(
            {
                "card": "c",
                "outcome": "accepted",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
                "overrideReason": {"userComment": "x"},
            },
            "feedback[0].overrideReason",
            id="reason-when-accepted",
        ),
    ],
)
def test_bad_feedback_is_a_400_naming_the_field(client, item, path):
    response = feedback(client, [item])
    assert response.status_code == 400 and [e["path"] for e in response.get_json()["errors"]] == [path]
    conforms(response)


@pytest.fixture(scope="module")
def cors_client():
    return create_app({"TESTING": True, "CDS_CORS_ORIGINS": "https://ehr.example.org"}).test_client()


def test_cors_preflight_and_answers_for_an_allowed_origin(cors_client):
    origin = {"Origin": "https://ehr.example.org"}
    preflight = cors_client.options(
        SERVICE,
        headers=origin | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = cors_client.post(SERVICE, json=hook_request(None), headers=origin)  # even an error is readable
    assert answer.status_code == 412 and answer.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    assert "Origin" in answer.headers["Vary"]


def test_cors_refuses_other_origins_and_is_off_by_default(cors_client, client):
    other = cors_client.get("/cds-services", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    default = client.get("/cds-services", headers={"Origin": "https://ehr.example.org"})
    assert "Access-Control-Allow-Origin" not in default.headers
    wildcard = create_app({"TESTING": True, "CDS_CORS_ORIGINS": "*"}).test_client()
    assert (
        wildcard.get("/cds-services", headers={"Origin": "https://a.example"}).headers["Access-Control-Allow-Origin"]
        == "*"
    )


def test_the_readme_example_answers_as_the_readme_says(client):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## CDS Hooks") :]
    body = json.loads(re.search(r"-d '(\{.*?\})'\n", section, re.S).group(1))
    cards = call(client, body).get_json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "info"]
    assert cards[0]["summary"].startswith("CK over 10 x ULN") and "Statin-associated myopathy" in cards[1]["summary"]
