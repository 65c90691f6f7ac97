"""Order hooks: suggestions that are valid FHIR R4 and apply to the draft, the official examples as drafts,
and the promises patient-view keeps (412, no patient data in logs, same request same cards, 400 naming the field)."""

from __future__ import annotations

import copy
import json
import logging
import os
from pathlib import Path

import pytest
from cds import RXNORM, condition, patient, spec_problems
from order_hooks import SELECT, SIGN, apply, bundle, draft, on_chart, order_call, order_prefetch

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(os.environ.get("SPASMDX_FHIR_EXAMPLES", ROOT / ".cache" / "fhir-examples" / "package"))


def official(name: str) -> dict:
    path = EXAMPLES / f"{name}.json"
    if not path.exists():
        pytest.skip("the official FHIR R4 examples are not downloaded (make fhir-examples)")
    return json.loads(path.read_text())


def r4b_medication_request():
    return pytest.importorskip("fhir.resources.R4B.medicationrequest", reason="fhir.resources is not installed")


def post(client, body, path=SELECT):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    got = response.get_json()
    assert spec_problems(got) == []
    return got


def test_a_switch_suggestion_deletes_the_flagged_draft_and_creates_a_valid_safer_order(client):
    drafts = [draft("d-simva", "simvastatin", 80), draft("d-other", "metformin", 500)]
    body = order_call("order-select", drafts, order_prefetch(medications=[on_chart("clarithromycin")]))
    [card] = post(client, body)["cards"]
    assert card["selectionBehavior"] == "at-most-one"
    model = r4b_medication_request()
    switches = [s for s in card["suggestions"] if s["label"].startswith("Replace")]
    assert [s["label"].split(" with ")[1].split()[0] for s in switches] == ["rosuvastatin", "pravastatin"]
    for suggestion in switches:
        delete, create = suggestion["actions"]
        assert (delete["type"], delete["resourceId"], create["type"]) == (
            "delete",
            "MedicationRequest/d-simva",
            "create",
        )
        model.MedicationRequest.model_validate(create["resource"])  # valid FHIR (R4B: MedicationRequest as R4)
        coding = create["resource"]["medicationCodeableConcept"]["coding"][0]
        assert coding["system"] == RXNORM and coding["code"] in ("301542", "904475")
        dose = create["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
        assert dose["unit"] == "mg" and dose["value"] in (10, 40)
        after = apply(body["context"]["draftOrders"], suggestion["actions"])
        assert [e["resource"].get("id") for e in after["entry"]] == ["d-other", None]
        for entry in after["entry"]:
            model.MedicationRequest.model_validate(entry["resource"])
        # The order the suggestion creates is itself quiet for this patient.
        created = dict(entry["resource"], id="new")
        again = order_call("order-select", [created], order_prefetch(medications=[on_chart("clarithromycin")]))
        assert post(client, again)["cards"] == []


def test_a_lower_suggestion_updates_the_draft_to_the_cap_as_a_valid_order(client):
    body = order_call(
        "order-sign", [draft("d1", "simvastatin", 40)], order_prefetch(medications=[on_chart("amlodipine")])
    )
    [card] = post(client, body, SIGN)["cards"]
    [lower] = [s for s in card["suggestions"] if s["label"].startswith("Lower")]
    after = apply(body["context"]["draftOrders"], lower["actions"])
    r4b_medication_request().MedicationRequest.model_validate(after["entry"][0]["resource"])
    again = order_call(
        "order-sign", [after["entry"][0]["resource"]], order_prefetch(medications=[on_chart("amlodipine")])
    )
    assert post(client, again, SIGN)["cards"] == []


def test_no_switch_is_offered_when_every_alternative_is_flagged_too(client):
    # Gemfibrozil: the labelling says to avoid it with every statin, so no statin is suggested.
    body = order_call(
        "order-select", [draft("d1", "atorvastatin", 20)], order_prefetch(medications=[on_chart("gemfibrozil")])
    )
    [card] = post(client, body)["cards"]
    assert not any(s["label"].startswith("Replace") for s in card.get("suggestions", []))
    assert [s["actions"][0]["resourceId"] for s in card["suggestions"]] == ["MedicationRequest/d1"]


@pytest.mark.parametrize(
    "name", ["MedicationRequest-medrx0306", "MedicationRequest-medrx0312", "MedicationRequest-medrx0331"]
)
def test_official_examples_made_drafts_of_simvastatin_80_get_the_critical_card(client, name):
    """An official example's shape (its dosageInstruction, contained or coded medication) with simvastatin."""
    example = official(name)
    example.update(status="draft", subject={"reference": "Patient/p1"})
    example.pop("contained", None)
    example.pop("medicationReference", None)
    example["medicationCodeableConcept"] = {
        "coding": [{"system": RXNORM, "code": "36567", "display": "simvastatin"}],
        "text": "simvastatin 80 mg tablet",
    }
    dose = example["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    dose.update(value=80, unit="mg", code="mg")
    example["dosageInstruction"] = example["dosageInstruction"][:1]
    body = order_call("order-select", [example], order_prefetch(medications=[on_chart("itraconazole")]))
    [card] = post(client, body)["cards"]
    assert card["indicator"] == "critical"
    r4b_medication_request().MedicationRequest.model_validate(example)


def test_every_official_medication_request_example_as_a_draft_is_read_without_error(client):
    if not EXAMPLES.exists():
        pytest.skip("the official FHIR R4 examples are not downloaded (make fhir-examples)")
    examples = []
    for path in sorted(EXAMPLES.glob("MedicationRequest-*.json")):
        resource = json.loads(path.read_text())
        resource["status"] = "draft"
        resource["subject"] = {"reference": "Patient/p1"}
        examples.append(resource)
    medications = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("Medication-*.json"))]
    body = order_call(
        "order-sign", examples + medications, order_prefetch(medications=[on_chart("simvastatin", "simvastatin 40 mg")])
    )
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert spec_problems(response.get_json()) == []


