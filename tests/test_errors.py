"""Bad input of every kind gets an RFC 9457 problem naming what is wrong, never a 500."""

from __future__ import annotations

import pytest
from contract import conforms

PROBLEM = "application/problem+json"


def problem_of(response, status):
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_malformed_json_is_400(client):
    response = client.post("/v1/differential", data="{not json", content_type="application/json")
    body = problem_of(response, 400)
    assert "JSON" in body["detail"]
    conforms(response)


def test_wrong_content_type_is_415(client):
    response = client.post("/v1/differential", data="age=3", content_type="application/x-www-form-urlencoded")
    problem_of(response, 415)
    conforms(response)


def test_body_over_the_limit_is_413(app):
    small = app.test_client()
    app.config["MAX_CONTENT_LENGTH"], old = 1000, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = small.post("/v1/differential", json={"findings": ["muscle cramp"] * 200})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    problem = problem_of(response, 413)
    assert "1,000 bytes at most" in problem["detail"]


@pytest.mark.parametrize(
    "body,paths",
    [
        pytest.param({"labs": [{"display": "CK", "unit": "U/L"}]}, ["labs[0].value"], id="missing-value"),
        pytest.param({"labs": [{"display": "CK", "value": "high"}]}, ["labs[0].value"], id="value-not-number"),
        pytest.param({"labs": [{"display": "CK", "value": -5}]}, ["labs[0].value"], id="negative-value"),
        pytest.param({"patient": {"age": 300, "sex": "yes"}}, ["patient.age", "patient.sex"], id="patient-every-field"),
        pytest.param({"findings": [{"present": False}]}, ["findings[0].display"], id="item-without-name"),
        pytest.param({"findings": [42]}, ["findings[0]"], id="item-not-object"),
        pytest.param({"findings": [{"display": "x", "present": "perhaps"}]}, ["findings[0].present"], id="bad-boolean"),
        pytest.param(
            {"medications": [{"display": "x", "status": "taking"}]}, ["medications[0].status"], id="bad-status"
        ),
        pytest.param(
            {"medications": [{"display": "x", "start_date": "yesterday"}]}, ["medications[0].start_date"], id="bad-date"
        ),
        pytest.param({"conditions": [{"code": {"system": "x"}}]}, ["conditions[0].code.code"], id="code-without-code"),
        pytest.param(
            {"labs": [{"display": "Ca", "value": 2, "reference_range": {"low": 3, "high": 1}}]},
            ["labs[0].reference_range.low"],
            id="inverted-range",
        ),
        pytest.param({"symptoms": ["cramp"]}, ["symptoms"], id="unknown-field-is-not-dropped"),
        pytest.param({"findings": "cramp"}, ["findings"], id="section-not-list"),
        pytest.param([1, 2], ["(body)"], id="body-not-object"),
    ],
)
def test_schema_violations_are_422_naming_every_field(client, body, paths):
    response = client.post("/v1/differential", json=body)
    problem = problem_of(response, 422)
    assert sorted(e["path"] for e in problem["errors"]) == sorted(paths)
    conforms(response)


def test_bad_limit_is_422_naming_it(client):
    problem = problem_of(client.post("/v1/differential?limit=500", json={}), 422)
    assert [e["path"] for e in problem["errors"]] == ["limit"]


@pytest.mark.parametrize("method,path,status", [("get", "/nowhere", 404), ("get", "/v1/differential", 405)])
def test_unknown_routes_and_methods_are_problems(client, method, path, status):
    problem_of(getattr(client, method)(path), status)


def test_an_unexpected_failure_is_a_500_problem_without_details(app, monkeypatch):
    from spasmdx.service import api

    def broken(*args, **kwargs):
        raise RuntimeError("patient Jane Doe")

    monkeypatch.setattr(api, "score", broken)
    response = app.test_client().post("/v1/differential", json={})
    body = problem_of(response, 500)
    assert "Jane" not in response.get_data(as_text=True) and body["request_id"]


@pytest.mark.parametrize(
    "body, path, meant",
    [
        ({"medication": ["simvastatin"]}, "medication", "medications"),
        ({"patient": {"gender": "male"}}, "patient.gender", "sex"),
        ({"findngs": ["cramp"]}, "findngs", "findings"),
        ({"labs": [{"display": "K", "value": 3, "units": "mmol/L"}]}, "labs[0].units", "unit"),
        ({"labs": [{"display": "K", "value": 3, "range": {"high": 5}}]}, "labs[0].range", "reference_range"),
    ],
)
def test_an_unknown_field_names_the_field_it_likely_meant(client, body, path, meant):
    problem = problem_of(client.post("/v1/differential", json=body), 422)
    error = next(e for e in problem["errors"] if e["path"] == path)
    assert error["did_you_mean"] == meant and f"did you mean '{meant}'" in error["message"]
    batch = client.post("/v1/differential/batch", json={"cases": [{"case_id": "a", "context": body}]})
    assert meant in batch.get_data(as_text=True)  # the batch endpoint names it too


def test_an_unknown_field_with_nothing_close_just_says_unknown(client):
    problem = problem_of(client.post("/v1/differential", json={"xyzzy": 1}), 422)
    assert problem["errors"] == [{"path": "xyzzy", "message": "Unknown field."}]
