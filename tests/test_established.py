"""Established facts: a measured value or set of findings that meets a cause's accepted definition."""

from __future__ import annotations

import math

import pytest

from spasmdx.rules.model import ESTABLISHED_LR


def lab(name, value, unit, **reference):
    out = {"display": name, "value": value, "unit": unit}
    if reference:
        out["reference_range"] = reference
    return out


def by_id(result, cause_id):
    return next((c for c in result["differential"] if c["id"] == cause_id), None)


# (cause, a context that meets its definition, the input that met it, the nearest mimic that does not)
DEFINED = [
    (
        "hypokalemia",
        {"findings": ["muscle cramps", "muscle weakness"], "labs": [lab("potassium", 2.3, "mmol/L")]},
        "potassium 2.3 mmol/L",
        {"findings": ["muscle cramps", "muscle weakness"], "labs": [lab("potassium", 3.2, "mmol/L")]},
    ),
    (
        "hypomagnesemia",
        {"findings": ["muscle cramps"], "labs": [lab("magnesium", 0.25, "mmol/L")]},
        "magnesium 0.25 mmol/L",
        {"findings": ["muscle cramps"], "labs": [lab("magnesium", 0.62, "mmol/L")]},
    ),
    (
        "hypocalcemia",
        {"findings": ["perioral tingling"], "labs": [lab("ionised calcium", 0.92, "mmol/L")]},
        "ionised calcium 0.92 mmol/L",
        {"findings": ["perioral tingling"], "labs": [lab("ionised calcium", 1.08, "mmol/L")]},
    ),
    (
        "hypercalcemia",
        {"findings": ["confusion", "muscle weakness"], "labs": [lab("calcium", 3.8, "mmol/L")]},
        "calcium 3.8 mmol/L",
        {"findings": ["confusion", "muscle weakness"], "labs": [lab("calcium", 2.7, "mmol/L")]},
    ),
    (
        "hypophosphatemia",
        {"findings": ["muscle weakness"], "labs": [lab("phosphate", 0.2, "mmol/L")]},
        "phosphate 0.2 mmol/L",
        {"findings": ["muscle weakness"], "labs": [lab("phosphate", 0.7, "mmol/L")]},
    ),
    (
        "rhabdomyolysis",
        {
            "findings": ["diffuse myalgia", "dark urine"],
            "medications": ["simvastatin 40 mg"],
            "labs": [lab("CK", 2100, "U/L", low=0, high=170)],
        },
        "CK 2100 U/L",
        # CK over 10 x ULN alone is also the CK of myositis and statin myopathy: the alert, not the definition.
        {
            "findings": ["diffuse myalgia"],
            "medications": ["simvastatin 40 mg"],
            "labs": [lab("CK", 2100, "U/L", low=0, high=170)],
        },
    ),
    (
        "hypothyroid_myopathy",
        {
            "findings": ["muscle cramps", "muscle stiffness"],
            "labs": [lab("TSH", 38, "mIU/L"), lab("free T4", 6, "pmol/L")],
        },
        "TSH 38 mIU/L",
        {
            "findings": ["muscle cramps", "muscle stiffness"],
            "labs": [lab("TSH", 8, "mIU/L"), lab("free T4", 14, "pmol/L")],
        },
    ),
    (
        "hyperthyroidism",
        {"findings": ["fasciculations", "tremor"], "labs": [lab("TSH", 0.01, "mIU/L"), lab("free T4", 48, "pmol/L")]},
        "TSH 0.01 mIU/L",
        {"findings": ["fasciculations", "tremor"], "labs": [lab("TSH", 0.01, "mIU/L"), lab("free T4", 18, "pmol/L")]},
    ),
    (
        "vitamin_d_deficiency",
        {"findings": ["proximal muscle weakness"], "labs": [lab("25-OH vitamin D", 18, "nmol/L")]},
        "25-OH vitamin D 18 nmol/L",
        {"findings": ["proximal muscle weakness"], "labs": [lab("25-OH vitamin D", 40, "nmol/L")]},
    ),
    (
        "b12_deficiency",
        {"findings": ["paresthesia", "muscle twitching"], "labs": [lab("vitamin B12", 90, "pmol/L")]},
        "vitamin B12 90 pmol/L",
        {"findings": ["paresthesia", "muscle twitching"], "labs": [lab("vitamin B12", 200, "pmol/L")]},
    ),
    (
        "peripheral_artery_disease",
        {"findings": ["calf cramp when walking"], "labs": [lab("ABI", 0.62, "1")]},
        "ABI 0.62",
        {"findings": ["calf cramp when walking"], "labs": [lab("ABI", 0.95, "1")]},
    ),
    (
        "ckd_cramps",
        {"findings": ["muscle cramps"], "labs": [lab("eGFR", 12, "mL/min/{1.73_m2}")]},
        "eGFR 12",
        {"findings": ["muscle cramps"], "labs": [lab("eGFR", 38, "mL/min/{1.73_m2}")]},
    ),
]


