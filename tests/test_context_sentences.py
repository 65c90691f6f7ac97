"""kb.context.split: a note's sentences, with offsets into it and the section each stands under."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmdx.rules import context, loader
from spasmdx.rules.errors import KnowledgeError


def sentences(kb, note: str) -> list[tuple[str, str | None]]:
    return [(note[s.start : s.end], s.section) for s in kb.context.split(note)]


def test_full_stops_end_sentences_but_not_decimals_or_abbreviations(kb):
    note = "K 2.9 mmol/L on the 3rd. Seen by Dr. Smith, e.g. for cramps b.i.d. at night. Better?  Yes!"
    assert [t for t, _ in sentences(kb, note)] == [
        "K 2.9 mmol/L on the 3rd.",
        "Seen by Dr. Smith, e.g. for cramps b.i.d. at night.",
        "Better?",
        "Yes!",
    ]


def test_blank_lines_and_bullets_end_sentences_but_a_wrapped_line_does_not(kb):
    note = "Calf cramps at night, worse\nafter walking\n\nCK normal\n- no fever\n* twitching\n2) weakness"
    assert [t for t, _ in sentences(kb, note)] == [
        "Calf cramps at night, worse\nafter walking",
        "CK normal",
        "- no fever",
        "* twitching",
        "2) weakness",
    ]


def test_a_line_without_a_full_stop_ends_a_sentence_unless_it_goes_on(kb):
    note = "No fever\nCramps at night, worse with\nExercise and denies\nFever"
    assert [t for t, _ in sentences(kb, note)] == [
        "No fever",
        "Cramps at night, worse with\nExercise and denies\nFever",
    ]


def test_ros_answers_split_on_semicolons_and_lines(kb):
    note = "ROS: fever: no; chills: no; cramps: yes\nTwitching - denies"
    assert sentences(kb, note) == [
        ("fever: no", "ros"),
        ("chills: no", "ros"),
        ("cramps: yes", "ros"),
        ("Twitching - denies", "ros"),
    ]


def test_a_semicolon_inside_prose_is_no_sentence_boundary(kb):
    assert [t for t, _ in sentences(kb, "Cramps at night; worse after exercise.")] == [
        "Cramps at night; worse after exercise."
    ]


HEADINGS = [
    ("pmh", "PMH: DVT.", "history"),
    ("past_medical_history", "Past Medical History: DVT.", "history"),
    ("capitals_alone", "FAMILY HISTORY\nALS in mother.", "family"),
    ("fhx", "FHx: ALS.", "family"),
    ("ros", "ROS: no fever.", "ros"),
    ("a_p", "A/P: statin myopathy.", "assessment"),
    ("impression", "Impression: statin myopathy.", "assessment"),
    ("hpi_words", "History of Present Illness: cramps.", "hpi"),
    ("social", "Social history: smokes.", "social"),
    ("possessive", "HIS SOCIAL HISTORY: smokes.", "social"),
    ("meds", "Medications:\n- atorvastatin 40 mg", "medications"),
    ("exam", "Physical Exam: calf tender.", "exam"),
    ("labs", "Labs: CK 4200.", "results"),
    ("plan", "Plan: recheck CK.", "plan"),
    ("allergies", "ALLERGIES: penicillin.", "allergies"),
]


@pytest.mark.parametrize("note, section", [h[1:] for h in HEADINGS], ids=[h[0] for h in HEADINGS])
def test_headings_as_written_open_their_section(kb, note, section):
    found = sentences(kb, note)
    assert found and all(s == section for _, s in found)
    assert ":" not in found[0][0] or found[0][0].startswith("- ")  # the heading is not part of the sentence


def test_a_section_runs_until_the_next_heading(kb):
    note = "HPI: calf cramps.\nPMH: DVT. Hypothyroidism.\nFAMILY HISTORY: ALS.\nCOURSE:\nImproved."
    assert sentences(kb, note) == [
        ("calf cramps.", "hpi"),
        ("DVT.", "history"),
        ("Hypothyroidism.", "history"),
        ("ALS.", "family"),
        ("COURSE:", None),  # a heading the lexicon does not know ends the last section, and is kept
        ("Improved.", None),
    ]


def test_inline_headings_and_numbered_items_split_a_block(kb):
    note = "DIAGNOSES: 1) stenosis 2) colitis PLAN: 1) await biopsy"
    assert sentences(kb, note) == [
        ("1) stenosis", "assessment"),
        ("2) colitis", "assessment"),
        ("1) await biopsy", "plan"),
    ]


def test_offsets_point_into_the_note(kb):
    note = "  HPI:  cramps at night.  \n\n  PMH: DVT 2019.  "
    for s in kb.context.split(note):
        assert note[s.start : s.end] == note[s.start : s.end].strip() and s.end > s.start


def test_nothing_is_dropped_but_headings_and_space(kb):
    note = "HPI: cramps.\nUNKNOWN BLOCK\nText here. More text"
    covered = "".join(note[s.start : s.end] for s in kb.context.split(note))
    assert covered == "cramps.UNKNOWN BLOCKText here.More text"


def _lexicon(**change):
    data = {
        "abbreviations": ["dr"],
        "sections": [{"kind": "history", "headings": ["pmh"], "source": ["harkema_2009"]}],
        "cues": [
            {
                "category": "negated",
                "direction": "forward",
                "literals": ["no"],
                "patterns": [],
                "source": ["chapman_2001"],
            }
        ],
    }
    for key, value in change.items():
        data["cues"][0][key] = value
    return data


REFERENCES = ("harkema_2009", "chapman_2001")


@pytest.mark.parametrize(
    "change, where",
    [
        ({"patterns": ["(unclosed"]}, "cues[0].patterns[0]"),
        ({"patterns": ["(no|none)"]}, "cues[0].patterns[0]"),
        ({"source": ["nobody_2020"]}, "cues[0].source"),
        ({"direction": None}, "cues[0].direction"),
        ({"category": "pseudo"}, "cues[0].direction"),
        ({"asks": True}, "cues[0].asks"),
    ],
    ids=[
        "pattern_does_not_compile",
        "capturing_group",
        "unknown_source",
        "no_direction",
        "pseudo_with_direction",
        "asks_not_hypothetical",
    ],
)
def test_a_bad_lexicon_entry_stops_loading_naming_file_and_key(change, where):
    with pytest.raises(KnowledgeError) as error:
        context.build(_lexicon(**change), "context.yaml", REFERENCES)
    assert error.value.where == f"context.yaml: {where}"


def test_the_lexicon_file_is_checked_against_its_schema_at_load(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    text = (target / "context.yaml").read_text()
    (target / "context.yaml").write_text(text.replace("direction: backward", "direction: backwards", 1))
    with pytest.raises(KnowledgeError) as error:
        loader.load(target)
    assert error.value.where == "context.yaml" and "direction" in error.value.message


_PIECES = st.sampled_from(
    ["no", "not", "denies", "fever", "cramps", "PMH:", "FAMILY HISTORY", "ROS:", "Fever: no", "?", "?DVT", ".", ". ",
     ";", ":", "-", " - ", "(", ")", "[", "]", "\n", "\n\n", "  ", "2.9", "Dr.", "e.g.", "mother", "h/o", "if", "but",
     "negative", "in 2019", "1) ", "é", "İ", "\t", "CK 4,200 U/L"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(" ".join), st.data())
def test_any_text_splits_into_ordered_sentences_whose_mentions_all_read(kb, text, data):
    found = kb.context.split(text)
    previous_end = 0
    for sentence in found:
        assert previous_end <= sentence.start < sentence.end <= len(text)
        assert text[sentence.start : sentence.end].strip() == text[sentence.start : sentence.end]
        previous_end = sentence.end
        start = data.draw(st.integers(sentence.start, sentence.end - 1))
        end = data.draw(st.integers(start + 1, sentence.end))
        modifiers = kb.context.modifiers(text, sentence, start, end)
        assert modifiers.temporality in ("recent", "historical", "hypothetical")
        assert modifiers.experiencer in ("patient", "other")
        assert modifiers == kb.context.modifiers(text, sentence, start, end)
