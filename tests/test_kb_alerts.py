"""Issue 13's alerts: each reasons from its cited criteria, not from the example sentences."""

from __future__ import annotations

from datetime import date

import pytest
from cds import lab, searchset

from spasmdx.fhir import to_context

SERTRALINE = "sertraline 100 mg daily"


def temperature(value, unit="Cel"):
    return {
        "display": "Temperature",
        "value": value,
        "unit": unit,
        "code": {"system": "http://loinc.org", "code": "8310-5"},
    }


def calcium(value, unit="mmol/L"):
    return {"display": "Calcium", "value": value, "unit": unit}


def albumin(value, unit="g/L"):
    return {"display": "Albumin", "value": value, "unit": unit}


def ionised(value):
    return {"display": "Ionised calcium", "value": value, "unit": "mmol/L"}


@pytest.fixture()
def raised(assess):
    """Return the alert and pitfall ids a context raises."""

    def run(context):
        result = assess(context)
        return {a["id"] for a in result["alerts"]} | {p["id"] for p in result["pitfalls"]}

    return run


@pytest.mark.parametrize(
    "value, unit, above_38",
    [(38.5, "Cel", True), (38.0, "Cel", False), (100.4, "[degF]", False), (100.8, "[degF]", True), (39.2, "°C", True)],
)
def test_body_temperature_converts_fahrenheit_with_its_offset(raised, value, unit, above_38):
    context = {
        "medications": [SERTRALINE],
        "findings": ["rigidity", "inducible clonus"],
        "labs": [temperature(value, unit)],
    }
    assert ("serotonin_toxicity" in raised(context)) is above_38


def test_a_fhir_vital_sign_temperature_in_fahrenheit_reaches_the_hunter_criteria(assess):
    observation = lab("8310-5", "Body temperature", 102.0, "[degF]")
    context = to_context({"temperature": searchset(observation)}, date(2026, 11, 20)).context
    assert context["labs"][0]["unit"] == "[degF]"
    context = {**context, "medications": [SERTRALINE], "findings": ["rigidity", "inducible clonus"]}
    assert "serotonin_toxicity" in {a["id"] for a in assess(context)["alerts"]}


def test_a_body_temperature_in_an_unknown_unit_is_reported_not_guessed(assess):
    result = assess({"labs": [temperature(39, "K")]})
    assert [u["path"] for u in result["unrecognized"]] == ["labs[0].unit"]


class TestHypocalcaemia:
    def test_tetany_alone_asks_for_calcium_and_orders_nothing(self, raised):
        flags = raised({"findings": ["tetany"]})
        assert "tetany_check_calcium" in flags and "severe_hypocalcemia" not in flags

    def test_a_measured_calcium_ends_the_request_to_measure_it(self, raised):
        assert "tetany_check_calcium" not in raised({"findings": ["tetany"], "labs": [calcium(2.3), albumin(40)]})

    def test_a_normal_corrected_calcium_silences_the_symptomatic_order(self, raised):
        # Total 2.0 mmol/L is low, but with albumin 25 g/L the corrected value is 2.3 mmol/L.
        flags = raised({"findings": ["carpopedal spasm"], "labs": [calcium(2.0), albumin(25)]})
        assert "severe_hypocalcemia" not in flags

    def test_a_low_corrected_calcium_with_tetany_is_an_order(self, raised):
        assert "severe_hypocalcemia" in raised({"findings": ["carpopedal spasm"], "labs": [calcium(1.95), albumin(40)]})

    def test_a_severely_low_ionised_calcium_is_an_order_whatever_the_total(self, raised):
        assert "severe_hypocalcemia" in raised({"labs": [ionised(0.82), calcium(2.2), albumin(40)]})

    def test_hyperventilation_tetany_with_normal_calcium_is_a_pitfall_not_an_alert(self, raised):
        flags = raised({"findings": ["carpopedal spasm", "hyperventilating"], "labs": [calcium(2.35), albumin(42)]})
        assert "hyperventilation_tetany" in flags
        assert not flags & {"severe_hypocalcemia", "tetany_check_calcium"}

    def test_the_hyperventilation_pitfall_yields_to_a_measured_low_calcium(self, raised):
        flags = raised({"findings": ["carpopedal spasm", "anxious"], "labs": [calcium(1.7), albumin(40)]})
        assert "hyperventilation_tetany" not in flags and "severe_hypocalcemia" in flags