@pytest.mark.parametrize("cause_id, context, given, mimic", DEFINED, ids=[d[0] for d in DEFINED])
def test_a_definition_met_is_marked_with_its_criterion_and_the_inputs_that_met_it(
    assess, kb, cause_id, context, given, mimic
):
    cause = by_id(assess(context), cause_id)
    assert cause is not None, f"{cause_id} not in the differential"
    established = cause["established"]
    definitions = kb.causes[cause_id].established
    assert established["criterion"] in [d.criterion for d in definitions]
    assert any(b.startswith(given) for b in established["because"]), established["because"]
    assert established["references"] and all(r in kb.references for r in established["references"])
    cited = {r["id"] for r in cause["references"]}
    assert set(established["references"]) <= cited


@pytest.mark.parametrize("cause_id, context, given, mimic", DEFINED, ids=[d[0] for d in DEFINED])
def test_a_definition_met_ranks_the_cause_first_and_says_so_in_its_probability(
    assess, kb, cause_id, context, given, mimic
):
    if all(d.lr == 1 for d in kb.causes[cause_id].established):
        pytest.skip("a common condition: its definition marks it present and adds nothing (see below)")
    result = assess(context)
    cause = by_id(result, cause_id)
    assert cause["rank"] == 1, [(c["id"], c["probability"]) for c in result["differential"][:3]]
    assert cause["probability"] >= 0.5


@pytest.mark.parametrize("cause_id, context, given, mimic", DEFINED, ids=[d[0] for d in DEFINED])
def test_a_value_short_of_the_definition_does_not_establish_the_cause(assess, cause_id, context, given, mimic):
    cause = by_id(assess(mimic), cause_id)
    assert cause is None or "established" not in cause
    if cause is not None:
        assert not any(e["reason"].startswith("Established:") for e in cause["evidence"])


def test_the_definition_met_is_one_evidence_entry_with_its_own_likelihood_ratio(assess):
    cause = by_id(assess(DEFINED[0][1]), "hypokalemia")
    entries = [e for e in cause["evidence"] if e["reason"].startswith("Established:")]
    assert len(entries) == 1
    assert entries[0]["likelihood_ratio"] == ESTABLISHED_LR
    assert entries[0]["weight"] == round(math.log(ESTABLISHED_LR), 2)
    assert entries[0]["input"] == "potassium 2.3 mmol/L"
    # The band of the lab keeps its own ratio and reason beside it.
    assert any(e["reason"].startswith("Potassium below 3.0") for e in cause["evidence"])


def test_statin_with_ck_12_times_uln_and_dark_urine_ranks_rhabdomyolysis_above_idiopathic_cramps(assess):
    context = {
        "findings": ["diffuse myalgia", "muscle cramps at night", "dark urine"],
        "medications": ["simvastatin 40 mg"],
        "labs": [lab("CK", 2100, "U/L", low=0, high=170)],
    }
    result = assess(context)
    ranks = {c["id"]: c["rank"] for c in result["differential"]}
    assert ranks["rhabdomyolysis"] <= 2
    assert ranks["rhabdomyolysis"] < ranks.get("nocturnal_leg_cramps", 99)


