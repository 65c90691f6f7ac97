"""Word order does not decide what a text names: "X of the right Y" reads as "right Y X"."""

from __future__ import annotations

import pytest

from spasmdx.rules.matching import Matcher


@pytest.fixture(scope="module")
def named(kb):
    """Return {concept: negated} for the concepts a finding's text names."""
    return lambda text: {hit.id: hit.negated for hit in kb.terminology.concepts_in(text)}


@pytest.mark.parametrize(
    "text, concept",
    [
        ("swelling of right calf", "unilateral_calf_swelling"),
        ("swelling of the left calf", "unilateral_calf_swelling"),
        ("swelling of the r calf", "unilateral_calf_swelling"),
        ("calf swelling on the right", "unilateral_calf_swelling"),
        ("right-sided calf swelling", "unilateral_calf_swelling"),
        ("swelling of the calf", "calf_swelling"),
        ("pain in the right calf", "unilateral_calf_pain"),
        ("tenderness of the left calf", "unilateral_calf_pain"),
        ("swelling of both legs", "bilateral_leg_swelling"),
        ("swelling of both calves", "bilateral_leg_swelling"),
        ("loss of weight over 3 months", "weight_loss"),
        ("cramps at night", "nocturnal_cramps"),
        ("stiffness of the muscles", "muscle_stiffness"),
        ("weakness of the proximal muscles", "proximal_weakness"),
        ("pain in the lower back", "back_pain"),
        ("fasciculations of the tongue", "tongue_fasciculations"),
        ("twitching of the tongue", "tongue_fasciculations"),
        ("tenderness of the scalp", "cranial_arteritis_symptoms"),
        ("headache of new onset", "new_headache"),
    ],
)
def test_a_reordered_phrase_names_the_same_concept(named, text, concept):
    assert named(text).get(concept) is False


@pytest.mark.parametrize(
    "text, concept",
    [
        ("no swelling of the right calf", "unilateral_calf_swelling"),
        ("denies pain in the left calf", "unilateral_calf_pain"),
        ("swelling of the right calf: none", "unilateral_calf_swelling"),
        ("calf swelling on the right ruled out", "unilateral_calf_swelling"),
        ("no loss of weight", "weight_loss"),
    ],
)
def test_negation_still_applies_to_a_reordered_phrase(named, text, concept):
    assert named(text).get(concept) is True


@pytest.mark.parametrize(
    "text, concept",
    [
        # The side belongs to the knee, not to the calf.
        ("calf swelling, right knee pain", "unilateral_calf_swelling"),
        # The back of the knee is not the patient's back.
        ("pain in the back of the knee", "back_pain"),
        # A relative's swelling is not the patient's.
        ("family history of swelling of the right calf", "unilateral_calf_swelling"),
        # Two sides in one clause: neither is taken for a phrase written without one.
        ("calf swelling, left and right", "unilateral_calf_swelling"),
    ],
)
def test_reordering_makes_no_false_match(named, text, concept):
    assert concept not in named(text)


def test_a_side_in_the_middle_of_a_phrase_is_indexed_first():
    matcher = Matcher({"swollen left calf": ["x"]})
    assert [hit.id for hit in matcher.find("left swollen calf")] == ["x"]
    assert [hit.id for hit in matcher.find("calf swollen on the left")] == []  # no phrase "calf swollen"


def test_word_order_variants_need_no_listed_synonym():
    matcher = Matcher({"thigh bruising": ["bruise"], "right thigh bruising": ["side"]})
    assert {hit.id for hit in matcher.find("bruising of the right thigh")} == {"bruise", "side"}
    assert {hit.id for hit in matcher.find("thigh bruising on the right side")} == {"bruise", "side"}
    assert {hit.id for hit in matcher.find("right sided thigh bruising")} == {"bruise", "side"}


def test_the_dvt_alert_does_not_depend_on_word_order(assess):
    for text in ("swelling of right calf", "right calf swelling", "calf swelling on the right"):
        context = {"findings": [text, "knee arthroscopy one week ago"], "patient": {"age": 54}}
        assert "possible_dvt" in {a["id"] for a in assess(context)["alerts"]}, text
