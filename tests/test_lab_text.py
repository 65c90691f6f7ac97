"""Lab results written inside findings and conditions are read as lab results, with the lab's units and range."""

from __future__ import annotations

import math

import pytest

from spasmdx.rules.facts import Facts, LabResult, Mention
from spasmdx.rules.lab_is import LabIs
from spasmdx.rules.predicates import Bounds
from spasmdx.rules.resolve import resolve as resolve_loaded
from spasmdx.schemas.request import ContextSchema


def resolve(kb, context):
    return resolve_loaded(kb, ContextSchema().load(context))


def _labs(kb, text, section="findings", sex=None):
    context = {"patient": {"sex": sex}, section: [text]} if sex else {section: [text]}
    out = resolve(kb, context)
    return out.facts.labs, out.unrecognized


@pytest.mark.parametrize(
    "text, lab, value",
    [
        ("CK 18,824 u/l", "ck", 18824),
        ("creatine kinase of 12000", "ck", 12000),
        ("CPK level of 4,500 IU/L on admission", "ck", 4500),
        ("K+ 2.9 mmol/L", "potassium", 2.9),
        ("potassium 2.9", "potassium", 2.9),
        ("serum potassium was 2.4 mEq/L", "potassium", 2.4),
        ("Mg 0.4", "magnesium", 0.4),
        ("Mg 0.9 mg/dL", "magnesium", 0.9 * 0.4114),
        ("Ca 7.1 mg/dL", "calcium", 7.1 * 0.2495),
        ("Ca 6.8", "calcium", 6.8 * 0.2495),  # no unit: mg/dL is the one that reads plausibly
        ("Na 118", "sodium", 118),
        ("sodium 121 mmol/l, vomiting", "sodium", 121),
        ("temp 40.1C, rigid", "body_temperature", 40.1),
        ("temperature 104 F", "body_temperature", 40.0),
        ("glucose 90", "glucose", 90 * 0.0555),
        ("D-dimer 2.4 mg/L FEU", "d_dimer", 2.4),
        ("CK 12 x ULN", "ck", 12 * 308),
        ("CK peaked at 45k", "ck", 45000),
        ("T 39.8", "body_temperature", 39.8),
        ("Creatine kinase (CK) 2,300", "ck", 2300),
    ],
)
def test_a_written_value_is_read_in_the_labs_canonical_unit(kb, text, lab, value):
    labs, unrecognized = _labs(kb, text)
    assert labs[lab][0].value == pytest.approx(value, rel=1e-3)
    assert labs[lab][0].mention.path == "findings[0]"
    assert not [u for u in unrecognized if u["path"] == "findings[0]" and lab in u.get("reason", "")]


@pytest.mark.parametrize(
    "text, lab, status",
    [
        ("CK raised", "ck", "high"),
        ("CPK elevated", "ck", "high"),
        ("ck high", "ck", "high"),
        ("markedly raised CK", "ck", "high"),
        ("CK normal", "ck", "normal"),
        ("CK nml", "ck", "normal"),
        ("CK wnl", "ck", "normal"),
        ("B12 low", "vitamin_b12", "low"),
        ("CPK and LDH raised", "ldh", "high"),
        ("CPK and LDH raised", "ck", "high"),
        ("CK not raised", "ck", "normal"),
    ],
)
def test_a_result_written_without_a_value_is_read_as_its_status(kb, text, lab, status):
    labs, _ = _labs(kb, text)
    result = labs[lab][0]
    assert result.status == status and math.isnan(result.value)
    assert "no value" in result.mention.input


@pytest.mark.parametrize(
    "text",
    [
        "atorvastatin 40 mg 2x daily",  # a dose unit is not magnesium
        "he got 2 doses of the vaccine",  # "got" is not AST
        "CK 3 days ago",  # a time is not a result
        "anti-HMGCR antibody positive",  # an antibody against an enzyme is not the enzyme
        "low potassium",  # the concept vocabulary owns this phrase (hypokalaemia)
        "t 40 minutes later",  # a lower-case "t" is not a temperature
    ],
)
def test_words_that_look_like_a_result_are_not_read_as_one(kb, text):
    labs, _ = _labs(kb, text)
    assert not labs


