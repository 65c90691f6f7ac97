"""Toxic syndromes, checkpoint myasthenia and tetany: each told apart by its cited criteria."""

from __future__ import annotations

import pytest


def temperature(value):
    return {"display": "Temperature", "value": value, "unit": "Cel"}


def ck(value):
    return {"display": "CK", "value": value, "unit": "U/L", "reference_range": {"high": 200}}


@pytest.fixture()
def alerts(assess):
    """Return the alert ids a context raises."""
    return lambda context: {a["id"] for a in assess(context)["alerts"]}


def probability(result, cause):
    return next((d["probability"] for d in result["differential"] if d["id"] == cause), 0.0)


def top(result):
    return result["differential"][0]["id"]


# Neuroleptic malignant syndrome against serotonin toxicity (Gurrera 2011; Dunkley 2003)

RIGID_SWEATING = ["rigid limbs, increased muscle tone throughout", "drenched in sweat", "coarse tremor of both hands"]


def test_a_stopped_dopamine_blocker_weighs_less_than_a_current_one(assess):
    findings = ["lead pipe rigidity", "confused"]
    labs = [temperature(39.1), ck(6000)]
    current = assess({"findings": findings, "medications": ["chlorpromazine 100 mg"], "labs": labs})
    stopped = assess(
        {"findings": findings, "medications": [{"display": "chlorpromazine", "status": "stopped"}], "labs": labs}
    )
    assert probability(current, "neuroleptic_malignant_syndrome") > probability(
        stopped, "neuroleptic_malignant_syndrome"
    )


def test_a_stopped_antipsychotic_raises_no_nms_alert_when_a_serotonergic_drug_is_current(assess, alerts):
    context = {
        "findings": RIGID_SWEATING,
        "medications": ["duloxetine 60 mg daily", {"display": "chlorpromazine", "status": "stopped"}],
        "labs": [ck(25000)],
    }
    assert "neuroleptic_malignant_syndrome" not in alerts(context)
    result = assess(context)
    assert probability(result, "serotonin_syndrome") > probability(result, "neuroleptic_malignant_syndrome")


def test_a_current_antipsychotic_with_the_same_picture_still_raises_nms(alerts):
    context = {"findings": RIGID_SWEATING, "medications": ["duloxetine 60 mg daily", "chlorpromazine 100 mg"]}
    context["labs"] = [ck(25000)]
    assert "neuroleptic_malignant_syndrome" in alerts(context)


def test_hunter_criteria_met_raise_serotonin_toxicity_instead_of_nms(alerts):
    context = {
        "findings": ["spontaneous clonus", "lead pipe rigidity", "agitated"],
        "medications": ["escitalopram 20 mg", "ondansetron", "droperidol"],
        "labs": [temperature(39.3), ck(1200)],
    }
    raised = alerts(context)
    assert "serotonin_toxicity" in raised
    assert "neuroleptic_malignant_syndrome" not in raised


def test_heat_explains_fever_ck_and_confusion_on_an_antipsychotic_without_rigidity(alerts):
    context = {
        "findings": ["roofer working in the heat all day", "disorientated"],
        "medications": ["aripiprazole 15 mg"],
        "labs": [temperature(40.9), ck(2400)],
    }
    raised = alerts(context)
    assert "heat_stroke" in raised
    assert "neuroleptic_malignant_syndrome" not in raised


def test_the_same_picture_without_heat_still_raises_nms(alerts):
    context = {"findings": ["disorientated"], "medications": ["aripiprazole 15 mg"]}
    context["labs"] = [temperature(39.4), ck(2400)]
    assert "neuroleptic_malignant_syndrome" in alerts(context)


@pytest.mark.parametrize(
    "finding",
    [
        {
            "display": "Other irregular eye movements",
            "code": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "H55.89"},
        },
        "involuntary eye movements",
        "abnormal eye movements noted",
    ],
    ids=["coded-h55.89", "involuntary", "abnormal"],
)
def test_irregular_eye_movements_on_a_serotonergic_drug_read_as_ocular_clonus(alerts, finding):
    context = {"findings": [finding, "diaphoretic"], "medications": ["escitalopram 10 mg"]}
    assert "serotonin_toxicity" in alerts(context)


