"""Neurological ranking: common causes put in play by a shared finding lose weight on the features
that argue against them, and the specific causes gain from the features that define them."""

from __future__ import annotations

import pytest
from conftest import ranked

# The naive score (conftest.assess): these tests weigh evidence against evidence.
WEIGHS_EVIDENCE = True

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


def by_id(result, cause_id):
    return next((c for c in result["differential"] if c["id"] == cause_id), None)


def alert_ids(result) -> set[str]:
    return {a["id"] for a in result["alerts"]}


# --------------------------------------------------------------------------- bulbar signs and benign twitching

BULBAR_TWITCHING = [
    pytest.param(
        {"patient": {"age": 55, "sex": "female"}, "findings": ["fasciculations of the tongue", "speech is slurred"]},
        id="tongue-and-slurred-speech",
    ),
    pytest.param(
        {
            "patient": {"age": 47, "sex": "male"},
            "findings": ["twitching of the tongue for 3 months", "choking on liquids", "nasal speech"],
        },
        id="choking-and-nasal-speech",
    ),
]


@pytest.mark.parametrize("context", BULBAR_TWITCHING)
def test_bulbar_weakness_with_fasciculations_ranks_als_above_benign_twitching(assess, context):
    result = assess(context, limit=20)
    order = ranked(result)
    assert order[0] == "als"
    for benign in ("benign_fasciculation_syndrome", "benign_twitch_triggers", "cramp_fasciculation_syndrome"):
        if benign in order:
            assert order.index(benign) > order.index("als")
    assert "bulbar_motor_neuron_signs" in alert_ids(result)


def test_benign_fasciculations_with_normal_speech_and_swallowing_stay_benign(assess):
    result = assess(
        {
            "patient": {"age": 31, "sex": "male"},
            "findings": ["calf fasciculations for months", {"display": "muscle weakness", "present": False}],
        }
    )
    assert ranked(result)[0] == "benign_fasciculation_syndrome"


def test_slurred_speech_and_swallowing_difficulty_with_weakness_raise_the_bulbar_warning(assess):
    result = assess(
        {
            "patient": {"age": 68, "sex": "female"},
            "findings": ["weak voice and slurred speech", "swallowing is difficult", "arm weakness"],
        }
    )
    assert "bulbar_motor_neuron_signs" in alert_ids(result)
    assert "als" in ranked(result)[:3]


@pytest.mark.parametrize(
    "extra",
    [{"conditions": ["stroke"]}, {"findings": ["ptosis"]}],
    ids=["after-a-stroke", "with-ptosis"],
)
def test_a_bulbar_palsy_with_a_stroke_or_myasthenic_eyes_does_not_raise_the_motor_neuron_warning(assess, extra):
    context = {"patient": {"age": 70}, "findings": ["slurred speech", "difficulty swallowing", "muscle weakness"]}
    context = {**context, **extra, "findings": [*context["findings"], *extra.get("findings", [])]}
    assert "bulbar_motor_neuron_signs" not in alert_ids(assess(context))


# --------------------------------------------------------------------------- night cramps are brief calf cramps


def test_stimulus_triggered_spasms_and_truncal_rigidity_rank_stiff_person_above_leg_cramps(assess):
    result = assess(
        {
            "patient": {"age": 52, "sex": "female"},
            "findings": [
                "cramps and spasms set off by a loud noise",
                "stiffness of the back, worse over a year",
                "anti-GAD antibodies positive",
            ],
        }
    )
    order = ranked(result)
    assert order[0] == "stiff_person_syndrome"
    nocturnal = by_id(result, "nocturnal_leg_cramps")
    assert nocturnal is None or any(e["likelihood_ratio"] <= 0.2 for e in nocturnal["evidence"])


def test_a_cramp_only_when_playing_an_instrument_is_focal_dystonia_not_a_leg_cramp(assess):
    result = assess(
        {
            "patient": {"age": 34, "sex": "female"},
            "findings": [
                {
                    "code": {"system": ICD10CM, "code": "R25.2"},
                    "display": "Cramp and spasm",
                    "body_site": "left hand, only when playing the violin",
                },
                {"display": "numbness", "present": False},
            ],
        }
    )
    assert ranked(result)[0] == "focal_dystonia"


# --------------------------------------------------------------------------- polyneuropathy is length-dependent


