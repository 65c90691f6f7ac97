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


def test_summary_for_a_note_has_alerts_three_causes_pitfalls_version_and_request_id():
    import json
    from pathlib import Path

    from spasmdx.display import summary

    answer = json.loads((Path(__file__).parent / "data" / "summary_answer.json").read_text())
    text = summary(answer)
    lines = text.splitlines()
    assert lines[2:4] == ["Alerts:", lines[3]] and lines[3].startswith("- Critical: ")
    causes = [line for line in lines if line[:1].isdigit()]
    assert [line.split(": ")[0] for line in causes] == [f"{c['rank']}. {c['name']}" for c in answer["differential"][:3]]
    assert INDEPENDENCE_NOTE in lines and "Pitfalls:" in lines
    assert lines[-1] == f"Knowledge base {answer['knowledge_base']['version']}; request id {answer['request_id']}."
    assert "mIU/L" in text and "m[IU]/L" not in text  # units as a clinician writes them


@pytest.mark.parametrize(
    "text, shown",
    [
        ("TSH 8 m[IU]/L (1.9 x ULN)", "TSH 8 mIU/L (1.9 x ULN)"),
        ("temperature 38.0 Cel", "temperature 38 °C"),
        ("eGFR 50 mL/min/{1.73_m2}", "eGFR 50 mL/min/1.73 m²"),
        ("value 1000000000.0", "value 1000000000"),
        ("version 2026.11.0, 3.05", "version 2026.11.0, 3.05"),
    ],
)
def test_clinical_text_writes_units_and_whole_numbers_as_a_clinician_would(text, shown):
    from spasmdx.display import clinical_text

    assert clinical_text(text) == shown
