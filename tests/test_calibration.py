"""Calibration: the measurement (reliability, ECE, Brier), the fit, and how evidence of one family combines."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import pytest

from spasmdx.calibration import calibration, render
from spasmdx.cli.main import main
from spasmdx.evaluation import CaseResult
from spasmdx.rules.engine import assess as run
from spasmdx.rules.model import FAMILY_DAMPING, Calibration
from spasmdx.schemas.request import ContextSchema

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import calibrate  # noqa: E402


def case(listed):
    return CaseResult("x", [], [], set(), set(), [], [], [], [], [], [], [], listed=listed)


def test_a_perfectly_calibrated_set_has_no_calibration_error():
    cases = [case([("a", 0.45, i < 9)]) for i in range(20)] + [case([("b", 0.05, i < 1)]) for i in range(20)]
    result = calibration(cases)
    assert result.predictions == 40
    # 0.45 shown, 9/20 accepted; 0.05 shown, 1/20 accepted: no gap anywhere
    assert result.ece == pytest.approx(0.0, abs=1e-9)
    assert result.brier == pytest.approx((9 * 0.55**2 + 11 * 0.45**2 + 1 * 0.95**2 + 19 * 0.05**2) / 40)
    assert result.top1_mean_probability == pytest.approx(0.25)
    assert result.top1_accuracy == pytest.approx(10 / 40)


def test_an_overconfident_set_shows_its_gap_in_the_table():
    cases = [case([("a", 0.95, i < 5)]) for i in range(10)]
    result = calibration(cases)
    assert result.ece == pytest.approx(0.45)
    assert result.top1_gap == pytest.approx(0.45)
    text = render(result)
    assert "90%-100%" in text and "95.0%" in text and "50.0%" in text
    assert "expected calibration error 0.450" in text


def test_a_probability_of_one_is_counted_in_the_last_bin():
    result = calibration([case([("a", 1.0, True)])])
    assert result.bins[-1].count == 1


def test_the_fit_recovers_a_known_logistic_map():
    # Observations drawn exactly at their expected frequencies from p = sigmoid(2x + 1).
    data = []
    for x10 in range(-40, 41, 5):
        x = x10 / 10
        p = 1 / (1 + math.exp(-(2 * x + 1)))
        accepted = round(p * 200)
        data += [(x, True)] * accepted + [(x, False)] * (200 - accepted)
    fitted = calibrate.fit(data)
    assert fitted.slope == pytest.approx(2, abs=0.05)
    assert fitted.intercept == pytest.approx(1, abs=0.05)


def test_the_stored_calibration_is_what_the_engine_applies(kb):
    raw = dataclasses.replace(kb, calibration=Calibration())
    schema = ContextSchema()
    context = schema.load(
        {
            "medications": [{"display": "atorvastatin 40 mg daily", "status": "active"}],
            "findings": ["myalgia", "cramps"],
        }
    )
    naive = {c["id"]: c["probability"] for c in run(raw, context, limit=50)["differential"]}
    shown = {c["id"]: c["probability"] for c in run(kb, context, limit=50)["differential"]}
    assert set(naive) == set(shown) and len(naive) > 1
    expected = dict(zip(naive, kb.calibration.apply(list(naive.values())), strict=True))
    assert shown == pytest.approx(expected, abs=2e-4)  # the naive scores are rounded to 4 places here


def test_conditioning_on_an_explanation_keeps_the_order_and_lifts_a_lone_weak_cause():
    fit = Calibration(1.0, 0.0, unlisted=0.3)
    shown = fit.apply([0.2, 0.1, 0.01])
    assert shown[0] > shown[1] > shown[2]
    assert shown[0] > 0.2 and shown[0] < 1  # someone explains the complaint, but maybe none of these
    assert Calibration().apply([0.2, 0.1]) == [0.2, 0.1]  # the identity changes nothing
    strong = fit.apply([0.95])[0]
    assert 0.95 < strong < 0.99  # a cause already near certain moves little


def test_the_stored_calibration_meets_its_targets_on_every_worked_case(kb):
    from test_evaluation import ALL_CASES

    from spasmdx.evaluation import evaluate

    result = calibration(evaluate(kb, ALL_CASES).cases)
    assert result.ece <= 0.05, render(result)
    assert abs(result.top1_gap) <= 0.10, render(result)


def _rhabdo(kb, context):
    schema = ContextSchema()
    return next(c for c in run(kb, schema.load(context))["differential"] if c["id"] == "rhabdomyolysis")


def test_a_second_rule_of_one_family_counts_at_a_fraction_of_its_weight(kb):
    cause = kb.causes["rhabdomyolysis"]
    tagged = [r for r in cause.evidence if r.family]
    if len(tagged) < 2:
        pytest.fail("rhabdomyolysis should tag CK, dark urine and myoglobin as one family")
    context = {
        "findings": ["dark urine"],
        "labs": [{"display": "CK", "value": 9000, "unit": "U/L", "reference_range": {"high": 200}}],
    }
    entry = _rhabdo(kb, context)
    damped = [e for e in entry["evidence"] if "counted at" in e["reason"]]
    assert damped, entry["evidence"]
    full = dataclasses.replace(cause, evidence=tuple(dataclasses.replace(r, family=None) for r in cause.evidence))
    undamped = dataclasses.replace(kb, causes={**kb.causes, "rhabdomyolysis": full})
    plain = _rhabdo(undamped, context)
    assert entry["probability"] < plain["probability"]
    weights = {e["reason"].split(" (counted at")[0]: e["weight"] for e in entry["evidence"]}
    for e in plain["evidence"]:
        if any(d["reason"].startswith(e["reason"]) for d in damped):
            assert weights[e["reason"]] == pytest.approx(e["weight"] * FAMILY_DAMPING, abs=0.01)


def test_eval_prints_the_calibration_table(capsys):
    assert main(["eval", "--calibration", str(ROOT / "tests/data/vignettes/public.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "expected calibration error" in out and "Brier score" in out and "top-1 mean probability" in out
