"""Issue 13, new causes (first half): NMS, fibrate myopathy, heat illness, hyponatraemia,
McArdle, CPT2 deficiency and compartment syndrome, and their critical alerts.

Each cause ranks first on a context of its own and stays out of first place on its nearest
mimic; each alert's safety rows (tests/safety/causes_a.jsonl) are scored here too.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import ROOT, raised, ranked

# The naive score (conftest.assess): these tests weigh evidence against evidence.
WEIGHS_EVIDENCE = True

SAFETY = ROOT / "tests" / "safety" / "causes_a.jsonl"
ROWS = [json.loads(line) for line in SAFETY.read_text().splitlines() if line.strip()]
NEW_ALERTS = ("neuroleptic_malignant_syndrome", "heat_stroke", "compartment_syndrome", "severe_hyponatremia")


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_safety_row_raises_what_it_must_and_nothing_it_must_not(assess, row):
    alerts = raised(assess(row["context"]))
    assert set(row["must"]) <= alerts, (row["note"], alerts)
    assert not set(row["must_not"]) & alerts, (row["note"], alerts)


def test_every_new_alert_has_three_true_rows_and_three_mimics():
    musts = Counter(a for r in ROWS for a in r["must"])
    must_nots = Counter(a for r in ROWS for a in r["must_not"])
    for alert in NEW_ALERTS:
        assert musts[alert] >= 3 and must_nots[alert] >= 3, alert


def test_every_new_alert_is_critical_cites_a_source_and_names_its_cause(kb):
    for alert_id in NEW_ALERTS:
        alert = kb.alerts[alert_id]
        assert alert.severity == "critical"
        assert alert.sources and all(ref in kb.references for ref in alert.sources)
        assert alert.cause_ids and all(c in kb.causes for c in alert.cause_ids)


# (cause, a context where it should rank first, its nearest mimic where it must not)
FIRST_AND_MIMIC = {
    "neuroleptic_malignant_syndrome": (
        {
            "patient": {"age": 34, "sex": "male"},
            "findings": ["temp 39.6", "lead pipe rigidity", "confused"],
            "medications": ["haloperidol"],
            "labs": [{"display": "CK", "value": 18000, "unit": "U/L"}],
        },
        {
            "patient": {"age": 22, "sex": "male"},
            "findings": ["torticollis", "oculogyric crisis"],
            "medications": ["metoclopramide 10 mg"],
        },
    ),
    "fibrate_myopathy": (
        {
            "patient": {"age": 68, "sex": "male"},
            "findings": ["muscle aches in both thighs"],
            "medications": ["fenofibrate 145 mg"],
            "conditions": ["chronic kidney disease stage 4"],
            "labs": [{"display": "CK", "value": 4000, "unit": "U/L"}],
        },
        {
            "patient": {"age": 72, "sex": "female"},
            "findings": ["calf cramps at night"],
            "medications": ["fenofibrate 160 mg"],
            "labs": [{"display": "CK", "value": 120, "unit": "U/L"}],
        },
    ),
    "exertional_heat_illness": (
        {
            "patient": {"age": 19, "sex": "male"},
            "findings": ["collapsed during football practice in the heat", "temperature 41.2", "confused"],
        },
        {
            "patient": {"age": 31},
            "findings": ["hyperthermia", "agitation", "clonus"],
            "medications": ["phenelzine", "tramadol"],
        },
    ),
    "hyponatremia": (
        {
            "patient": {"age": 78, "sex": "female"},
            "findings": ["muscle cramps", "nausea"],
            "medications": ["bendroflumethiazide 2.5 mg", "sertraline 50 mg"],
            "labs": [{"display": "Sodium", "value": 127, "unit": "mmol/L"}],
        },
        {
            "patient": {"age": 70},
            "findings": ["muscle cramps", "weakness"],
            "medications": ["hydrochlorothiazide 25 mg"],
            "labs": [
                {"display": "potassium", "value": 2.6, "unit": "mmol/L"},
                {"display": "sodium", "value": 139, "unit": "mmol/L"},
            ],
        },
    ),
    "mcardle_disease": (
        {
            "patient": {"age": 24, "sex": "male"},
            "findings": [
                "painful contractures within minutes of lifting weights",
                "second wind",
                "exercise intolerance",
            ],
            "labs": [{"display": "CK", "value": 1200, "unit": "U/L"}],
        },
        {
            "patient": {"age": 30, "sex": "male"},
            "findings": [
                "dark urine after a long hike while fasting",
                "recurrent rhabdomyolysis",
                "CK normal between attacks",
            ],
            "labs": [{"display": "CK", "value": 25000, "unit": "U/L"}],
        },
    ),
    "cpt2_deficiency": (
        {
            "patient": {"age": 30, "sex": "male"},
            "findings": [
                "myalgia and dark urine after a long hike while fasting",
                "recurrent rhabdomyolysis",
                "CK normal between attacks",
            ],
            "labs": [{"display": "CK", "value": 25000, "unit": "U/L"}],
        },
        {
            "patient": {"age": 27, "sex": "female"},
            "findings": ["first ever spin class", "dark urine"],
            "labs": [{"display": "CK", "value": 60000, "unit": "U/L"}],
        },
    ),
    "compartment_syndrome": (
        {
            "patient": {"age": 28, "sex": "male"},
            "findings": ["tibial shaft fracture", "pain out of proportion", "pain on passive stretch", "tense calf"],
        },
        {
            "patient": {"age": 60},
            "findings": ["unilateral calf swelling", "calf tenderness", "hip replacement 10 days ago"],
        },
    ),
}


@pytest.mark.parametrize("cause_id", sorted(FIRST_AND_MIMIC))
def test_new_cause_ranks_first_on_its_own_picture(assess, cause_id):
    first, _ = FIRST_AND_MIMIC[cause_id]
    result = assess(first)
    order = ranked(result)
    if order[:1] == ["rhabdomyolysis"] and result["differential"][0].get("established"):
        # An attack of rhabdomyolysis that meets its definition may lead; the cause of it comes next.
        order = order[1:]
    assert order[:1] == [cause_id]


@pytest.mark.parametrize("cause_id", sorted(FIRST_AND_MIMIC))
def test_new_cause_is_not_first_on_its_nearest_mimic(assess, cause_id):
    _, mimic = FIRST_AND_MIMIC[cause_id]
    assert ranked(assess(mimic))[:1] != [cause_id]


def test_a_drug_cause_needs_its_drug(assess):
    nms, _ = FIRST_AND_MIMIC["neuroleptic_malignant_syndrome"]
    fibrate, _ = FIRST_AND_MIMIC["fibrate_myopathy"]
    assert "neuroleptic_malignant_syndrome" not in ranked(assess({**nms, "medications": ["sertraline"]}))
    assert "fibrate_myopathy" not in ranked(assess({**fibrate, "medications": ["atorvastatin 40 mg"]}))


def test_withdrawn_levodopa_counts_as_the_exposure_but_current_levodopa_does_not(assess):
    picture = {"patient": {"age": 72}, "findings": ["fever", "rigidity", "obtunded"]}
    stopped = assess({**picture, "medications": [{"display": "levodopa", "status": "stopped"}]})
    taken = assess({**picture, "medications": [{"display": "levodopa", "status": "active"}]})
    assert ranked(stopped)[:1] == ["neuroleptic_malignant_syndrome"]
    assert "neuroleptic_malignant_syndrome" in raised(stopped)
    assert "neuroleptic_malignant_syndrome" not in ranked(taken)


def test_fibrate_myopathy_is_likelier_in_kidney_disease_and_with_gemfibrozil_and_a_statin(assess):
    base = {"findings": ["myalgia"], "labs": [{"display": "CK", "value": 3000, "unit": "U/L"}]}

    def probability(context):
        return next(c["probability"] for c in assess(context)["differential"] if c["id"] == "fibrate_myopathy")

    alone = probability({**base, "medications": ["fenofibrate"]})
    assert probability({**base, "medications": ["fenofibrate"], "conditions": ["CKD stage 4"]}) > alone
    assert probability({**base, "medications": ["gemfibrozil", "simvastatin"]}) > probability(
        {**base, "medications": ["gemfibrozil"]}
    )


def test_a_normal_sodium_all_but_rules_hyponatraemia_out(assess):
    cramps = {"findings": ["muscle cramps"], "medications": ["bendroflumethiazide"]}
    low = assess({**cramps, "labs": [{"display": "Na", "value": 128, "unit": "mmol/L"}]})
    normal = assess({**cramps, "labs": [{"display": "Na", "value": 140, "unit": "mmol/L"}]})
    assert "hyponatremia" in ranked(low)[:2]
    entry = next((c for c in normal["differential"] if c["id"] == "hyponatremia"), None)
    assert entry is None or entry["probability"] < 0.01


def test_second_wind_separates_mcardle_from_cpt2(assess):
    attacks = {"patient": {"age": 25}, "findings": ["dark urine after exercise", "recurrent rhabdomyolysis"]}
    with_second_wind = ranked(assess({**attacks, "findings": [*attacks["findings"], "second wind"]}))
    with_fasting = ranked(assess({**attacks, "findings": [*attacks["findings"], "after fasting"]}))
    assert with_second_wind.index("mcardle_disease") < with_second_wind.index("cpt2_deficiency")
    assert with_fasting.index("cpt2_deficiency") < with_fasting.index("mcardle_disease")


@pytest.mark.parametrize(
    "text, concept",
    [
        ("fit and well", "seizure"),
        ("x-ray of the leg showed no fracture", "limb_fracture"),
        ("nuchal rigidity and photophobia", "lead_pipe_rigidity"),
        ("board-like rigid abdomen", "lead_pipe_rigidity"),
        ("since March, hot flushes", "exertion_in_heat"),
        ("workup for hot flushes", "exertion_in_heat"),
        ("after fast food", "fasting_trigger"),
        ("compartments soft, not tense", "tense_compartment"),
        ("compartment pressures not raised", "raised_compartment_pressure"),
        ("syncope with loss of consciousness", "reduced_consciousness"),
        ("ambient temperature 41", "core_temperature_40"),
    ],
)
def test_new_findings_are_not_read_into_look_alike_words(kb, text, concept):
    hits = [h for h in kb.terminology.concepts_in(text) if not h.negated]
    assert concept not in {h.id for h in hits}


@pytest.mark.parametrize(
    "text, concept",
    [
        ("had a fit", "seizure"),
        ("closed tib/fib # after MBK", "limb_fracture"),
        ("rigid ++ all limbs", "lead_pipe_rigidity"),
        ("running in hot weather", "exertion_in_heat"),
        ("previous episode after a 24 h fast", "fasting_trigger"),
        ("firm lower-leg compartments", "tense_compartment"),
        ("compartment pressure 45 mmHg", "raised_compartment_pressure"),
        ("T 40.1C", "core_temperature_40"),
        ("temp 104.2 F", "core_temperature_40"),
        ("missed Sinemet doses", "dopaminergic_withdrawal"),
        ("pain on passive ROM of toes", "pain_on_passive_stretch"),
        ("pain ++ unrelieved by morphine", "pain_out_of_proportion"),
    ],
)
def test_new_findings_are_read_as_clinicians_write_them(kb, text, concept):
    assert concept in {h.id for h in kb.terminology.concepts_in(text) if not h.negated}


def test_confirmatory_results_separate_mcardle_from_cpt2(assess):
    rhabdo = {"patient": {"age": 28, "sex": "male"}, "findings": ["recurrent rhabdomyolysis"]}
    glycolytic = ranked(assess({**rhabdo, "findings": [*rhabdo["findings"], "forearm exercise test: flat lactate"]}))
    fatty_acid = ranked(assess({**rhabdo, "findings": [*rhabdo["findings"], "raised C16 acylcarnitine"]}))
    assert glycolytic[:1] == ["mcardle_disease"]
    assert fatty_acid[:1] == ["cpt2_deficiency"]