def test_a_bundle_entry_that_is_not_a_medication_order_is_listed_as_not_read(client):
    service_request = {"resourceType": "ServiceRequest", "id": "sr1", "status": "draft", "intent": "order"}
    body = order_call("order-sign", [draft("d1", "rosuvastatin", 10), service_request], order_prefetch())
    got = post(client, body, SIGN)
    assert got["cards"] == []
    notes = got["extension"]["dev.spasmdx.unrecognized"]
    assert {"path": "context.draftOrders.entry[1].resource", "input": "ServiceRequest"} in [
        {k: n[k] for k in ("path", "input")} for n in notes
    ]


def test_a_selection_not_in_the_draft_orders_is_listed(client):
    body = order_call(
        "order-select", [draft("d1", "rosuvastatin", 10)], order_prefetch(), selections=["MedicationRequest/nope"]
    )
    notes = post(client, body)["extension"]["dev.spasmdx.unrecognized"]
    assert any(n["path"] == "context.selections[0]" for n in notes)


@pytest.mark.parametrize(
    "change,field",
    [
        pytest.param(lambda b: b["context"].pop("draftOrders"), "draftOrders", id="no-draft-orders"),
        pytest.param(
            lambda b: b["context"].update(draftOrders={"resourceType": "Patient"}), "draftOrders", id="not-a-bundle"
        ),
        pytest.param(lambda b: b["context"].pop("selections"), "selections", id="order-select-without-selections"),
        pytest.param(lambda b: b["context"].update(selections=["d1"]), "selections", id="selection-not-a-reference"),
        pytest.param(lambda b: b.update(hook="order-sign"), "hook", id="the-other-hook"),
    ],
)
def test_a_request_that_breaks_the_specification_is_a_400_naming_the_field(client, change, field):
    body = order_call("order-select", [draft("d1", "simvastatin", 80)], order_prefetch())
    change(body)
    response = client.post(SELECT, json=body)
    assert response.status_code == 400
    assert any(field in e["path"] for e in response.get_json()["errors"])


def test_missing_prefetch_without_a_fhir_server_is_412_naming_the_keys(client):
    given = order_prefetch()
    del given["ck"], given["conditions"]
    response = client.post(SIGN, json=order_call("order-sign", [draft("d1", "simvastatin", 80)], given))
    assert response.status_code == 412
    assert "ck" in response.get_json()["detail"] and "conditions" in response.get_json()["detail"]
    assert client.post(SIGN, json=order_call("order-sign", [draft("d1", "simvastatin", 80)])).status_code == 412


def test_the_same_request_gives_the_same_cards_and_uuids(client):
    body = order_call(
        "order-select", [draft("d1", "simvastatin", 80)], order_prefetch(medications=[on_chart("diltiazem")])
    )
    first, second = post(client, copy.deepcopy(body)), post(client, body)
    assert first == second and first["cards"]
    other = dict(body, hookInstance="another")
    assert post(client, other)["cards"][0]["uuid"] != first["cards"][0]["uuid"]


def test_no_patient_data_reaches_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Zebediah-Quartermaine"
    chart = [on_chart("clarithromycin", f"clarithromycin 500 mg for {secret}")]
    conditions = [condition("91637004", f"Myasthenia gravis ({secret})")]
    pat = patient(pid="p1") | {"name": [{"family": secret}]}
    body = order_call(
        "order-sign",
        [draft("d1", "simvastatin", 80, note=[{"text": secret}])],
        order_prefetch(chart, conditions, pat=pat),
    )
    post(client, body, SIGN)
    post(
        client,
        order_call("order-sign", [draft("d1", "pembrolizumab", 200)], order_prefetch(conditions=conditions)),
        SIGN,
    )
    assert secret not in caplog.text and "p1" not in caplog.text.replace("p1.", "")


