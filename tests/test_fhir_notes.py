"""Clinical notes (DocumentReferences) read into one narrative: types, charsets, limits, skipped notes."""

from __future__ import annotations

import base64
import copy
import json
from datetime import date

import pytest
from cds import patient, searchset
from documents import EXAMPLES, document, note_html
from test_fhir import EXAMPLES as EXAMPLES_DIR

from spasmdx.fhir import notes as reader
from spasmdx.fhir import to_context
from spasmdx.fhir.attachments import Unreadable, attachment_text, html_text

ON = date(2026, 11, 20)


def read(*documents, **kwargs):
    return reader.read([(f"prefetch.notes.entry[{i}]", d) for i, d in enumerate(documents)], ON, **kwargs)


def reasons(narrative):
    return [n["reason"] for n in narrative.notes]


def test_a_plain_text_note_is_read_whole_and_located_back_to_its_attachment():
    narrative = read(document("Night cramps in both calves for five months.\nDenies weakness."))
    assert narrative.text == "Night cramps in both calves for five months.\nDenies weakness."
    start = narrative.text.index("Denies")
    part, begin, end = narrative.locate(start, start + 6)
    assert part.path == "prefetch.notes.entry[0].content[0].attachment" and (begin, end) == (start, start + 6)
    assert part.label == "Progress note, 2026-11-18, Physician"


def test_notes_are_joined_newest_first_and_each_span_maps_into_its_own_note():
    older = document("Calf cramps at night.", when="2026-11-01", ident="older")
    newer = document("Twitching of the thigh.", when="2026-11-19", ident="newer")
    narrative = read(older, newer)
    assert narrative.text == "Twitching of the thigh.\n\nCalf cramps at night."
    start = narrative.text.index("Calf")
    part, begin, end = narrative.locate(start, start + 4)
    assert part.path == "prefetch.notes.entry[0].content[0].attachment" and (begin, end) == (0, 4)
    assert narrative.locate(len("Twitching of the thigh."), start + 4) is None  # a span over the separator


def test_html_loses_its_markup_scripts_and_styles_but_keeps_sections_as_lines():
    markup = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<h2>History</h2><p>Cramps &amp; spasms at night</p><script>alert('x')</script>"
        "<h3>Assessment</h3><ul><li>No fever</li><li>CK 4,200 U/L</li></ul></body></html>"
    )
    assert html_text(markup) == "History\n\nCramps & spasms at night\n\nAssessment\n\nNo fever\nCK 4,200 U/L"
    narrative = read(note_html(markup))
    assert narrative.text.startswith("History\n\nCramps & spasms") and "alert" not in narrative.text


def test_a_charset_is_honoured_and_a_wrong_one_is_reported():
    latin = {
        "contentType": "text/plain; charset=ISO-8859-1",
        "data": base64.b64encode("Crampes à la nuit".encode("latin-1")).decode(),
    }
    assert attachment_text(latin) == "Crampes à la nuit"
    with pytest.raises(Unreadable, match="not valid utf-8"):
        attachment_text({"contentType": "text/plain", "data": latin["data"]})
    with pytest.raises(Unreadable, match="not known"):
        attachment_text({"contentType": "text/plain; charset=klingon", "data": latin["data"]})
    with pytest.raises(Unreadable, match="not base64"):
        attachment_text({"contentType": "text/plain", "data": "%%%"})


@pytest.mark.parametrize(
    "content_type",
    ["application/pdf", "text/rtf", "application/hl7-v3+xml", "application/xml", None],
    ids=["pdf", "rtf", "cda", "xml", "no-type"],
)
def test_other_types_are_listed_as_not_read_never_guessed_at(content_type):
    doc = document("Calf cramps.")
    attachment = doc["content"][0]["attachment"]
    if content_type:
        attachment["contentType"] = content_type
    else:
        del attachment["contentType"]
    narrative = read(doc)
    assert narrative.text == "" and len(narrative.notes) == 1
    assert narrative.notes[0]["path"] == "prefetch.notes.entry[0]"
    assert (
        "not a type read here" in narrative.notes[0]["reason"] and narrative.notes[0]["input"] == "DocumentReference/n1"
    )


def test_a_readable_format_is_chosen_over_an_unreadable_one_of_the_same_note():
    doc = document("Calf cramps.")
    doc["content"].insert(0, {"attachment": {"contentType": "application/pdf", "data": "JVBERi0="}})
    narrative = read(doc)
    assert narrative.text == "Calf cramps." and narrative.parts[0].path.endswith("content[1].attachment")


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("status", "entered-in-error", "entered in error: not used"),
        ("docStatus", "entered-in-error", "entered in error: not used"),
        ("status", "superseded", "superseded by a newer version: not used"),
    ],
)
def test_a_note_withdrawn_or_replaced_is_not_used(field, value, reason):
    narrative = read(document("Dark urine.", **{field: value}))
    assert narrative.text == "" and reasons(narrative) == [reason]


def test_a_note_older_than_the_window_is_skipped_with_a_notice_and_the_window_is_configurable():
    old = document("Dark urine.", when="2026-09-01")
    assert read(old).text == "" and reasons(read(old)) == [
        "written 2026-09-01, over 30 days before 2026-11-20: not read"
    ]
    assert read(old, max_age_days=120).text == "Dark urine."
    assert read(old, max_age_days=None).text == "Dark urine."


def test_at_most_five_notes_are_read_the_newest():
    docs = [document(f"Note {day}.", when=f"2026-11-{day:02d}", ident=f"n{day}") for day in range(10, 17)]
    narrative = read(*docs)
    assert narrative.text.split("\n\n") == [f"Note {day}." for day in range(16, 11, -1)]
    assert reasons(narrative).count("more than 5 notes: only the newest are read") == 2


