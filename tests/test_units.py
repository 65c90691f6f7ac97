"""Units: converted to each lab's canonical unit; unknown units never reach the score."""

from __future__ import annotations

import pytest

from spasmdx.rules.resolve import resolve
from spasmdx.rules.units import unit_key
from spasmdx.schemas.request import ContextSchema


def lab_value(kb, lab):
    resolution = resolve(kb, ContextSchema().load({"labs": [lab]}))
    return next(iter(resolution.facts.labs.values()))[0].value


@pytest.mark.parametrize(
    "lab,expected",
    [
        pytest.param({"display": "calcium", "value": 8.0, "unit": "mg/dL"}, 2.0, id="calcium-mg-dl"),
        pytest.param({"display": "calcium", "value": 2.0, "unit": "mmol/L"}, 2.0, id="calcium-mmol"),
        pytest.param({"display": "magnesium", "value": 1.7, "unit": "mg/dL"}, 0.70, id="magnesium-mg-dl"),
        pytest.param({"display": "magnesium", "value": 1.4, "unit": "mEq/L"}, 0.70, id="magnesium-meq"),
        pytest.param({"display": "potassium", "value": 3.2, "unit": "mEq/L"}, 3.2, id="potassium-meq"),
        pytest.param({"display": "phosphate", "value": 1.0, "unit": "mg/dL"}, 0.323, id="phosphate-mg-dl"),
        pytest.param({"display": "25-OH vitamin D", "value": 20, "unit": "ng/mL"}, 49.9, id="vitamin-d"),
        pytest.param({"display": "vitamin B12", "value": 200, "unit": "pg/mL"}, 147.6, id="b12"),
        pytest.param({"display": "TSH", "value": 2.0, "unit": "uIU/mL"}, 2.0, id="tsh-uiu"),
    ],
)
def test_values_convert_to_the_canonical_unit(kb, lab, expected):
    assert lab_value(kb, lab) == pytest.approx(expected, rel=0.01)


def test_reference_range_converts_with_its_value(kb):
    resolution = resolve(
        kb,
        ContextSchema().load(
            {
                "labs": [
                    {"display": "calcium", "value": 8.0, "unit": "mg/dL", "reference_range": {"low": 8.6, "high": 10.3}}
                ]
            }
        ),
    )
    result = resolution.facts.labs["calcium"][0]
    assert result.low == pytest.approx(2.146, rel=0.01) and result.high == pytest.approx(2.57, rel=0.01)


def test_sex_specific_default_range_is_used_without_a_given_range(kb):
    context = {"patient": {"sex": "female"}, "labs": [{"display": "CK", "value": 250, "unit": "U/L"}]}
    resolution = resolve(kb, ContextSchema().load(context))
    assert resolution.facts.labs["ck"][0].high == kb.labs["ck"].default_range("female").high


def test_unknown_unit_goes_to_unrecognized_not_the_score(kb, assess):
    result = assess({"labs": [{"display": "potassium", "value": 2.0, "unit": "mg/furlong"}]})
    assert result["differential"] == [] and result["alerts"] == []
    assert result["unrecognized"][0]["path"] == "labs[0].unit"


def test_mg_dl_calcium_is_not_compared_with_a_mmol_threshold(assess):
    # 9.5 mg/dL is normal; read as mmol/L it would be absurdly high, as 7.5 would be "low" in mmol/L terms.
    normal = assess({"labs": [{"display": "calcium", "value": 9.5, "unit": "mg/dL"}]})
    low = assess({"labs": [{"display": "calcium", "value": 7.0, "unit": "mg/dL"}]})
    assert "severe_hypocalcemia" not in {a["id"] for a in normal["alerts"]}
    assert "severe_hypocalcemia" in {a["id"] for a in low["alerts"]}


@pytest.mark.parametrize(
    "a,b",
    [
        ("mg/dL", "MG/DL"),
        ("µmol/L", "umol/L"),
        ("mcg/dL", "ug/dL"),
        ("[IU]/L", "IU/L"),
        ("ug/(24.h)", "ug/24h"),
        ("K/uL", "10*3/uL"),
    ],
)
def test_unit_spellings_fold_to_one_key(a, b):
    assert unit_key(a) == unit_key(b)
