"""CDS Hooks order-select and order-sign: a card for each interaction family, none for the nearest safe order."""

from __future__ import annotations

import pytest
from cds import condition, lab, spec_problems
from contract import conforms
from order_hooks import SELECT, SIGN, draft, on_chart, order_call, order_prefetch

SIMVA_80 = draft("d-simva", "simvastatin", 80)


def answer(client, body, path=SELECT):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    conforms(response)
    got = response.get_json()
    assert spec_problems(got) == []
    return got


def cards_for(client, drafts, chart=(), hook="order-select", **given):
    path = SELECT if hook == "order-select" else SIGN
    return answer(client, order_call(hook, drafts, order_prefetch(medications=chart, **given)), path)["cards"]


def topics(cards):
    return [(c["source"]["topic"]["code"].removeprefix("order/"), c["indicator"]) for c in cards]


# (statin draft, the drug it meets on the chart, rule, indicator): every family of issue 18, part A.
FAMILIES = [
    ("simvastatin", 40, "clarithromycin", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("lovastatin", 20, "itraconazole", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("simvastatin", 20, "ketoconazole", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("lovastatin", 20, "posaconazole", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("simvastatin", 20, "ritonavir", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("simvastatin", 20, "cobicistat", "simvastatin_lovastatin_strong_cyp3a4", "critical"),
    ("atorvastatin", 40, "clarithromycin", "atorvastatin_cap_20", "warning"),
    ("atorvastatin", 20, "ritonavir", "atorvastatin_strong_cyp3a4", "info"),
    ("atorvastatin", 10, "posaconazole", "atorvastatin_posaconazole", "critical"),
    ("simvastatin", 20, "gemfibrozil", "simvastatin_gemfibrozil", "critical"),
    ("rosuvastatin", 10, "gemfibrozil", "statin_gemfibrozil", "warning"),
    ("simvastatin", 20, "cyclosporine", "simvastatin_ciclosporin", "critical"),
    ("atorvastatin", 10, "cyclosporine", "lovastatin_atorvastatin_ciclosporin", "warning"),
    ("rosuvastatin", 10, "cyclosporine", "rosuvastatin_ciclosporin_cap", "warning"),
    ("simvastatin", 20, "danazol", "simvastatin_danazol", "critical"),
    ("lovastatin", 40, "danazol", "lovastatin_cap_20", "warning"),
    ("pravastatin", 40, "fusidic acid", "statin_fusidic_acid", "critical"),
    ("rosuvastatin", 10, "daptomycin", "statin_daptomycin", "info"),
]


@pytest.mark.parametrize("statin,mg,partner,rule,indicator", FAMILIES, ids=[f"{f[0]}-{f[2]}" for f in FAMILIES])
def test_each_interaction_family_gets_its_card_whichever_drug_is_ordered(client, statin, mg, partner, rule, indicator):
    ordered_statin = cards_for(client, [draft("d1", statin, mg)], [on_chart(partner)])
    assert topics(ordered_statin) == [(rule, indicator)]
    # The other way round: the partner ordered for a patient already on the statin.
    ordered_partner = cards_for(client, [draft("d1", partner, 100)], [on_chart(statin, f"{statin} {mg} mg daily")])
    assert topics(ordered_partner) == [(rule, indicator)]


@pytest.mark.parametrize(
    "statin,mg,partner",
    [
        pytest.param("rosuvastatin", 10, "clarithromycin", id="rosuvastatin-10-clarithromycin"),
        pytest.param("pravastatin", 40, "clarithromycin", id="pravastatin-40-clarithromycin-at-the-cap"),
        pytest.param("simvastatin", 10, "amlodipine", id="simvastatin-10-amlodipine"),
        pytest.param("simvastatin", 20, "amlodipine", id="simvastatin-20-amlodipine-at-the-cap"),
        pytest.param("atorvastatin", 20, "clarithromycin", id="atorvastatin-20-clarithromycin-at-the-cap"),
        pytest.param("simvastatin", 40, "azithromycin", id="simvastatin-azithromycin"),
        pytest.param("rosuvastatin", 5, "cyclosporine", id="rosuvastatin-5-ciclosporin"),
        pytest.param("pravastatin", 20, "cyclosporine", id="pravastatin-20-ciclosporin"),
    ],
)
def test_the_nearest_safe_order_stays_quiet(client, statin, mg, partner):
    assert cards_for(client, [draft("d1", statin, mg)], [on_chart(partner)]) == []


CAPS = [
    ("simvastatin", "verapamil", 10),
    ("simvastatin", "diltiazem", 10),
    ("simvastatin", "dronedarone", 10),
    ("simvastatin", "amiodarone", 20),
    ("simvastatin", "amlodipine", 20),
    ("simvastatin", "ranolazine", 20),
    ("lovastatin", "danazol", 20),
    ("lovastatin", "diltiazem", 20),
    ("lovastatin", "dronedarone", 20),
    ("lovastatin", "verapamil", 20),
    ("lovastatin", "amiodarone", 40),
    ("pravastatin", "clarithromycin", 40),
]


@pytest.mark.parametrize("statin,partner,cap", CAPS, ids=[f"{s}-{p}-{c}" for s, p, c in CAPS])
def test_dose_limits_are_quiet_at_the_cap_and_warn_over_it(client, statin, partner, cap):
    assert cards_for(client, [draft("d1", statin, cap)], [on_chart(partner)]) == []
    over = cards_for(client, [draft("d1", statin, cap * 2)], [on_chart(partner)])
    assert [c["indicator"] for c in over] == ["warning"]
    assert f"{cap * 2:g} mg a day" in over[0]["summary"] and f"{cap:g} mg" in over[0]["summary"]
    [lower] = [s for s in over[0]["suggestions"] if s["label"].startswith("Lower")]
    [action] = lower["actions"]
    assert action["type"] == "update" and action["resource"]["id"] == "d1"
    assert action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == cap


def test_the_dose_is_read_from_tablets_times_the_products_strength_and_twice_daily_doubles(client):
    # atorvastatin 20 MG Oral Tablet (RxNorm 617310), two tablets a day: 40 mg, over the cap of 20.
    two_tablets = draft(
        "d1",
        "atorvastatin",
        medicationCodeableConcept={
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "617310"}],
            "text": "atorvastatin 20 MG Oral Tablet",
        },
    )
    from order_hooks import dosage

    two_tablets["dosageInstruction"] = dosage(2, "TAB")
    assert topics(cards_for(client, [two_tablets], [on_chart("clarithromycin")])) == [
        ("atorvastatin_cap_20", "warning")
    ]
    one_tablet = {**two_tablets, "dosageInstruction": dosage(1, "TAB")}
    assert cards_for(client, [one_tablet], [on_chart("clarithromycin")]) == []
    twice_daily = draft("d1", "simvastatin", 20) | {"dosageInstruction": dosage(20, frequency=2)}
    assert topics(cards_for(client, [twice_daily], [on_chart("amlodipine")])) == [("simvastatin_cap_20", "warning")]


def test_a_capped_pair_whose_dose_cannot_be_read_gets_an_info_card_that_says_so(client):
    cards = cards_for(client, [draft("d1", "simvastatin")], [on_chart("verapamil")])
    assert topics(cards) == [("simvastatin_cap_10", "info")]
    assert "could not be read" in cards[0]["detail"]
    assert not any(s["label"].startswith("Lower") for s in cards[0].get("suggestions", []))


EGFR_35 = lab("98979-8", "eGFR CKD-EPI 2021", 35, "mL/min/{1.73_m2}")


@pytest.mark.parametrize(
    "given",
    [
        pytest.param({"conditions": [condition("709044004", "Chronic kidney disease")]}, id="ckd-on-the-problem-list"),
        pytest.param({"creatinine": lab("2160-0", "Creatinine", 2.4, "mg/dL", high=1.3)}, id="creatinine-gives-egfr"),
    ],
)
def test_colchicine_with_a_statin_warns_in_kidney_disease_only(client, given):
    statin = [on_chart("atorvastatin", "atorvastatin 40 mg daily")]
    colchicine = [draft("d1", "colchicine", 1)]
    assert topics(cards_for(client, colchicine, statin, **given)) == [("colchicine_statin_kidney", "warning")]
    normal = lab("2160-0", "Creatinine", 0.8, "mg/dL", high=1.3)
    assert cards_for(client, colchicine, statin, creatinine=normal) == []


@pytest.mark.parametrize(
    "given,rule,indicator",
    [
        pytest.param(
            {"conditions": [condition("240131006", "Rhabdomyolysis", status="resolved")]},
            "statin_after_myopathy",
            "warning",
            id="resolved-rhabdomyolysis",
        ),
        pytest.param(
            {"conditions": [condition("x", "Statin myopathy", status="inactive")]},
            "statin_after_myopathy",
            "warning",
            id="statin-myopathy-named-in-text",
        ),
        pytest.param(
            {"ck": lab("2157-6", "Creatine kinase", 2500, "U/L", high=200)},
            "statin_after_myopathy",
            "warning",
            id="ck-over-10-uln",
        ),
        pytest.param(
            {"conditions": [condition("x", "Immune-mediated necrotizing myopathy, anti-HMGCR", status="resolved")]},
            "statin_after_imnm",
            "critical",
            id="imnm-in-remission",
        ),
    ],
)
def test_a_statin_ordered_after_recorded_statin_muscle_injury_is_flagged(client, given, rule, indicator):
    assert topics(cards_for(client, [draft("d1", "rosuvastatin", 5)], **given)) == [(rule, indicator)]


def test_a_statin_with_a_ck_under_10_times_uln_and_no_history_stays_quiet(client):
    ck = lab("2157-6", "Creatine kinase", 900, "U/L", high=200)
    assert cards_for(client, [draft("d1", "rosuvastatin", 10)], ck=ck) == []


@pytest.mark.parametrize(
    "snomed,name",
    [("91637004", "Myasthenia gravis"), ("396230008", "Dermatomyositis")],
)
def test_a_checkpoint_inhibitor_for_a_patient_with_myositis_or_myasthenia_warns(client, snomed, name):
    conditions = [condition(snomed, name)]
    assert topics(cards_for(client, [draft("d1", "pembrolizumab", 200)], conditions=conditions)) == [
        ("checkpoint_inhibitor_myositis_myasthenia", "warning")
    ]
    assert cards_for(client, [draft("d1", "pembrolizumab", 200)]) == []


def test_order_select_is_about_the_selections_and_order_sign_about_every_draft(client):
    drafts = [draft("d1", "amoxicillin", 500), SIMVA_80, draft("d3", "clarithromycin", 500)]
    body = order_call("order-select", drafts, order_prefetch(), selections=["MedicationRequest/d1"])
    assert answer(client, body)["cards"] == []
    body = order_call("order-select", drafts, order_prefetch(), selections=["MedicationRequest/d3"])
    assert topics(answer(client, body)["cards"]) == [("simvastatin_lovastatin_strong_cyp3a4", "critical")]
    signed = answer(client, order_call("order-sign", drafts, order_prefetch()), SIGN)["cards"]
    assert topics(signed) == [("simvastatin_lovastatin_strong_cyp3a4", "critical")]


def test_when_nothing_applies_the_answer_is_an_empty_cards_array(client):
    body = order_call("order-sign", [draft("d1", "rosuvastatin", 10)], order_prefetch())
    response = client.post(SIGN, json=body)
    assert response.status_code == 200 and response.get_json() == {"cards": []}


def test_one_pair_gets_one_card_the_most_severe_rule(client):
    # simvastatin with gemfibrozil holds for the simvastatin rule (critical) and the statin rule (warning).
    assert topics(cards_for(client, [draft("d1", "simvastatin", 20)], [on_chart("gemfibrozil")])) == [
        ("simvastatin_gemfibrozil", "critical")
    ]


def test_the_readme_example_call_answers_what_the_readme_says(client):
    import json
    from pathlib import Path

    body = json.loads(
        (Path(__file__).resolve().parent.parent / "examples" / "cds-hooks" / "order-select.json").read_text()
    )
    [card] = answer(client, body)["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"] == "Simvastatin with clarithromycin: contraindicated (myopathy and rhabdomyolysis)"
    assert [s["label"] for s in card["suggestions"]][:2] == [
        "Replace with rosuvastatin 10 mg oral tablet, once a day",
        "Replace with pravastatin sodium 40 MG Oral Tablet, once a day",
    ]


def test_a_refuted_statin_myopathy_is_not_history(client):
    refuted = condition("240131006", "Rhabdomyolysis") | {
        "verificationStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]
        }
    }
    assert cards_for(client, [draft("d1", "rosuvastatin", 5)], conditions=[refuted]) == []


def test_a_suggestion_to_remove_the_other_draft_names_it(client):
    drafts = [draft("d-simva", "simvastatin", 20), draft("d-clari", "clarithromycin", 500)]
    [card] = answer(client, order_call("order-sign", drafts, order_prefetch()), SIGN)["cards"]
    removals = [s["actions"] for s in card["suggestions"] if s["label"] == "Remove the clarithromycin order"]
    assert removals == [
        [{"type": "delete", "description": "Remove the order", "resourceId": "MedicationRequest/d-clari"}]
    ]


def test_amlodipine_ordered_for_a_patient_on_simvastatin_40_offers_to_remove_the_new_order(client):
    chart = [on_chart("simvastatin", "simvastatin 40 mg at night")]
    [card] = cards_for(client, [draft("d-aml", "amlodipine", 5)], chart)
    assert card["indicator"] == "warning" and "40 mg a day" in card["summary"]
    assert [s["label"] for s in card["suggestions"]] == ["Remove the amlodipine order"]
