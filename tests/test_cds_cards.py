"""Card text: summaries that say what to do in under 140 characters, chart text escaped."""

from __future__ import annotations

import re

import pytest

from spasmdx.service.cds_cards import card_uuid, cards, clip_clauses, md, summarize


def test_every_alert_summary_fits_and_keeps_what_to_do(kb):
    for alert in kb.alerts.values():
        title = kb.name_of(alert.id)
        summary = summarize(alert.message, title)
        assert 0 < len(summary) < 140, alert.id
        lead, _, action = summary.partition(": ")
        assert lead and len(action) > 10, alert.id  # the action after the colon survives the cut
        assert not summary.endswith((",", ";", "(", ":")), alert.id


@pytest.mark.parametrize(
    "message,summary",
    [
        pytest.param("Short: do this.", "Short: do this.", id="fits-whole"),
        pytest.param(
            "K below 2.5: danger. Monitor, replace potassium, check magnesium and repeat the level in hours.",
            "K below 2.5: danger. Monitor, replace potassium, check magnesium and repeat the level in hours.",
            id="two-sentences-fit",
        ),
        pytest.param(
            "K below 2.5: danger ahead. Monitor closely, replace potassium, check magnesium and repeat the "
            "level within the next few hours to be sure that it rises.",
            "K below 2.5: danger ahead. Monitor closely, replace potassium",
            id="the-latest-break-when-no-strong-one-keeps-enough",
        ),
        pytest.param(
            "A very long trigger that names many conditions, each with its own qualifiers and exceptions "
            "(several): give the treatment now; then more advice that will not fit in the summary at all, "
            "because it goes on and on, and on, and on, and on and on.",
            "Title: give the treatment now; then more advice that will not fit in the summary at all, because "
            "it goes on and on, and on, and on",
            id="long-trigger-gives-way-to-the-title",
        ),
        pytest.param(
            "Calf pain: exclude a clot before calling it a cramp, always, in every single patient seen "
            "(Wells score, D-dimer, compression ultrasound, and more)",
            "Calf pain: exclude a clot before calling it a cramp, always, in every single patient seen",
            id="never-inside-parentheses",
        ),
    ],
)
def test_summaries_are_cut_at_clause_ends(message, summary):
    assert summarize(message, "Title") == summary


def test_text_without_breaks_is_clipped_with_an_ellipsis():
    clipped = clip_clauses("word " * 60, 0)
    assert len(clipped) < 140 and clipped.endswith("…")


def test_chart_text_is_escaped_for_markdown():
    assert md("*bold* <b>x</b> [link](y)\n# head") == r"\*bold\* \<b\>x\</b\> \[link\](y) \# head"


def test_no_assessment_no_cards_and_uuids_follow_the_hook_instance(kb):
    assert cards(kb, {"differential": [], "alerts": [], "pitfalls": [], "unrecognized": []}, [], "h") == []
    assert card_uuid("h1", "differential") == card_uuid("h1", "differential") != card_uuid("h2", "differential")


def _answer(assess, context, limit=10):
    return assess(context, limit=limit)


LINKED = {
    "findings": ["muscle cramps at night", "dark urine", "myalgia"],
    "medications": ["atorvastatin 40 mg"],
    "labs": [{"display": "CK", "value": 8000, "unit": "U/L", "reference_range": {"high": 200}}],
}


def test_the_differential_card_shows_honest_percentages_and_says_causes_can_coexist(kb, assess):
    from spasmdx.display import INDEPENDENCE_NOTE, percent

    result = _answer(assess, LINKED)
    card = next(c for c in cards(kb, result, [], "h") if c["source"]["topic"]["code"] == "differential")
    assert INDEPENDENCE_NOTE in card["detail"]
    top = result["differential"][0]
    assert f"**{top['name']}**: {percent(top['probability'])}" in card["detail"]
    assert f"{top['name']} {percent(top['probability'])}" in card["summary"]
    assert not re.search(r"\d\.\d+%", card["detail"])  # "4%" or "<1%", never "4.6%"


def test_causes_under_one_percent_are_one_also_considered_line_on_the_card(kb, assess):
    from spasmdx.display import split_minor

    twitches = {"findings": ["fasciculations", "muscle cramps", "eyelid twitching"], "patient": {"age": 30}}
    result = _answer(assess, twitches, limit=50)
    _, minor = split_minor(result["differential"])
    assert minor, "the case should list a cause under 1%"
    card = next(c for c in cards(kb, result, [], "h") if c["source"]["topic"]["code"] == "differential")
    line = next(ln for ln in card["detail"].splitlines() if ln.startswith("Also considered"))
    assert all(c["name"] in line for c in minor)
    assert all(f"**{c['name']}**" not in card["detail"] for c in minor)


def test_the_card_links_each_alert_and_its_cause_both_ways(kb, assess):
    result = _answer(assess, LINKED)
    rhabdo = next(c for c in result["differential"] if c["id"] == "rhabdomyolysis")
    made = cards(kb, result, [], "h")
    alert_card = next(c for c in made if c["source"]["topic"]["code"] == "rhabdomyolysis")
    assert f"Rhabdomyolysis (ranked {rhabdo['rank']}," in alert_card["detail"]
    differential = next(c for c in made if c["source"]["topic"]["code"] == "differential")
    assert "See alert: Rhabdomyolysis" in differential["detail"]
    assert "Established: CK over 10 x ULN" in differential["detail"]
