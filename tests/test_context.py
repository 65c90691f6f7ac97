"""kb.context: a mention's negation, temporality and experiencer, as a clinician would read them."""

from __future__ import annotations

import re

import pytest

NEGATED, AFFIRMED = True, False


def read(kb, note: str, mention: str, occurrence: int = 0):
    """The Modifiers of the `occurrence`-th `mention` in `note`, read sentence by sentence."""
    match = list(re.finditer(re.escape(mention), note))[occurrence]
    sentence = next(s for s in kb.context.split(note) if s.start <= match.start() < s.end)
    return kb.context.modifiers(note, sentence, match.start(), match.end())


NEGATION = [
    # pre-triggers, and the list they govern
    ("no_governs_a_list", "No fever, chills or myalgia.", ["fever", "chills", "myalgia"], NEGATED),
    ("denies", "Denies calf cramps at night.", ["calf cramps"], NEGATED),
    ("without", "Presents without muscle weakness.", ["muscle weakness"], NEGATED),
    ("negative_for", "Negative for fasciculations and myokymia.", ["fasciculations", "myokymia"], NEGATED),
    ("no_evidence_of", "No evidence of DVT on ultrasound.", ["DVT"], NEGATED),
    ("free_of", "Free of cramps since stopping the statin.", ["cramps"], NEGATED),
    # post-triggers, over a coordinated list
    ("list_then_negative", "Anti-HMGCR and anti-SRP antibodies negative.", ["Anti-HMGCR", "anti-SRP"], NEGATED),
    ("ruled_out", "Myoglobinuria was ruled out.", ["Myoglobinuria"], NEGATED),
    ("was_excluded", "DVT was excluded by duplex ultrasound.", ["DVT"], NEGATED),
    ("absent_after", "Fasciculations absent.", ["Fasciculations"], NEGATED),
    # pseudo-triggers are no negation
    ("no_increase", "No increase in cramps since the last visit.", ["cramps"], AFFIRMED),
    ("no_change", "No change in the spasms.", ["spasms"], AFFIRMED),
    ("not_only", "Not only cramps but weakness too.", ["cramps", "weakness"], AFFIRMED),
    ("gram_negative", "Gram negative rods in the urine.", ["rods"], AFFIRMED),
    ("without_difficulty", "Walks without difficulty with calf cramps.", ["calf cramps"], AFFIRMED),
    ("not_necessarily", "Not necessarily muscle cramps.", ["muscle cramps"], AFFIRMED),
    ("no_further", "No further workup; twitching persists.", ["twitching"], AFFIRMED),
    # termination: a scope ends at but, however, which, except, apart from, a new clause
    ("but", "No fever but has calf cramps.", ["calf cramps"], AFFIRMED),
    ("but_keeps_before", "No fever but has calf cramps.", ["fever"], NEGATED),
    ("however", "No rash, however twitching persists.", ["twitching"], AFFIRMED),
    ("which", "No trauma, which leaves cramps unexplained.", ["cramps"], AFFIRMED),
    ("except", "Negative for weakness except for calf cramps.", ["calf cramps"], AFFIRMED),
    ("apart_from", "Denies chest pain apart from muscle cramps.", ["muscle cramps"], AFFIRMED),
    ("aside_from", "No complaints aside from twitching.", ["twitching"], AFFIRMED),
    ("although", "No weakness although cramps are frequent.", ["cramps"], AFFIRMED),
    ("new_clause", "Denies fever and she has cramps.", ["cramps"], AFFIRMED),
    ("reports", "Denies fever, reports cramps.", ["cramps"], AFFIRMED),
    ("semicolon", "Denies fever; cramps every night.", ["cramps"], AFFIRMED),
    ("sentence_end", "No fever. Cramps at night.", ["Cramps"], AFFIRMED),
    ("brackets", "Biopsy (slides not reviewed here) shows myositis.", ["myositis"], AFFIRMED),
    # review-of-systems answers
    ("ros_colon_no", "Fever: no\nChills - denies\nCramps: yes", ["Fever", "Chills"], NEGATED),
    ("ros_colon_yes", "Fever: no\nChills - denies\nCramps: yes", ["Cramps"], AFFIRMED),
    ("ros_semicolons", "ROS: fever: no; cramps: yes; twitching: no", ["fever", "twitching"], NEGATED),
    ("ros_semicolons_yes", "ROS: fever: no; cramps: yes; twitching: no", ["cramps"], AFFIRMED),
    ("ros_negative_for", "ROS: negative for fever, chills, myalgia", ["fever", "chills", "myalgia"], NEGATED),
    ("ros_positive_otherwise", "ROS positive for cramps, otherwise negative.", ["cramps"], AFFIRMED),
    ("negative_before_a_sign", "Positive Tinel sign. Negative straight leg raise.", ["straight leg raise"], NEGATED),
    ("negative_after_then_positive", "Chvostek sign negative, Trousseau sign positive.", ["Trousseau"], AFFIRMED),
    ("unlikely_cause_is_no_negation", "Cramps are unlikely to be due to her statin.", ["Cramps", "statin"], AFFIRMED),
    ("unlikely", "DVT is unlikely.", ["DVT"], NEGATED),
    ("negative_label", "Positive: cramps. Negative: fever, chills.", ["fever", "chills"], NEGATED),
    ("positive_label", "Positive: cramps. Negative: fever, chills.", ["cramps"], AFFIRMED),
    ("with_or_without", "Cramps with or without exercise.", ["exercise"], AFFIRMED),
    ("ros_signs", "Fever (-), chills (-), cramps (+)", ["Fever", "chills"], NEGATED),
    ("ros_signs_plus", "Fever (-), chills (-), cramps (+)", ["cramps"], AFFIRMED),
    ("hyphenated_negative", "Anti-SRP-negative.", ["Anti-SRP"], NEGATED),
    ("ros_system_label", "Neurologic - No numbness, tingling, or weakness.", ["numbness", "weakness"], NEGATED),
]


