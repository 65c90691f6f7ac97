"""The worked example cases: the first slice's must rank their cause in the top 3."""

from __future__ import annotations

import pytest
from conftest import VIGNETTES, read_cases

CASES = read_cases(VIGNETTES)
# Causes of the first knowledge slice (issue 2); the rest of the catalogue comes later.
SLICE = {
    "statin_myopathy",
    "statin_imnm",
    "steroid_myopathy",
    "checkpoint_inhibitor_myositis",
    "hypokalemia",
    "hypomagnesemia",
    "hypocalcemia",
    "hypothyroid_myopathy",
    "ms_spasticity",
    "als",
    "benign_fasciculation_syndrome",
    "peripheral_artery_disease",
    "inflammatory_myositis",
    "rhabdomyolysis",
    "nocturnal_leg_cramps",
    "benign_twitch_triggers",
}


def top3(result):
    return [c["id"] for c in result["differential"][:3]]


def in_slice(case):
    return bool(set(case["expect"]["top3_any"]) & SLICE)


@pytest.mark.parametrize("case", [c for c in CASES if in_slice(c)], ids=lambda c: c["id"])
def test_slice_vignette_ranks_its_cause_in_top3_and_raises_its_alerts(assess, case):
    result = assess(case["context"])
    expect = case["expect"]
    assert set(top3(result)) & set(expect["top3_any"]), f"top 3 was {top3(result)}"
    raised = {a["id"] for a in result["alerts"]}
    assert set(expect["alerts"]) <= raised
    assert not raised & set(expect.get("absent_alerts", []))
    assert set(expect["pitfalls"]) <= {p["id"] for p in result["pitfalls"]}


def test_report_how_many_public_vignettes_pass(assess, capsys):
    passed = [c["id"] for c in CASES if set(top3(assess(c["context"]))) & set(c["expect"]["top3_any"])]
    with capsys.disabled():
        print(f"\npublic vignettes with an expected cause in the top 3: {len(passed)}/{len(CASES)}")
    assert CASES, "the public vignettes are missing"