def test_the_character_budget_cuts_at_a_sentence_end_and_says_so():
    sentence = "Cramps in the calves at night relieved by stretching. "
    first = document(sentence * 300, when="2026-11-19", ident="big")  # about 16,000 characters
    second = document(sentence * 300, when="2026-11-18", ident="next")
    third = document("Dark urine.", when="2026-11-17", ident="last")
    narrative = read(first, second, third)
    assert len(narrative.text) <= reader.MAX_CHARS and narrative.text.endswith("stretching.")
    assert [n["input"] for n in narrative.notes] == ["DocumentReference/next", "DocumentReference/last"]
    assert narrative.notes[0]["reason"].startswith("cut at ") and "not read" in narrative.notes[1]["reason"]
    part = narrative.parts[1]
    assert narrative.text[part.start : part.end] == (sentence * 300)[: part.end - part.start]


def test_the_official_example_documentreference_is_reported_as_not_read():
    path = EXAMPLES_DIR / "DocumentReference-example.json"
    if not path.exists():
        pytest.skip(f"the official FHIR R4 examples are not in {EXAMPLES_DIR}: `make fhir-examples` fetches them")
    example = json.loads(path.read_text(encoding="utf-8"))
    narrative = read(example, max_age_days=None)
    assert narrative.text == "" and "application/hl7-v3+xml" in reasons(narrative)[0]
    # The same note with its content as plain text inline is read, and named by its type and date.
    readable = copy.deepcopy(example)
    readable["content"][0]["attachment"] = {
        "contentType": "text/plain",
        "data": base64.b64encode(b"Calf cramps.").decode(),
    }
    narrative = read(readable, max_age_days=None)
    assert narrative.text == "Calf cramps." and narrative.parts[0].label == "Outpatient Note, 2005-12-24"


def test_the_mapping_reads_notes_and_leaves_out_another_patients():
    mine, theirs = document("Calf cramps."), document("Trismus.", pid="p2", ident="n2")
    result = to_context({"patient": patient(), "notes": searchset(mine, theirs)}, ON, patient_id="p1")
    assert result.narrative.text == "Calf cramps."
    assert {
        "path": "prefetch.notes.entry[1]",
        "input": "DocumentReference/n2",
        "reason": "about another patient than context.patientId: not used",
    } in result.notes


def test_attachments_by_url_are_listed_for_fetching_only_for_notes_that_will_be_read():
    by_url = document("", ident="u1")
    by_url["content"][0]["attachment"] = {"contentType": "text/plain", "url": "Binary/u1"}
    old = copy.deepcopy(by_url) | {"id": "u2", "date": "2025-01-01"}
    theirs = copy.deepcopy(by_url) | {"id": "u3", "subject": {"reference": "Patient/p2"}}
    wanted = reader.attachments_to_fetch("notes", ON, 30, "p1")({"notes": searchset(by_url, old, theirs)})
    assert [path for path, _ in wanted] == ["prefetch.notes.entry[0].content[0].attachment"]
    narrative = read(by_url)  # never fetched: said so
    assert reasons(narrative) == ["its url could not be read from an allowed fhirServer: not read"]


def test_reading_is_deterministic():
    docs = [document(text, when="2026-11-18", ident=f"n{i}") for i, text in enumerate(EXAMPLES)]
    assert read(*docs) == read(*copy.deepcopy(docs))


def test_a_batch_bundle_is_scored_with_its_notes_dated_by_them(kb):
    from spasmdx.batch.fhir import bundle_case
    from spasmdx.rules.engine import assess

    statin = {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p1"},
              "medicationCodeableConcept": {"text": "simvastatin 40 mg"}}  # fmt: skip
    note = document("Thigh pain. Dark urine since yesterday. CK 12000 U/L.", when="2026-10-30")
    old = document("Trismus and neck stiffness.", when="2026-08-01", ident="old")
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in (patient(), statin, note, old)]}  # fmt: skip
    case_id, context, notes = bundle_case(bundle)
    assert case_id == "p1" and context["narrative"] == "Thigh pain. Dark urine since yesterday. CK 12000 U/L."
    assert [n["reason"] for n in notes] == ["written 2026-08-01, over 30 days before 2026-10-30: not read"]
    result = assess(kb, context)
    assert "rhabdomyolysis" in {alert["id"] for alert in result["alerts"]}


def test_plain_text_keeps_lines_and_collapses_runs_of_spaces_and_blank_lines():
    from spasmdx.fhir.attachments import plain_text

    assert (
        plain_text("HPI:\r\n\tCramps  at\u00a0night \t\r\n\r\n\r\n\r\nNo fever.\rEnd")
        == "HPI:\nCramps at night\n\nNo fever.\nEnd"
    )


def test_an_attachment_larger_than_any_note_is_not_read():
    from spasmdx.fhir.attachments import MAX_NOTE_BYTES

    narrative = read(document("a" * (MAX_NOTE_BYTES + 1)))
    assert narrative.text == "" and reasons(narrative) == ["over 512 KB: not read"]


def test_unpadded_base64_is_forgiven_and_a_codec_that_is_no_charset_is_refused():
    unpadded = base64.b64encode(b"Calf cramps").decode().rstrip("=")
    assert attachment_text({"contentType": "text/plain", "data": unpadded}) == "Calf cramps"
    with pytest.raises(Unreadable, match="not a text encoding"):
        attachment_text({"contentType": "text/plain; charset=rot13", "data": unpadded})


def test_a_note_that_breaks_the_reader_costs_that_note_only(monkeypatch):
    def broken(attachment):
        raise RuntimeError("surprise")

    monkeypatch.setattr(reader, "attachment_text", broken)
    narrative = read(document("Calf cramps."))
    assert narrative.text == "" and reasons(narrative) == ["could not be read"]
