"""Card text: summaries that say what to do in under 140 characters, chart text escaped."""

from __future__ import annotations

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