def test_myositis_with_ck_40_times_uln_and_no_myoglobinuria_stays_first_with_the_alert_linked(assess):
    context = {
        "findings": ["heliotrope rash", "Gottron papules", "proximal muscle weakness"],
        "labs": [lab("CK", 7800, "U/L", high=192)],
    }
    result = assess(context)
    first = result["differential"][0]
    assert first["id"] == "inflammatory_myositis"
    rhabdo = next(c for c in result["differential"] if c["id"] == "rhabdomyolysis")
    assert "established" not in rhabdo and rhabdo["alert_ids"] == ["rhabdomyolysis"]


def test_two_established_causes_both_rank_above_a_cause_weaker_evidence_supports(assess):
    context = {
        "findings": ["muscle cramps at night", "muscle weakness"],
        "labs": [lab("potassium", 2.6, "mmol/L"), lab("magnesium", 0.4, "mmol/L")],
    }
    differential = assess(context)["differential"]
    top = [c["id"] for c in differential[:2]]
    assert set(top) == {"hypokalemia", "hypomagnesemia"}
    assert all("established" in c for c in differential[:2])


def test_serotonin_toxicity_is_established_by_the_hunter_criteria_not_by_clonus_alone(assess):
    drug = ["sertraline 100 mg", "tramadol 50 mg"]
    met = by_id(assess({"medications": drug, "findings": ["clonus", "agitation"]}), "serotonin_syndrome")
    assert met["established"]["references"] == ["dunkley_2003"]
    alone = by_id(assess({"medications": drug, "findings": ["clonus"]}), "serotonin_syndrome")
    assert alone is None or "established" not in alone


def test_a_diagnosis_of_exclusion_has_no_definition(kb):
    # Statin myopathy too: its consensus definition (CK over 10 x ULN on a statin) is also met by
    # statin-induced necrotising myopathy, the diagnosis it must not hide.
    excluded = ("nocturnal_leg_cramps", "benign_fasciculation_syndrome", "fibromyalgia", "pregnancy_cramps")
    for cause_id in (*excluded, "statin_myopathy"):
        assert kb.causes[cause_id].established == ()


def test_an_established_cause_is_outranked_only_by_a_more_probable_cause(assess, worked_cases):
    for case in worked_cases:
        differential = assess(case["context"], limit=50)["differential"]
        for above, below in zip(differential, differential[1:], strict=False):
            if "established" in below and "established" not in above:
                assert above["probability"] > below["probability"], case["id"]


def test_a_common_condition_is_marked_present_but_a_stronger_explanation_stays_above_it(assess, kb):
    # 25-OH vitamin D below 30 nmol/L is found in about 1 adult in 8: present, not the explanation.
    assert [d.lr for d in kb.causes["vitamin_d_deficiency"].established] == [1]
    context = {
        "findings": ["leg spasms", "spasticity"],
        "conditions": ["multiple sclerosis"],
        "labs": [lab("25-OH vitamin D", 20, "nmol/L")],
    }
    differential = assess(context)["differential"]
    assert differential[0]["id"] == "ms_spasticity"
    vitamin_d = by_id({"differential": differential}, "vitamin_d_deficiency")
    assert vitamin_d["established"]["because"] == ["25-OH vitamin D 20 nmol/L"]
    assert not any(e["reason"].startswith("Established:") for e in vitamin_d["evidence"])
    assert vitamin_d["probability"] < differential[0]["probability"]


def test_a_definition_of_likelihood_ratio_one_adds_no_evidence_and_others_add_their_own(kb):
    from spasmdx.rules.program import compile_cause

    for cause in kb.causes.values():
        for definition, compiled in zip(cause.established, compile_cause(cause).definitions, strict=True):
            if definition.lr == 1:
                assert compiled.shown is None
            else:
                assert compiled.shown.likelihood_ratio == definition.lr == ESTABLISHED_LR