class TestSerotoninToxicity:
    @pytest.mark.parametrize(
        "findings",
        [
            ["spontaneous clonus"],
            ["inducible clonus", "agitated"],
            ["ocular clonus", "diaphoretic"],
            ["tremor", "brisk reflexes"],
            ["lead pipe rigidity", "ankle clonus", "febrile"],
        ],
        ids=[
            "spontaneous-clonus",
            "inducible-agitation",
            "ocular-sweating",
            "tremor-hyperreflexia",
            "hypertonia-fever",
        ],
    )
    def test_each_hunter_rule_alone_raises_it(self, raised, findings):
        assert "serotonin_toxicity" in raised({"medications": [SERTRALINE], "findings": findings})

    @pytest.mark.parametrize(
        "findings",
        [
            ["agitation"],
            ["ankle clonus"],
            ["tremor"],
            ["rigidity", "ankle clonus"],
            ["fever", "agitation", "twitching"],
        ],
    )
    def test_a_part_of_a_rule_does_not(self, raised, findings):
        assert "serotonin_toxicity" not in raised({"medications": [SERTRALINE], "findings": findings})

    def test_a_measured_temperature_overrides_a_stated_fever(self, raised):
        context = {
            "medications": [SERTRALINE],
            "findings": ["rigidity", "ankle clonus", "fever"],
            "labs": [temperature(37.6)],
        }
        assert "serotonin_toxicity" not in raised(context)

    @pytest.mark.parametrize("condition", ["multiple sclerosis", "stroke", "spinal cord injury"])
    def test_no_comorbidity_silences_it(self, raised, condition):
        context = {
            "conditions": [condition],
            "medications": [SERTRALINE, "linezolid"],
            "findings": ["clonus", "agitation"],
        }
        assert "serotonin_toxicity" in raised(context)

    @pytest.mark.parametrize("drug", ["linezolid 600 mg", "methylene blue 1 mg/kg IV", "tramadol 50 mg"])
    def test_linezolid_and_methylene_blue_count_as_serotonergic(self, raised, drug):
        assert "serotonin_toxicity" in raised({"medications": [drug], "findings": ["spontaneous clonus"]})


class TestTetanus:
    def test_trismus_without_a_wound_raises_it(self, raised):
        assert "tetanus_suspected" in raised({"findings": ["trismus"]})

    def test_an_acute_dystonic_reaction_after_a_dopamine_blocker_is_silent(self, raised):
        context = {"medications": ["haloperidol 5 mg IM"], "findings": ["trismus", "torticollis"]}
        assert "tetanus_suspected" not in raised(context)

    def test_a_wound_brings_it_back_even_beside_a_dystonia_mimic(self, raised):
        context = {
            "medications": ["haloperidol 5 mg IM"],
            "findings": ["trismus", "torticollis", "contaminated wound of the foot"],
        }
        assert "tetanus_suspected" in raised(context)

    def test_generalised_spasms_alone_need_a_wound_or_missing_vaccination(self, raised):
        assert "tetanus_suspected" not in raised({"findings": ["generalised spasms"]})
        assert "tetanus_suspected" in raised({"findings": ["generalised spasms", "unvaccinated"]})


class TestNewAlerts:
    def test_bulbar_signs_without_limb_weakness(self, raised):
        flags = raised({"findings": ["tongue fasciculations", "choking on liquids"]})
        assert "bulbar_motor_neuron_signs" in flags and "bulbar_respiratory_weakness" not in flags

    def test_each_new_alert_names_its_cause(self, assess):
        result = assess({"labs": [{"display": "Phosphate", "value": 0.25, "unit": "mmol/L"}]})
        alert = next(a for a in result["alerts"] if a["id"] == "severe_hypophosphatemia")
        assert "hypophosphatemia" in alert["cause_ids"] and alert["references"]

    @pytest.mark.parametrize(
        "magnesium, findings, expected",
        [
            (0.35, [], True),
            (0.45, ["Trousseau sign"], True),
            (0.45, ["QTc 520 ms"], True),
            (0.45, ["tremor"], False),
            (0.55, ["tetany"], False),
        ],
    )
    def test_severe_hypomagnesaemia_thresholds(self, raised, magnesium, findings, expected):
        context = {"findings": findings, "labs": [{"display": "Magnesium", "value": magnesium, "unit": "mmol/L"}]}
        assert ("severe_hypomagnesemia" in raised(context)) is expected

    @pytest.mark.parametrize(
        "total, findings, expected",
        [(3.6, [], True), (3.1, ["drowsy"], True), (3.1, [], False), (2.9, ["confused"], False)],
    )
    def test_severe_hypercalcaemia_thresholds(self, raised, total, findings, expected):
        context = {"findings": findings, "labs": [calcium(total), albumin(40)]}
        assert ("severe_hypercalcemia" in raised(context)) is expected

    def test_cauda_equina_needs_more_than_neurogenic_claudication(self, raised):
        stenosis = {
            "conditions": ["lumbar spinal stenosis"],
            "findings": ["back pain", "bilateral leg pain on walking"],
        }
        assert "cauda_equina" not in raised(stenosis)
        assert "cauda_equina" in raised({**stenosis, "findings": [*stenosis["findings"], "new urinary incontinence"]})

    def test_giant_cell_arteritis_needs_age_50_but_not_a_recorded_age(self, raised):
        findings = {"findings": ["jaw claudication"]}
        assert "giant_cell_arteritis" in raised(findings)
        assert "giant_cell_arteritis" in raised({**findings, "patient": {"age": 50}})
        assert "giant_cell_arteritis" not in raised({**findings, "patient": {"age": 45}})
