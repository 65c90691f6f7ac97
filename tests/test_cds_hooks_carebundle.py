"""Data and a client nobody here wrote: carebundle's US Core patients, sent by healthchain's SandboxClient."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest
from cds import (
    CK_40_ULN,
    REFERENCE_DATE,
    SERVICE,
    STATIN,
    condition,
    hook_request,
    lab,
    prefetch_from_bundle,
    spec_problems,
)
from contract import conforms

carebundle = pytest.importorskip("carebundle", reason="carebundle (a test dependency) is not installed")

# Bundles are made for the day the requests name as their reference date (hook_request's extension),
# so ages and the lab age limit count to one fixed day: the same answers on any day the tests run.
# carebundle is deterministic for a seed and a reference date.
ON = date.fromisoformat(REFERENCE_DATE)


def bundle(profile: str, seed: int = 11, on: date = ON) -> dict:
    return json.loads(carebundle.to_json(carebundle.generate_bundle(profile=profile, seed=seed, reference_date=on)))


def unlinked(resource: dict, on: date = ON) -> dict:
    """A resource added to a carebundle patient: no subject (carebundle links by urn:uuid), dated `on`."""
    resource = {k: v for k, v in resource.items() if k != "subject"}
    if "effectiveDateTime" in resource:
        resource["effectiveDateTime"] = on.isoformat()
    return resource


def cards_for(client, given: dict) -> dict:
    response = client.post(SERVICE, json=hook_request(given, pid="carebundle-patient"))
    assert response.status_code == 200
    conforms(response)
    body = response.get_json()
    assert spec_problems(body) == []
    return body


@pytest.mark.parametrize("profile", sorted(carebundle.PROFILES))
def test_every_carebundle_profile_gets_cards_that_keep_the_specification(client, profile):
    for seed in (1, 2):
        cards_for(client, prefetch_from_bundle(bundle(profile, seed)))


@pytest.mark.parametrize("profile", ["healthy", "hypertension", "ckd_stage3"])
def test_a_carebundle_patient_on_a_statin_with_ck_40_times_uln_gets_the_critical_card(client, profile):
    body = cards_for(client, prefetch_from_bundle(bundle(profile), unlinked(STATIN), unlinked(CK_40_ULN)))
    assert [c["source"]["topic"]["code"] for c in body["cards"] if c["indicator"] == "critical"] == ["rhabdomyolysis"]


def test_low_magnesium_and_high_tsh_with_cramps_enter_the_differential(client):
    extra = [
        unlinked(lab("19123-9", "Magnesium", 1.0, "mg/dL", low=1.7, high=2.2)),
        unlinked(lab("3016-3", "Thyrotropin", 14, "m[IU]/L", low=0.4, high=4.0)),
        unlinked(condition("55300003", "Muscle cramp")),
    ]
    body = cards_for(client, prefetch_from_bundle(bundle("healthy"), *extra))
    assert [c["indicator"] for c in body["cards"]] == ["info"]
    card = body["cards"][0]
    assert "Hypomagnesemia" in card["summary"] and "Hypothyroid" in card["detail"]


def test_a_benign_carebundle_patient_gets_no_critical_card(client):
    cramps = unlinked(condition("90392009", "Nocturnal cramps"))
    body = cards_for(client, prefetch_from_bundle(bundle("healthy"), cramps))
    assert "critical" not in [c["indicator"] for c in body["cards"]]


@pytest.fixture(scope="module")
def live_url(app):
    """The app served on 127.0.0.1 in a thread, for a client that speaks HTTP."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_healthchain_sandbox_client_gets_conformant_cards(live_url, tmp_path):
    """healthchain's client sends no reference-date extension (its model holds `extension` as a list),
    so the service counts to its own UTC today: the bundles are made for that day, taken once. A
    midnight crossing moves the service's day by one, which changes no answer asserted here (the
    CK is a day old, well within the lab age limit, and ages do not decide these cards)."""
    sandbox = pytest.importorskip("healthchain.sandbox", reason="healthchain (a test dependency) is not installed")
    today = datetime.now(UTC).date()
    statin_user = prefetch_from_bundle(
        bundle("hypertension", on=today), unlinked(STATIN, today), unlinked(CK_40_ULN, today)
    )
    benign = prefetch_from_bundle(bundle("healthy", seed=3, on=today))
    client = sandbox.SandboxClient(url=f"{live_url}{SERVICE}", workflow="patient-view", timeout=30)
    for name, given in (("statin_user", statin_user), ("benign", benign)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(given))
        client.load_from_path(path)
    responses = client.send_requests()
    # healthchain's own models are stricter than the specification in places: check by our rules.
    assert len(responses) == 2 and all(spec_problems(r) == [] for r in responses)
    statin_cards, benign_cards = ([c["indicator"] for c in r["cards"]] for r in responses)
    assert statin_cards[0] == "critical" and "critical" not in benign_cards