@pytest.mark.parametrize("note, mentions, negated", [c[1:] for c in NEGATION], ids=[c[0] for c in NEGATION])
def test_negation_scope(kb, note, mentions, negated):
    for mention in mentions:
        assert read(kb, note, mention).negated is negated, mention


TEMPORALITY = [
    ("history_of", "History of DVT.", "DVT", "historical"),
    ("h_o_with_year", "h/o DVT 2019.", "DVT", "historical"),
    ("in_year", "Treated for DVT in 2019.", "DVT", "historical"),
    ("previously", "Previously on atorvastatin.", "atorvastatin", "historical"),
    ("prior", "Prior thyroidectomy.", "thyroidectomy", "historical"),
    ("status_post", "Status post thyroidectomy.", "thyroidectomy", "historical"),
    ("s_p", "s/p thyroidectomy.", "thyroidectomy", "historical"),
    ("years_ago", "Calf cramps 3 years ago.", "cramps", "historical"),
    ("brackets_before_cue", "A man [in 60s] with a history of diabetes and DVT.", "DVT", "historical"),
    ("history_section", "PMH:\nDVT\nHypothyroidism\n\nHPI: calf cramps.", "Hypothyroidism", "historical"),
    ("history_section_heading_words", "Past Medical History: DVT.", "DVT", "historical"),
    ("now_on_under_history", "PMH: DVT 2019, now on apixaban.", "apixaban", "recent"),
    ("history_before_now_on", "PMH: DVT 2019, now on apixaban.", "DVT", "historical"),
    ("treatment_beside_a_past_diagnosis", "PMH:\nHypothyroidism - on levothyroxine", "levothyroxine", "recent"),
    ("persists_under_history", "Past Medical History: hypothyroidism, fatigue persists.", "fatigue", "recent"),
    ("hpi_is_recent", "History of present illness: calf cramps for two weeks.", "cramps", "recent"),
    ("hpi_after_history", "PMH: DVT.\nHPI: calf cramps for two weeks.", "cramps", "recent"),
    ("day_history_is_recent", "A two-day history of calf cramps.", "cramps", "recent"),
    ("now_ends_history", "h/o DVT, now presents with calf swelling.", "calf swelling", "recent"),
    ("since_year_is_ongoing", "Calf cramps since 2019.", "cramps", "recent"),
    ("started_ago_goes_on", "Started atorvastatin 80 mg 2 months ago.", "atorvastatin", "recent"),
    ("began_ago_goes_on", "Calf cramps began 3 years ago.", "cramps", "recent"),
    ("plain_is_recent", "Calf cramps at night.", "cramps", "recent"),
    ("if", "Return if cramps recur.", "cramps", "hypothetical"),
    ("should_she_develop", "Should she develop dark urine, call us.", "dark urine", "hypothetical"),
    ("rule_out", "Rule out DVT.", "DVT", "hypothetical"),
    ("question_mark", "Swollen calf, ?DVT.", "DVT", "hypothetical"),
    ("spaced_question_mark", "Swollen calf ? DVT", "DVT", "hypothetical"),
    ("worried_about", "Worried about ALS because of twitching.", "ALS", "hypothetical"),
    ("concern_for", "Concern for rhabdomyolysis.", "rhabdomyolysis", "hypothetical"),
    ("risk_of", "At risk of hypocalcaemia after surgery.", "hypocalcaemia", "hypothetical"),
    ("return_to_for", "Return to the ED for worsening weakness or dark urine.", "dark urine", "hypothetical"),
    ("seek_care", "Seek medical attention for chest pain.", "chest pain", "hypothetical"),
    ("watch_for", "Watch for dark urine.", "dark urine", "hypothetical"),
    ("instructions_list", "Call if any of these: fever, new onset of weakness, cramps.", "cramps", "hypothetical"),
]