def test_bulbar_signs_and_wasting_with_gynaecomastia_rank_kennedy_above_neuropathy(assess):
    result = assess(
        {
            "patient": {"age": 51, "sex": "male"},
            "findings": ["tingling in both feet", "difficulty swallowing", "wasting of the thighs", "cramps"],
            "conditions": ["gynaecomastia"],
        }
    )
    order = ranked(result)
    assert order.index("kennedy_disease") < order.index("peripheral_neuropathy")


def test_proximal_weakness_with_a_raised_ck_counts_against_a_polyneuropathy(assess):
    base = {
        "patient": {"age": 66, "sex": "female"},
        "findings": ["numb feet", "absent ankle reflexes"],
        "conditions": ["type 2 diabetes"],
    }
    before = by_id(assess(base), "peripheral_neuropathy")["probability"]
    after = assess(
        {
            **base,
            "findings": [*base["findings"], "difficulty getting up from a chair (proximal weakness)"],
            "labs": [{"display": "CK", "value": 1400, "unit": "U/L", "reference_range": {"high": 200}}],
        }
    )
    assert by_id(after, "peripheral_neuropathy")["probability"] < before


# --------------------------------------------------------------------------- test results that confirm a cause


@pytest.mark.parametrize(
    "result_text",
    ["androgen receptor CAG repeat expansion (44 repeats)", "genetically confirmed SBMA"],
    ids=["cag-repeat", "confirmed-sbma"],
)
def test_an_androgen_receptor_cag_expansion_puts_kennedy_disease_first(assess, result_text):
    result = assess({"patient": {"age": 60, "sex": "male"}, "findings": ["nasal speech for years", result_text]})
    assert ranked(result)[0] == "kennedy_disease"


def test_a_positive_vgkc_antibody_written_as_ab_supports_isaacs(assess):
    result = assess({"patient": {"age": 40}, "findings": ["muscle rippling in the calves", "VGKC Ab positive"]})
    isaacs = by_id(result, "isaacs_syndrome")
    assert ranked(result)[0] == "isaacs_syndrome"
    assert any("vgkc" in e["input"].lower() and e["likelihood_ratio"] >= 10 for e in isaacs["evidence"])


# ---------------------------------------------------------------- tetanus is the emergency reading of trismus


@pytest.mark.parametrize(
    "jaw",
    ["cant open his mouth", "can't open mouth properly"],
    ids=["cant", "can-t"],
)
def test_a_jaw_that_will_not_open_with_spasms_is_tetanus_first(assess, jaw):
    result = assess(
        {
            "patient": {"age": 45, "sex": "male"},
            "findings": [jaw, "painful spasms when touched", "stiff back"],
            "conditions": ["never vaccinated"],
        }
    )
    assert ranked(result)[0] == "tetanus"
    assert "tetanus_suspected" in alert_ids(result)


@pytest.mark.parametrize("history", ["no immunizations, family declined vaccines", "declined all vaccines"])
def test_vaccines_declined_reads_as_unvaccinated(assess, history):
    result = assess({"patient": {"age": 9}, "findings": ["lockjaw", "back arching"], "conditions": [history]})
    tetanus = by_id(result, "tetanus")
    assert any(e["effect"] == "supports" and e["likelihood_ratio"] == 4 for e in tetanus["evidence"])


# --------------------------------------------------------------------------- cramps with fasciculations


def test_cramps_with_fasciculations_and_aching_put_cramp_fasciculation_in_the_top_three(assess):
    result = assess(
        {
            "patient": {"age": 38, "sex": "female"},
            "findings": [
                "cramps in the feet and hands",
                "twitching muscles (fasciculations) everywhere",
                "aching muscles",
            ],
        }
    )
    order = ranked(result)
    assert "cramp_fasciculation_syndrome" in order[:3]
    assert order.index("cramp_fasciculation_syndrome") < order.index("benign_fasciculation_syndrome")
    nocturnal = by_id(result, "nocturnal_leg_cramps")
    assert any("fasciculation" in e["input"] and e["likelihood_ratio"] == 0.3 for e in nocturnal["evidence"])


def test_tingling_does_not_count_against_cramp_fasciculation_but_stocking_glove_loss_does(assess):
    base = {"patient": {"age": 50}, "findings": ["muscle cramps", "fasciculations in the calves"]}
    plain = by_id(assess(base), "cramp_fasciculation_syndrome")["probability"]
    tingling = by_id(assess({**base, "findings": [*base["findings"], "numb toes"]}), "cramp_fasciculation_syndrome")
    gloves = by_id(
        assess({**base, "findings": [*base["findings"], "stocking glove sensory loss"]}), "cramp_fasciculation_syndrome"
    )
    assert tingling["probability"] == pytest.approx(plain)
    assert gloves["probability"] < plain


