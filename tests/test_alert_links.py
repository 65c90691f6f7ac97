"""Alerts and ranking agree: every cause a raised alert names is in the differential, linked to it."""

from __future__ import annotations

CK_HIGH = {"display": "CK", "value": 9000, "unit": "U/L", "reference_range": {"high": 200}}


def test_every_cause_an_alert_names_is_listed_and_carries_the_alert_on_every_worked_case(assess, worked_cases):
    checked = 0
    for case in worked_cases:
        result = assess(case["context"])
        entries = {c["id"]: c for c in result["differential"]}
        for alert in result["alerts"]:
            for cause_id in alert["cause_ids"]:
                assert cause_id in entries, f"{case['id']}: alert {alert['id']} names {cause_id}, not listed"
                assert alert["id"] in entries[cause_id]["alert_ids"], case["id"]
                checked += 1
        for entry in result["differential"]:
            for alert_id in entry.get("alert_ids", []):
                alert = next(a for a in result["alerts"] if a["id"] == alert_id)
                assert entry["id"] in alert["cause_ids"]
    assert checked > 20


def test_a_critical_alert_s_cause_is_in_the_top_three_or_carries_the_alert_on_every_worked_case(assess, worked_cases):
    for case in worked_cases:
        for limit in (1, 3, 10):
            result = assess(case["context"], limit=limit)
            top3 = [c["id"] for c in result["differential"][:3]]
            linked = {c["id"]: c.get("alert_ids", []) for c in result["differential"]}
            for alert in result["alerts"]:
                if alert["severity"] != "critical":
                    continue
                for cause_id in alert["cause_ids"]:
                    assert cause_id in top3 or alert["id"] in linked.get(cause_id, []), (case["id"], alert["id"])


def test_a_cause_an_alert_names_is_kept_beyond_the_limit_with_its_true_rank(assess):
    context = {"findings": ["muscle cramps at night", "dark urine"], "labs": [CK_HIGH], "medications": ["atorvastatin"]}
    full = assess(context, limit=50)["differential"]
    rank = next(c["rank"] for c in full if c["id"] == "rhabdomyolysis")
    cut = assess(context, limit=1)["differential"]
    assert cut[0]["rank"] == 1
    rhabdo = next(c for c in cut if c["id"] == "rhabdomyolysis")
    assert rhabdo["rank"] == rank and rhabdo["alert_ids"] == ["rhabdomyolysis"]
    assert len(cut) == (1 if rank == 1 else 2)


def test_an_alert_puts_a_cause_in_play_that_nothing_else_points_at(assess):
    # Weakness with dysphagia: the bulbar alert names four causes, some of which no fact points at.
    result = assess({"findings": ["muscle weakness", "difficulty swallowing"]})
    alert = next(a for a in result["alerts"] if a["id"] == "bulbar_respiratory_weakness")
    listed = {c["id"]: c for c in result["differential"]}
    for cause_id in alert["cause_ids"]:
        assert listed[cause_id]["alert_ids"] == ["bulbar_respiratory_weakness"]
        assert listed[cause_id]["evidence"] is not None


def test_a_cause_no_alert_names_has_no_alert_ids(assess):
    result = assess({"findings": ["calf cramps at night"], "patient": {"age": 70}})
    assert result["differential"] and not result["alerts"]
    assert all("alert_ids" not in c for c in result["differential"])


def test_a_warning_links_its_cause_too(assess):
    result = assess({"findings": ["unilateral calf swelling", "calf cramp"]})
    assert any(a["id"] == "possible_dvt" for a in result["alerts"])
    dvt = next(c for c in result["differential"] if c["id"] == "deep_vein_thrombosis")
    assert dvt["alert_ids"] == ["possible_dvt"]


def test_answers_with_established_causes_and_alert_links_hold_to_the_contract(client):
    from contract import conforms

    context = {"findings": ["dark urine", "fasciculations"], "labs": [CK_HIGH], "medications": ["atorvastatin"]}
    response = client.post("/v1/differential?limit=1", json=context)
    conforms(response)
    body = response.get_json()
    assert any("established" in c for c in body["differential"])
    assert any("alert_ids" in c for c in body["differential"])
    listing = client.get("/v1/knowledge-base")
    conforms(listing)
    hypokalemia = next(c for c in listing.get_json()["causes"] if c["id"] == "hypokalemia")
    assert hypokalemia["established"][0]["criterion"].startswith("Potassium below 3.0")