def test_irregular_eye_movements_without_a_serotonergic_drug_raise_nothing(alerts):
    context = {"findings": ["involuntary eye movements", "diaphoretic"], "medications": ["lisinopril"]}
    assert "serotonin_toxicity" not in alerts(context)


def test_deficient_saccades_are_not_ocular_clonus(alerts):
    code = {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "H55.81"}
    context = {"findings": [{"display": "Deficient saccadic eye movements", "code": code}, "sweating"]}
    context["medications"] = ["escitalopram 10 mg"]
    assert "serotonin_toxicity" not in alerts(context)


def test_a_recently_stopped_maoi_adds_to_a_current_ssri(assess):
    findings = ["agitated", "sweating"]
    with_maoi = assess(
        {"findings": findings, "medications": ["citalopram 20 mg", {"display": "selegiline", "status": "completed"}]}
    )
    alone = assess({"findings": findings, "medications": ["citalopram 20 mg"]})
    assert probability(with_maoi, "serotonin_syndrome") > probability(alone, "serotonin_syndrome")


def test_a_surgical_condition_does_not_outrank_serotonin_toxicity_with_eye_signs(assess):
    result = assess(
        {
            "findings": ["agitated after anaesthesia", "roving eye movements", "tachycardic"],
            "medications": ["fluoxetine 20 mg", {"display": "linezolid", "status": "completed"}],
            "conditions": ["thyroidectomy yesterday"],
        }
    )
    assert top(result) == "serotonin_syndrome"


# Checkpoint-inhibitor myositis and myasthenia (Schneider 2021)


@pytest.mark.parametrize(
    "eyes, bulbar",
    [("drooping eyelids", "choking on liquids"), ("double vision", "short of breath"), ("ptosis", "dysarthria")],
)
def test_ocular_weakness_with_bulbar_or_breathing_trouble_raises_the_bulbar_alert(alerts, eyes, bulbar):
    context = {"findings": [eyes, bulbar, "tired all the time"], "medications": ["pembrolizumab"]}
    assert "bulbar_respiratory_weakness" in alerts(context)


def test_ptosis_alone_raises_no_bulbar_alert(alerts):
    assert "bulbar_respiratory_weakness" not in alerts({"findings": ["ptosis"], "medications": ["ipilimumab"]})


def test_breathlessness_weighs_for_checkpoint_myositis(assess):
    medications = ["ipilimumab and nivolumab"]
    breathless = assess({"findings": ["muscle weakness", "breathless at rest"], "medications": medications})
    not_breathless = assess({"findings": ["muscle weakness"], "medications": medications})
    assert top(breathless) == "checkpoint_inhibitor_myositis"
    assert probability(breathless, "checkpoint_inhibitor_myositis") > probability(
        not_breathless, "checkpoint_inhibitor_myositis"
    )


# Tetany: the warning to measure calcium stands only when no calcium result is known (Cooper 2008)


@pytest.mark.parametrize("words", ["U&E and calcium normal", "normocalcaemic", "electrolytes within normal limits"])
def test_tetany_with_a_calcium_reported_normal_in_words_asks_for_no_calcium(alerts, words):
    context = {"findings": ["carpopedal spasm", "breathing fast and deep", words]}
    raised = alerts(context)
    assert "tetany_check_calcium" not in raised
    assert "severe_hypocalcemia" not in raised


def test_tetany_with_no_calcium_result_still_asks_for_one(alerts):
    context = {"findings": ["carpopedal spasm", "respiratory alkalosis", "electrolytes pending"]}
    assert "tetany_check_calcium" in alerts(context)


def test_respiratory_alkalosis_is_read_as_hyperventilation(assess):
    result = assess({"findings": ["carpal spasm", "respiratory alkalosis on the gas"]})
    assert "hyperventilation_tetany" in {p["id"] for p in result["pitfalls"]}


