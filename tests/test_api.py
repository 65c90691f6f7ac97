"""POST /v1/differential and the operational endpoints, held to openapi.yaml."""

from __future__ import annotations

import json

from contract import conforms

from spasmdx.schemas.response import DISCLAIMER

CONTEXT = {
    "patient": {"age": 64, "sex": "female", "pregnant": False},
    "findings": [
        {
            "code": {"system": "http://snomed.info/sct", "code": "55300003"},
            "display": "Muscle cramp",
            "present": True,
            "body_site": "calf",
        },
        {"display": "muscle weakness", "present": False},
        "dark urine",
    ],
    "medications": [
        {
            "code": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "617310"},
            "display": "atorvastatin 20 MG Oral Tablet",
            "status": "active",
            "start_date": "2026-08-15",
        },
        "prednisone 40 mg daily",
    ],
    "conditions": [
        {"code": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G35"}, "display": "Multiple sclerosis"}
    ],
    "labs": [
        {
            "code": {"system": "http://loinc.org", "code": "2157-6"},
            "display": "Creatine kinase",
            "value": 4200,
            "unit": "U/L",
            "reference_range": {"low": 26, "high": 192},
        },
        {"display": "calcium", "value": 1.9, "unit": "mmol/L"},
    ],
}


def post(client, body, **kwargs):
    return client.post("/v1/differential", json=body, **kwargs)


def test_contract_example_answers_with_a_ranked_explained_differential(client):
    response = post(client, CONTEXT)
    assert response.status_code == 200
    conforms(response)
    body = response.get_json()
    ids = [c["id"] for c in body["differential"]]
    assert ids[:3] and {"statin_myopathy", "rhabdomyolysis"} <= set(ids[:4])
    assert {"rhabdomyolysis"} <= {a["id"] for a in body["alerts"]}
    assert body["disclaimer"] == DISCLAIMER
    assert body["knowledge_base"]["causes"] >= 12


def test_the_answer_loads_into_the_response_schema(client):
    from spasmdx.schemas.response import DifferentialSchema

    DifferentialSchema().load(post(client, CONTEXT).get_json())  # raises on any shape drift


def test_empty_context_is_valid(client):
    response = post(client, {})
    assert response.status_code == 200
    conforms(response)
    assert response.get_json()["differential"] == []


def test_limit_query_parameter(client):
    response = client.post("/v1/differential?limit=1", json=CONTEXT)
    conforms(response)
    assert len(response.get_json()["differential"]) == 1


def test_request_id_is_echoed_or_made(client):
    given = post(client, {}, headers={"X-Request-ID": "abc-123"})
    assert given.get_json()["request_id"] == "abc-123" == given.headers["X-Request-ID"]
    made = post(client, {}, headers={"X-Request-ID": "bad id with spaces"})
    assert made.get_json()["request_id"] != "bad id with spaces" and len(made.get_json()["request_id"]) == 32


def test_responses_are_identical_but_for_request_id(client):
    first, second = post(client, CONTEXT).get_json(), post(client, CONTEXT).get_json()
    first.pop("request_id"), second.pop("request_id")
    assert json.dumps(first) == json.dumps(second)


def test_unrecognized_inputs_are_listed_not_dropped(client):
    body = post(client, {"medications": ["frobnicate 10 mg"], "findings": ["muscle cramp"]}).get_json()
    assert body["unrecognized"] == [
        {"path": "medications[0]", "input": "frobnicate 10 mg", "reason": "no medication in the knowledge base matches"}
    ]


def test_healthz_and_readyz(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        conforms(response)
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_openapi_document_is_served(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert b"/v1/differential" in response.data


def test_knowledge_base_lists_causes_pitfalls_and_alerts_with_sources(client, kb):
    response = client.get("/v1/knowledge-base")
    assert response.status_code == 200
    conforms(response)
    body = response.get_json()
    assert body["version"] == kb.version
    assert {c["id"] for c in body["causes"]} == set(kb.causes)
    assert {p["id"] for p in body["pitfalls"]} == set(kb.pitfalls)
    assert {a["id"] for a in body["alerts"]} == set(kb.alerts)
    for cause in body["causes"]:
        assert cause["references"] and all(rule["references"] for rule in cause["evidence"])
    assert all(flag["references"] for flag in body["pitfalls"] + body["alerts"])
