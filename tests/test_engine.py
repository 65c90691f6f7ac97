"""The likelihood-ratio engine: transparent, bounded, deterministic."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from spasmdx.rules.model import LR_MAX, LR_MIN, PRIOR_TIERS

STATIN = {"display": "atorvastatin 40 mg daily", "status": "active"}
CK_HIGH = {"display": "CK", "value": 4000, "unit": "U/L", "reference_range": {"high": 200}}


def by_id(result, cause_id):
    return next((c for c in result["differential"] if c["id"] == cause_id), None)


def test_empty_context_gives_an_empty_differential(assess):
    result = assess({})
    assert result == {"differential": [], "alerts": [], "pitfalls": [], "unrecognized": []}


def test_probability_is_prior_odds_times_the_likelihood_ratios(kb):
    # The naive score, before calibration (test_calibration.py holds the calibrated one to it).
    import dataclasses

    from spasmdx.rules.engine import assess as run
    from spasmdx.rules.model import Calibration
    from spasmdx.schemas.request import ContextSchema

    raw = dataclasses.replace(kb, calibration=Calibration())
    result = run(raw, ContextSchema().load({"medications": [STATIN]}))
    cause = by_id(result, "statin_myopathy")
    prior = PRIOR_TIERS[kb.causes["statin_myopathy"].prior]
    odds = prior / (1 - prior) * math.prod(e["likelihood_ratio"] for e in cause["evidence"])
    assert cause["probability"] == pytest.approx(odds / (1 + odds), abs=1e-4)


def test_every_contribution_is_an_evidence_entry_with_reason_and_source(assess):
    cause = by_id(assess({"medications": [STATIN], "labs": [CK_HIGH]}), "statin_myopathy")
    assert {e["source"] for e in cause["evidence"]} == {"medication", "lab"}
    for entry in cause["evidence"]:
        assert entry["reason"] and entry["references"] and entry["input"]
        assert LR_MIN <= entry["likelihood_ratio"] <= LR_MAX
        assert entry["weight"] == round(math.log(entry["likelihood_ratio"]), 2)


def test_explicitly_absent_finding_lowers_a_cause(assess):
    base = {"findings": ["fasciculations"], "patient": {"age": 60}}
    unknown = by_id(assess(base), "als")["probability"]
    absent = {**base, "findings": ["fasciculations", {"display": "muscle weakness", "present": False}]}
    cause = by_id(assess(absent), "als")
    assert cause["probability"] < unknown
    assert any(e["effect"] == "against" and "strength" in e["reason"] for e in cause["evidence"])


def test_a_drug_cause_needs_its_drug(assess):
    context = {"findings": ["muscle aches in both thighs"], "labs": [CK_HIGH]}
    assert by_id(assess(context), "statin_myopathy") is None
    assert by_id(assess({**context, "medications": ["amlodipine 5 mg"]}), "statin_myopathy") is None
    assert by_id(assess({**context, "medications": [STATIN]}), "statin_myopathy") is not None


def test_medication_list_without_the_drug_counts_against_a_drug_cause(assess):
    context = {"findings": ["anti-HMGCR antibodies positive"], "labs": [CK_HIGH]}
    with_list = by_id(assess({**context, "medications": ["amlodipine 5 mg"]}), "statin_imnm")
    without_list = by_id(assess(context), "statin_imnm")
    assert with_list["probability"] < without_list["probability"]
    assert any(e["input"] == "no statin on the medication list" for e in with_list["evidence"])


def test_causes_are_ranked_by_probability_then_id(assess):
    result = assess(
        {"findings": ["muscle cramps at night", "fasciculations", "eyelid twitching"], "patient": {"age": 70}}
    )
    keys = [(-c["probability"], c["id"]) for c in result["differential"]]
    assert keys == sorted(keys)
    assert [c["rank"] for c in result["differential"]] == list(range(1, len(keys) + 1))


def test_limit_caps_the_differential(assess):
    context = {
        "findings": ["muscle cramp", "fasciculations", "muscle weakness", "eyelid twitch"],
        "medications": [STATIN],
        "labs": [CK_HIGH],
    }
    differential = assess(context, limit=2)["differential"]
    assert [c["rank"] for c in differential[:2]] == [1, 2]
    # Beyond the limit only the causes a raised alert names (see tests/test_alert_links.py).
    assert differential[2:] and all(c["rank"] > 2 and c["alert_ids"] for c in differential[2:])
    quiet = {"findings": ["muscle cramp", "fasciculations", "eyelid twitch"], "patient": {"age": 40}}
    assert len(assess(quiet, limit=2)["differential"]) == 2


def test_a_group_counts_only_its_strongest_rule(assess):
    cause = by_id(assess({"medications": [STATIN], "labs": [CK_HIGH]}), "statin_myopathy")
    ck_entries = [e for e in cause["evidence"] if e["source"] == "lab"]
    assert len(ck_entries) == 1 and "10 x ULN" in ck_entries[0]["reason"]


def test_dangerous_cause_alerts_whatever_its_rank(assess):
    result = assess({"labs": [CK_HIGH]}, limit=1)
    assert "rhabdomyolysis" in {a["id"] for a in result["alerts"]}


def test_same_input_gives_same_output(assess):
    context = {"findings": ["muscle cramp", "dark urine"], "medications": [STATIN], "labs": [CK_HIGH]}
    first = json.dumps(assess(context), sort_keys=True)
    assert all(json.dumps(assess(context), sort_keys=True) == first for _ in range(3))


def test_next_steps_name_what_would_move_the_cause_most(assess):
    cause = by_id(assess({"medications": ["furosemide 40 mg daily"]}), "hypokalemia")
    # The strongest open slot is the potassium itself: asked for in clinical words, without its LR.
    assert "Check potassium" in cause["next_steps"]
    assert not any("LR" in step for step in cause["next_steps"])


def test_the_engine_imports_neither_flask_nor_marshmallow():
    code = (
        "import sys; import spasmdx.rules.engine, spasmdx.rules.resolve; "
        "print(sorted(m for m in ('flask', 'marshmallow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_benign_anxious_caffeinated_fasciculations_rank_benign_causes_first(assess):
    result = assess(
        {
            "patient": {"age": 30, "sex": "male"},
            "findings": [
                "fasciculations in both calves",
                "very anxious",
                "six coffees a day",
                {"display": "muscle weakness", "present": False},
                {"display": "muscle wasting", "present": False},
            ],
            "labs": [
                {"display": "CK", "value": 150, "unit": "U/L"},
                {"display": "potassium", "value": 4.2, "unit": "mmol/L"},
                {"display": "magnesium", "value": 0.85, "unit": "mmol/L"},
                {"display": "TSH", "value": 1.5, "unit": "mIU/L"},
            ],
        }
    )
    top = result["differential"][:2]
    assert {c["category"] for c in top} <= {"benign", "neurological"}
    assert {c["id"] for c in top} <= {
        "benign_fasciculation_syndrome",
        "benign_twitch_triggers",
        "cramp_fasciculation_syndrome",
    }
    assert not [a for a in result["alerts"] if a["severity"] == "critical"]


def test_statin_user_with_ck_40_times_uln_gets_rhabdomyolysis_and_statin_myopathy_with_the_alert(assess):
    result = assess(
        {
            "patient": {"age": 66, "sex": "male"},
            "findings": ["diffuse muscle pain and weakness"],
            "medications": [{"display": "simvastatin 80 mg", "status": "active"}],
            "labs": [{"display": "CK", "value": 8000, "unit": "U/L", "reference_range": {"high": 200}}],
        }
    )
    assert {c["id"] for c in result["differential"][:2]} == {"rhabdomyolysis", "statin_myopathy"}
    assert any(a["id"] == "rhabdomyolysis" and a["severity"] == "critical" for a in result["alerts"])


@pytest.mark.parametrize(
    "lab",
    [
        pytest.param({"display": "creatinine", "value": 0, "unit": "mg/dL"}, id="zero-creatinine"),
        pytest.param(
            {"display": "CK", "value": 0, "unit": "U/L", "reference_range": {"low": 0, "high": 0}}, id="zero-range"
        ),
        pytest.param({"display": "calcium", "value": 0, "unit": "mg/dL"}, id="zero-calcium"),
        pytest.param({"display": "BUN", "value": 30, "unit": "mg/dL"}, id="bun-without-creatinine"),
    ],
)
def test_edge_values_never_break_the_engine(assess, lab):
    context = {
        "patient": {"age": 70, "sex": "female"},
        "labs": [
            lab,
            {"display": "albumin", "value": 0, "unit": "g/dL"},
            {"display": "BUN", "value": 0, "unit": "mg/dL"},
        ],
    }
    result = assess(context)
    assert all(0 <= c["probability"] <= 1 for c in result["differential"])