@pytest.mark.parametrize("words", ["spasm of both hands and feet", "cramping in the hands and feet"])
def test_spasm_of_the_hands_and_feet_reads_as_carpopedal_spasm(alerts, words):
    assert "tetany_check_calcium" in alerts({"findings": [words]})


def test_a_calcium_reported_normal_in_words_argues_against_hypocalcaemia(assess):
    said_normal = assess({"findings": ["carpal spasm", "normocalcaemic"]})
    unknown = assess({"findings": ["carpal spasm"]})
    assert probability(said_normal, "hypocalcemia") < probability(unknown, "hypocalcemia")


def test_a_measured_low_calcium_outweighs_electrolytes_said_to_be_normal(assess):
    result = assess(
        {
            "findings": ["carpal spasm", "electrolytes normal"],
            "labs": [{"display": "Ca", "value": 1.7, "unit": "mmol/L"}],
        }
    )
    assert top(result) == "hypocalcemia"


@pytest.mark.parametrize(
    "reflexes, first",
    [("reflexes depressed, hyporeflexic", "neuroleptic_malignant_syndrome"), ("hyperreflexia", "serotonin_syndrome")],
    ids=["bradyreflexia-nms", "hyperreflexia-serotonin"],
)
def test_the_reflexes_tell_nms_from_serotonin_toxicity_when_both_drugs_are_current(assess, reflexes, first):
    context = {
        "findings": ["rigidity", "sweating", reflexes],
        "medications": ["trazodone", "sertraline 50 mg", "haloperidol 5 mg"],
        "labs": [temperature(38.7)],
    }
    result = assess(context)
    ranked = [
        d["id"] for d in result["differential"] if d["id"] in {"neuroleptic_malignant_syndrome", "serotonin_syndrome"}
    ]
    assert ranked[0] == first


def test_a_finished_course_of_a_dopamine_blocker_on_an_ssri_still_raises_nms_without_serotonergic_signs(alerts):
    context = {
        "findings": ["generalised lead pipe rigidity", "drowsy"],
        "medications": [{"display": "prochlorperazine", "status": "completed"}, "citalopram 20 mg"],
        "labs": [temperature(38.8), ck(3000)],
    }
    assert "neuroleptic_malignant_syndrome" in alerts(context)


@pytest.mark.parametrize(
    "medication, cause",
    [("fluphenazine", "neuroleptic_malignant_syndrome"), ("venlafaxine", "serotonin_syndrome")],
)
def test_a_measured_temperature_weighs_like_a_stated_fever(assess, medication, cause):
    findings = ["lead pipe rigidity", "sweating"]
    measured = assess({"findings": findings, "medications": [medication], "labs": [temperature(38.3)]})
    stated = assess({"findings": [*findings, "febrile"], "medications": [medication]})
    afebrile = assess({"findings": findings, "medications": [medication]})
    assert probability(measured, cause) == pytest.approx(probability(stated, cause), abs=0.02)
    assert probability(measured, cause) > probability(afebrile, cause)


def test_electrolytes_normal_apart_from_an_exception_is_not_a_normal_calcium(alerts):
    # "apart from calcium 1.7": the calcium is not normal, it is read as the measured 1.7 mmol/L it is.
    context = {"findings": ["carpopedal spasm", "normal electrolytes apart from calcium 1.7"]}
    assert "severe_hypocalcemia" in alerts(context)
    vague = {"findings": ["carpopedal spasm", "electrolytes normal apart from one"]}
    assert "tetany_check_calcium" in alerts(vague)


def test_an_old_droopy_eyelid_with_copd_breathlessness_raises_no_bulbar_alert(alerts):
    context = {"findings": ["left ptosis for years", "breathless on the stairs"], "conditions": ["COPD"]}
    assert "bulbar_respiratory_weakness" not in alerts(context)


def test_ptosis_with_breathlessness_in_myasthenia_raises_the_bulbar_alert(alerts):
    context = {"findings": ["bilateral ptosis", "breathless lying flat"], "conditions": ["myasthenia gravis"]}
    assert "bulbar_respiratory_weakness" in alerts(context)
