"""POST /v1/differential/batch: up to 1,000 cases, in order, one bad case failing alone."""

from __future__ import annotations

from contract import conforms
from test_api import CONTEXT


def test_results_come_in_input_order_and_a_bad_case_fails_alone(client):
    body = {
        "cases": [
            {"case_id": "A", "context": CONTEXT},
            {"case_id": "B", "context": {"labs": [{"display": "CK", "value": -1}]}},
            {"case_id": "C", "context": {"findings": ["muscle cramps at night"]}},
        ]
    }
    response = client.post("/v1/differential/batch", json=body)
    assert response.status_code == 200
    conforms(response)
    results = response.get_json()["results"]
    assert [r["case_id"] for r in results] == ["A", "B", "C"]
    assert "result" in results[0] and "result" in results[2]
    assert results[1]["error"]["status"] == 422 and results[1]["error"]["errors"][0]["path"] == "labs[0].value"


def test_batch_results_equal_single_results_but_for_request_id(client):
    single = client.post("/v1/differential", json=CONTEXT).get_json()
    batched = client.post("/v1/differential/batch", json={"cases": [{"case_id": "x", "context": CONTEXT}]})
    result = batched.get_json()["results"][0]["result"]
    single.pop("request_id"), result.pop("request_id")
    assert result == single


def test_batch_cli_results_equal_api_results(client, tmp_path):
    import json

    from spasmdx.cli.main import main

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"case_id": "x", "context": CONTEXT}) + "\n")
    assert main(["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--full", "--no-progress"]) == 0
    from_cli = json.loads((tmp_path / "out.jsonl").read_text())["result"]
    from_api = client.post("/v1/differential", json=CONTEXT).get_json()
    from_cli.pop("request_id"), from_api.pop("request_id")
    assert from_cli == from_api


def test_more_than_1000_cases_or_none_is_422(client):
    many = {"cases": [{"case_id": str(i), "context": {}} for i in range(1001)]}
    for body in (many, {"cases": []}, {"cases": [{"context": {}}]}):
        response = client.post("/v1/differential/batch", json=body)
        assert response.status_code == 422
        conforms(response)