@pytest.mark.parametrize("text", ["Mg 1.2", "phosphate 2.0"])
def test_a_bare_number_that_reads_both_high_and_low_is_listed_not_guessed(kb, text):
    labs, unrecognized = _labs(kb, text)
    assert not labs
    assert any("give the unit" in u["reason"] for u in unrecognized)


def test_an_unknown_unit_is_listed_with_its_path(kb):
    labs, unrecognized = _labs(kb, "K 2.9 mg")
    assert not labs
    assert [u["path"] for u in unrecognized if "unit not known" in u["reason"]] == ["findings[0]"]


def test_an_earlier_result_is_not_used_as_the_current_one(kb):
    labs, unrecognized = _labs(kb, "creatinine 95 umol/L before the infusion; CK 900 U/L today")
    assert "creatinine" not in labs and labs["ck"][0].value == 900
    assert any("earlier result" in u["reason"] for u in unrecognized)


def test_a_result_in_a_condition_is_read_too(kb):
    labs, _ = _labs(kb, "hyponatraemia, Na 119 on admission", section="conditions")
    assert labs["sodium"][0].value == 119


def test_a_written_result_takes_the_default_range_for_the_patients_sex(kb):
    labs, _ = _labs(kb, "CK 900", sex="female")
    assert labs["ck"][0].high == 192


def test_a_sent_result_comes_before_a_written_one(kb):
    context = {"findings": ["Cr 95 umol/L"], "labs": [{"display": "Creatinine", "value": 214, "unit": "umol/L"}]}
    assert resolve(kb, context).facts.labs["creatinine"][0].value == 214


def _reported(status):
    return LabResult("ck", math.nan, 26.0, 308.0, Mention("CK", "findings[0]"), status)


@pytest.mark.parametrize(
    "status, predicate, truth",
    [
        ("high", LabIs("ck", status="high"), True),
        ("high", LabIs("ck", status="abnormal"), True),
        ("high", LabIs("ck", uln=Bounds(min=1)), True),
        ("high", LabIs("ck", uln=Bounds(max=1)), False),
        ("high", LabIs("ck", uln=Bounds(min=10)), None),  # raised, but by how much is not said
        ("high", LabIs("ck", uln=Bounds(min=2, max=5)), None),
        ("normal", LabIs("ck", status="normal"), True),
        ("normal", LabIs("ck", uln=Bounds(max=1)), True),
        ("normal", LabIs("ck", uln=Bounds(min=4)), False),
        ("normal", LabIs("ck", bounds=Bounds(min=1000)), False),
        ("low", LabIs("ck", status="high"), False),
    ],
)
def test_a_reported_status_settles_only_the_ranges_it_implies(status, predicate, truth):
    facts = Facts()
    facts.labs["ck"] = [_reported(status)]
    assert predicate.evaluate(facts)[0] is truth


def test_a_free_text_ck_reaches_the_differential_with_its_path(assess):
    answer = assess({"patient": {"age": 45, "sex": "male"}, "findings": ["proximal weakness", "CK 15,000 u/l"]})
    shown = [e for d in answer["differential"] for e in d["evidence"] if e["input"].startswith("CK 15,000")]
    assert shown and "x ULN" in shown[0]["input"]
    assert not [u for u in answer["unrecognized"] if u["input"].startswith("CK")]


def test_a_raised_ck_without_a_value_argues_against_steroid_myopathy(assess):
    base = {"findings": ["proximal muscle weakness"], "medications": ["prednisolone 40 mg daily"]}
    raised = {**base, "findings": [*base["findings"], "CPK raised"]}

    def steroid(answer):
        return next(d["probability"] for d in answer["differential"] if d["id"] == "steroid_myopathy")

    assert steroid(assess(raised)) < steroid(assess(base))


@pytest.mark.parametrize("text", ["air temperature 31.6 C", "ambient temperature 38 C", "water temperature 12 C"])
def test_the_temperature_of_the_surroundings_is_not_the_patients(kb, text):
    facts = resolve(kb, ContextSchema().load({"findings": [text]})).facts
    assert "body_temperature" not in facts.labs