def test_feedback_on_an_order_card_is_counted_with_its_override_reason():
    # An app of its own: the session's app keeps feedback counts other tests compare before and after.
    from spasmdx.service import create_app

    app = create_app({"TESTING": True})
    client = app.test_client()
    item = {
        "card": "c1",
        "outcome": "overridden",
        "overrideReason": {
            "reason": {
                "system": "https://spasmdx.dev/fhir/CodeSystem/override-reason",
                "code": "benefit-outweighs-risk",
            }
        },
        "outcomeTimestamp": "2026-11-20T10:00:00Z",
    }
    response = client.post(f"{SIGN}/feedback", json={"feedback": [item]})
    assert response.status_code == 200 and response.get_json() == {"received": 1}
    assert app.extensions["spasmdx.cds_feedback"].snapshot() == {"overridden/benefit-outweighs-risk": 1}


def test_discovery_lists_both_ordering_services_with_the_prefetch_they_read(client):
    services = {s["id"]: s for s in client.get("/cds-services").get_json()["services"]}
    for ident, hook in (("statin-myopathy-order-select", "order-select"), ("statin-myopathy-order-sign", "order-sign")):
        assert services[ident]["hook"] == hook
        assert set(services[ident]["prefetch"]) == {"patient", "medications", "conditions", "ck", "creatinine"}
        assert "2157-6" in services[ident]["prefetch"]["ck"] and "2160-0" in services[ident]["prefetch"]["creatinine"]


def test_a_draft_for_another_patient_is_not_checked(client):
    other = draft("d1", "simvastatin", 80, pid="someone-else")
    got = post(
        client, order_call("order-sign", [other], order_prefetch(medications=[on_chart("clarithromycin")])), SIGN
    )
    assert got["cards"] == []
    assert any("another patient" in n["reason"] for n in got["extension"]["dev.spasmdx.unrecognized"])


def test_an_unbundled_draft_orders_value_is_refused_not_dropped(client):
    body = order_call("order-sign", [draft("d1", "simvastatin", 80)], order_prefetch())
    body["context"]["draftOrders"] = bundle() | {"entry": "not a list"}
    assert client.post(SIGN, json=body).status_code == 400


def test_prefetch_left_out_is_fetched_from_an_allowed_fhir_server_with_the_token(tmp_path):
    """The fetch rules of patient-view: an allow-listed server, the EHR's token, the service's own queries."""
    from urllib.parse import parse_qs, urlsplit

    from cds import fhir_server, lab, searchset

    from spasmdx.service import create_app

    def chart(path, headers):
        parts = urlsplit(path)
        kind, query = parts.path.removeprefix("/fhir/"), parse_qs(parts.query)
        if kind == "Patient/p1":
            return 200, patient()
        if kind == "MedicationRequest":
            return 200, searchset(on_chart("clarithromycin"))
        if kind == "Observation" and "2157-6" in query.get("code", [""])[0]:
            return 200, searchset(lab("2157-6", "Creatine kinase", 150, "U/L", high=200))
        return 200, searchset()

    with fhir_server(chart) as (base, seen):
        app = create_app({"TESTING": True, "CDS_FHIR_TIMEOUT": 2, "CDS_FHIR_SERVERS": base})
        body = order_call("order-select", [draft("d1", "simvastatin", 40)])
        body.update(fhirServer=base, fhirAuthorization={"access_token": "ehr-token", "token_type": "Bearer"})
        [card] = post(app.test_client(), body)["cards"]
        assert card["indicator"] == "critical"
        assert {s["path"].split("?")[0] for s in seen} == {
            "/fhir/Patient/p1",
            "/fhir/MedicationRequest",
            "/fhir/Condition",
            "/fhir/Observation",
        }
        assert all(s["headers"].get("Authorization") == "Bearer ehr-token" for s in seen)
        # A server not on the allow-list is never called: the prefetch is missing, so 412.
        seen.clear()
        body["fhirServer"] = "https://elsewhere.example/fhir"
        assert app.test_client().post(SELECT, json=body).status_code == 412 and seen == []


def test_two_hundred_draft_orders_are_checked_and_more_are_listed_not_dropped(client):
    drafts = [draft(f"s{i}", "simvastatin", 80) for i in range(100)] + [
        draft(f"c{i}", "clarithromycin", 500) for i in range(101)
    ]
    got = post(client, order_call("order-sign", drafts, order_prefetch()), SIGN)
    assert len(got["cards"]) == 20 and {c["indicator"] for c in got["cards"]} == {"critical"}
    notes = got["extension"]["dev.spasmdx.unrecognized"]
    assert any("more than 200 draft orders" in n["reason"] for n in notes)
    assert {"path": "cards", "input": f"{100 * 100 - 20} more finding(s)"} in [
        {k: n[k] for k in ("path", "input")} for n in notes
    ]