@pytest.mark.parametrize("note, mention, temporality", [c[1:] for c in TEMPORALITY], ids=[c[0] for c in TEMPORALITY])
def test_temporality(kb, note, mention, temporality):
    assert read(kb, note, mention).temporality == temporality


def test_asked_about_is_told_apart_from_foretold(kb):
    assert read(kb, "Rule out DVT.", "DVT").asked
    assert not read(kb, "Return if cramps recur.", "cramps").asked


EXPERIENCER = [
    ("mother_had", "Mother had ALS.", "ALS", "other"),
    (
        "a_person_scopes_a_short_clause",
        "Her sister was seen in clinic last year, and today calf cramps.",
        "cramps",
        "patient",
    ),
    ("fhx_label", "FHx: DVT.", "DVT", "other"),
    ("family_section", "FAMILY HISTORY\nALS.\n\nSOCIAL HISTORY\nNon-smoker.", "ALS", "other"),
    ("family_section_ends", "FAMILY HISTORY\nALS.\n\nSOCIAL HISTORY\nSmokes daily.", "Smokes", "patient"),
    ("husband", "Her husband has cramps.", "cramps", "other"),
    ("in_her_mother", "ALS in her mother.", "ALS", "other"),
    ("patient_after_mother", "Patient's mother reports that the patient has cramps.", "cramps", "patient"),
    ("new_clause_back_to_patient", "Her mother has ALS and she has cramps.", "cramps", "patient"),
    ("personal_history", "Family history of ALS and a personal history of DVT.", "DVT", "patient"),
    ("a_relative_reporting", "Wife notes muscle twitching in his arms.", "twitching", "patient"),
    ("plain_patient", "Calf cramps at night.", "cramps", "patient"),
]


@pytest.mark.parametrize("note, mention, experiencer", [c[1:] for c in EXPERIENCER], ids=[c[0] for c in EXPERIENCER])
def test_experiencer(kb, note, mention, experiencer):
    assert read(kb, note, mention).experiencer == experiencer


def test_modifiers_name_the_cue_that_decided(kb):
    assert read(kb, "Fever: no", "Fever").cue == "no"
    assert read(kb, "Patient denies calf cramps.", "cramps").cue == "denies"
    assert read(kb, "FAMILY HISTORY:\nALS.", "ALS").cue == "family section"
    assert read(kb, "Calf cramps at night.", "cramps").cue is None


def test_same_input_same_output(kb):
    note = "HPI: cramps. No fever but twitching. FHx: ALS."
    first = [read(kb, note, w) for w in ("cramps", "fever", "twitching", "ALS")]
    assert first == [read(kb, note, w) for w in ("cramps", "fever", "twitching", "ALS")]


def test_two_hundred_noes_still_negate_what_follows(kb):
    note = "no " * 200 + "cramps"
    assert read(kb, note, "cramps").negated


def test_one_word_repeated_for_twenty_thousand_characters_is_one_plain_sentence(kb):
    note = ("cramps " * 3000)[:20000].strip()
    sentences = kb.context.split(note)
    assert len(sentences) == 1
    assert kb.context.modifiers(note, sentences[0], 19000, 19006) == kb.context.modifiers(note, sentences[0], 0, 6)


def test_a_long_note_reads_each_part_as_a_short_one_does(kb):
    part = "HPI: calf cramps. Denies fever.\nFHx: ALS.\n\n"
    note = part * (20000 // len(part))
    short = [read(kb, part, w) for w in ("cramps", "fever", "ALS")]
    assert [read(kb, note, w, occurrence=400) for w in ("cramps", "fever", "ALS")] == short