# --------------------------------------------------------------------------- autoimmune nerve hyperexcitability


def test_caspr2_antibodies_count_against_idiopathic_cramps_and_muscle_tension_for_isaacs(assess):
    result = assess(
        {
            "patient": {"age": 63, "sex": "female"},
            "findings": [
                "muscle tension in both forearms",
                "leg cramps",
                "CASPR2 antibodies positive",
                "tingling in the left hand",
            ],
            "conditions": ["myasthenia gravis"],
        }
    )
    assert "isaacs_syndrome" in ranked(result)[:3]
    isaacs = by_id(result, "isaacs_syndrome")
    assert any("tension" in e["input"] and e["likelihood_ratio"] == 3 for e in isaacs["evidence"])
    nocturnal = by_id(result, "nocturnal_leg_cramps")
    assert any("CASPR2" in e["input"] and e["likelihood_ratio"] == 0.3 for e in nocturnal["evidence"])


def test_sciatica_counts_against_a_length_dependent_polyneuropathy(assess):
    base = {"patient": {"age": 60}, "findings": ["numbness in the foot", "cramps"]}
    before = by_id(assess(base), "peripheral_neuropathy")["probability"]
    after = by_id(assess({**base, "findings": [*base["findings"], "sciatica"]}), "peripheral_neuropathy")
    assert after["probability"] < before


def test_bulbar_weakness_counts_against_b12_deficiency(assess):
    base = {
        "patient": {"age": 70, "sex": "female"},
        "findings": ["pins and needles in the feet", "twitching"],
        "medications": ["metformin 1 g twice daily"],
    }
    before = by_id(assess(base), "b12_deficiency")["probability"]
    after = by_id(assess({**base, "findings": [*base["findings"], "slurred speech"]}), "b12_deficiency")
    assert after["probability"] < before / 2


def test_breathlessness_with_a_bulbar_palsy_weighs_for_als(assess):
    base = {"patient": {"age": 66, "sex": "male"}, "findings": ["slurred speech", "difficulty swallowing"]}
    before = by_id(assess(base), "als")["probability"]
    after = by_id(assess({**base, "findings": [*base["findings"], "short of breath"]}), "als")
    assert after["probability"] > before


# --------------------------------------------------------------------------- EMG results read both ways


def test_denervation_on_emg_counts_against_benign_fasciculations_and_for_als(assess):
    base = {"patient": {"age": 58, "sex": "female"}, "findings": ["fasciculations in both arms", "arm weakness"]}
    before = assess(base, limit=20)
    after = assess({**base, "findings": [*base["findings"], "EMG: active denervation in three regions"]}, limit=20)
    assert by_id(after, "als")["probability"] > by_id(before, "als")["probability"]
    benign = by_id(after, "benign_fasciculation_syndrome")
    assert benign is None or benign["probability"] < by_id(before, "benign_fasciculation_syndrome")["probability"]


def test_an_emg_without_denervation_counts_against_als(assess):
    base = {"patient": {"age": 61}, "findings": ["fasciculations in the calves", "legs feel weak"]}
    before = by_id(assess(base, limit=20), "als")["probability"]
    after = by_id(
        assess(
            {**base, "findings": [*base["findings"], "EMG normal apart from fasciculations, no denervation"]}, limit=20
        ),
        "als",
    )
    assert after is None or after["probability"] < before


def test_neuromyotonic_discharges_rank_isaacs_first(assess):
    context = {"patient": {"age": 52}, "findings": ["muscle cramps", "stiff muscles", "drenching sweats"]}
    before = assess(context)
    result = assess({**context, "findings": [*context["findings"], "EMG showed neuromyotonic discharges"]})
    assert ranked(before)[0] != "isaacs_syndrome"
    assert ranked(result)[0] == "isaacs_syndrome"


def test_continuous_motor_unit_activity_ranks_stiff_person_first(assess):
    result = assess(
        {
            "patient": {"age": 44, "sex": "male"},
            "findings": ["spasms and stiffness", "EMG: continuous motor unit activity in the back muscles"],
        }
    )
    assert ranked(result)[0] == "stiff_person_syndrome"


