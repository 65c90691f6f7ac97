"""The worked cases, public and our own: the results are held as a floor."""

from __future__ import annotations

import pytest
from conftest import CASES, VIGNETTES

from spasmdx.evaluation import evaluate, read_cases

# The holdout set was written blind (never tuned against before its first measurement, which the
# issue notes record); it now counts toward the floors like the rest.
FILES = [VIGNETTES, *sorted(CASES.glob("*.jsonl")), *sorted((CASES.parent / "holdout").glob("*.jsonl"))]
ALL_CASES = read_cases(FILES)
CRITICAL = {
    "checkpoint_myocarditis",
    "rhabdomyolysis",
    "severe_hypokalemia",
    "severe_hypocalcemia",
    "bulbar_respiratory_weakness",
    "serotonin_toxicity",
    "tetanus_suspected",
}
# Floors: raise them as the knowledge base improves, never lower them to let a change through.
TOP3_FLOOR = 0.98  # issue 13: top-3 at least 98% and top-1 at least 90% on the worked cases
TOP1_FLOOR = 0.90


@pytest.fixture(scope="module")
def report(kb):
    return evaluate(kb, ALL_CASES)


def test_cases_are_well_formed(kb):
    ids = [case["id"] for case in ALL_CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len([c for c in ALL_CASES if c["id"].startswith("C")]) >= 40, "fewer than 40 cases of our own"
    for case in ALL_CASES:
        expect = case["expect"]
        assert set(expect["top3_any"]) <= set(kb.causes), case["id"]
        assert set(expect.get("top1_any", [])) <= set(expect["top3_any"]) | set(kb.causes), case["id"]
        assert set(expect["alerts"]) | set(expect.get("absent_alerts", [])) <= set(kb.alerts), case["id"]
        assert set(expect["pitfalls"]) <= set(kb.pitfalls), case["id"]
        assert case.get("source"), f"{case['id']} has no source"


def test_top3_and_top1_stay_above_their_floors(report):
    summary = report.summary()
    misses = [c.id for c in report.cases if not c.top3_ok]
    assert summary["top3"] >= TOP3_FLOOR, f"top-3 {summary['top3']:.0%}; misses: {misses}"
    wrong_first = [c.id for c in report.cases if c.top1_ok is False]
    assert summary["top1"] >= TOP1_FLOOR, f"top-1 {summary['top1']:.0%}; wrong at rank 1: {wrong_first}"


@pytest.mark.parametrize("case_id", [c["id"] for c in ALL_CASES])
def test_every_expected_alert_is_raised_and_no_forbidden_one(report, case_id):
    case = next(c for c in report.cases if c.id == case_id)
    assert not case.missing_alerts, f"not raised: {case.missing_alerts}"
    assert not case.forbidden_alerts, f"raised though forbidden: {case.forbidden_alerts}"


def test_no_critical_alert_on_a_benign_case(report):
    benign = [c for c in ALL_CASES if set(c["expect"].get("absent_alerts", [])) >= CRITICAL]
    assert benign, "no benign cases"
    # A case that expects a critical alert of its own (giant cell arteritis with none of the others)
    # is not benign: only a critical alert it does not expect counts against it.
    raised = {
        c.id: sorted(set(c.critical) - c.expected_alerts)
        for c in report.cases
        if c.id in {b["id"] for b in benign} and set(c.critical) - c.expected_alerts
    }
    assert raised == {}


def test_pitfall_recall_is_complete(report):
    missing = {c.id: c.missing_pitfalls for c in report.cases if c.missing_pitfalls}
    assert report.summary()["pitfall_recall"] >= 0.9, missing
