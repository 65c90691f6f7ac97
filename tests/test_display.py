"""How probabilities read on screen: whole from 10%, one figure below, "<1%" under 1%."""

from __future__ import annotations

import pytest
from display_cases import PERCENT_CASES

from spasmdx.display import INDEPENDENCE_NOTE, also_considered, percent, split_minor


@pytest.mark.parametrize("probability, shown", PERCENT_CASES, ids=[s for _, s in PERCENT_CASES])
def test_percent_shows_no_more_precision_than_the_model_has(probability, shown):
    assert percent(probability) == shown


def test_causes_under_one_percent_collapse_into_one_line_unless_an_alert_names_them():
    causes = [
        {"id": "a", "name": "A", "probability": 0.4},
        {"id": "b", "name": "B", "probability": 0.004},
        {"id": "c", "name": "C", "probability": 0.002, "alert_ids": ["x"]},
        {"id": "d", "name": "D", "probability": 0.0011},
    ]
    shown, minor = split_minor(causes)
    assert [c["id"] for c in shown] == ["a", "c"]
    assert also_considered(minor) == "Also considered (under 1% each): B, D."
    assert also_considered([]) == ""


def test_the_independence_note_says_the_percentages_do_not_add_up():
    assert "coexist" in INDEPENDENCE_NOTE and "100%" in INDEPENDENCE_NOTE