def test_cramps_and_fasciculations_for_months_rank_cramp_fasciculation_above_benign_fasciculations(assess):
    result = assess(
        {
            "patient": {"age": 41, "sex": "male"},
            "findings": [
                "fasciculations in the thighs and arms for 6 months",
                "painful cramps in the legs",
                "sore muscles",
                {"display": "muscle weakness", "present": False},
            ],
        }
    )
    order = ranked(result)
    assert order[0] == "cramp_fasciculation_syndrome"
    assert order.index("cramp_fasciculation_syndrome") < order.index("benign_fasciculation_syndrome")


@pytest.mark.parametrize(
    "result_text",
    [
        "47 CAG repeats in the androgen receptor gene",
        "androgen receptor gene 41 CAG repeats",
        "AR CAG repeat length 44",
    ],
)
def test_an_expanded_cag_repeat_count_reads_as_kennedy_disease(assess, result_text):
    result = assess(
        {"patient": {"age": 57, "sex": "male"}, "findings": ["cramps", "choking when drinking", result_text]}
    )
    assert ranked(result)[0] == "kennedy_disease"


def test_a_normal_cag_repeat_count_is_not_read_as_an_expansion(assess):
    result = assess({"patient": {"age": 57, "sex": "male"}, "findings": ["cramps", "AR gene: 22 CAG repeats, normal"]})
    kennedy = by_id(result, "kennedy_disease")
    assert kennedy is None or all("CAG" not in e["input"] or e["effect"] == "against" for e in kennedy["evidence"])


@pytest.mark.parametrize("words", ["cant swallow", "choking when drinking", "unable to swallow"])
def test_swallowing_difficulty_in_plain_words_is_dysphagia(assess, words):
    result = assess({"patient": {"age": 64}, "findings": ["tongue fasciculations", words]})
    assert "bulbar_motor_neuron_signs" in alert_ids(result)


def test_truncal_stiffness_and_startle_spasms_in_type_1_diabetes_rank_stiff_person_above_neuropathy(assess):
    result = assess(
        {
            "patient": {"age": 40, "sex": "female"},
            "findings": ["stiffness of the trunk", "spasms when startled", "falls"],
            "conditions": ["type 1 diabetes"],
        }
    )
    order = ranked(result)
    assert order[0] == "stiff_person_syndrome"


def test_risus_and_back_arching_rank_tetanus_above_isaacs_and_stiff_person(assess):
    result = assess({"patient": {"age": 50}, "findings": ["risus sardonicus", "back arching spasms", "stiffness"]})
    order = ranked(result)
    assert order[0] == "tetanus"
    isaacs = by_id(result, "isaacs_syndrome")
    assert isaacs is None or any(e["likelihood_ratio"] == 0.5 for e in isaacs["evidence"])


def test_grip_weakness_wasting_and_fasciculations_rank_als_above_a_diabetic_neuropathy(assess):
    result = assess(
        {
            "patient": {"age": 62, "sex": "male"},
            "findings": ["weak hand grip", "wasting of hand muscles", "fasciculations in arms", "brisk reflexes"],
            "conditions": ["type 2 diabetes"],
        }
    )
    order = ranked(result)
    assert order[0] == "als"
    assert "progressive_weakness_with_fasciculations" in alert_ids(result) or order.index("als") == 0


def test_a_neck_pulling_to_one_side_with_a_sensory_trick_is_focal_dystonia(assess):
    result = assess(
        {"patient": {"age": 33, "sex": "female"}, "findings": ["head turning to the right", "sensory trick"]}
    )
    assert ranked(result)[0] == "focal_dystonia"


def test_rippling_calves_with_stiffness_and_sweating_rank_isaacs_above_night_cramps(assess):
    result = assess(
        {
            "patient": {"age": 52, "sex": "male"},
            "findings": ["rippling muscles in the calves", "muscles feel stiff", "sweating a lot", "cramps"],
        }
    )
    order = ranked(result)
    assert order.index("isaacs_syndrome") < order.index("nocturnal_leg_cramps")


def test_benign_eyelid_myokymia_stays_a_benign_twitch(assess):
    result = assess({"patient": {"age": 30}, "findings": ["eyelid myokymia", "lots of coffee"]})
    assert ranked(result)[0] == "benign_twitch_triggers"


@pytest.mark.parametrize(
    "words", ["painful spasms when someone touches her", "jerks if startled", "spasms whenever surprised"]
)
def test_spasms_set_off_by_touch_or_surprise_read_as_startle_triggered(assess, words):
    result = assess({"patient": {"age": 47, "sex": "female"}, "findings": ["stiffness of the back", words]})
    assert ranked(result)[0] == "stiff_person_syndrome"
