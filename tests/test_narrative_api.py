"""The narrative in the contract: accepted up to 20,000 characters, refused by name, shown back in `understood`."""

from __future__ import annotations

import pytest
from contract import conforms
from marshmallow import ValidationError

from spasmdx.schemas.fastpath import load_context
from spasmdx.schemas.request import MAX_NARRATIVE, MAX_TEXT_TOTAL, ContextSchema
from spasmdx.schemas.response import DifferentialSchema

NOTE = "Cramps in both calves at night for a month. Stopped simvastatin 40 mg last week. No dark urine. CK 3,900 U/L."


def post(client, body):
    return client.post("/v1/differential", json=body)


def test_a_note_is_answered_with_what_was_understood_and_holds_to_the_contract(client):
    response = post(client, {"patient": {"age": 61}, "narrative": NOTE})
    assert response.status_code == 200
    conforms(response)
    body = response.get_json()
    DifferentialSchema().load(body)
    understood = body["understood"]
    assert understood == sorted(understood, key=lambda u: (u["start"], u["end"]))
    for mention in understood:
        assert mention["path"] == "narrative"
        assert NOTE[mention["start"] : mention["end"]] == mention["text"]
    kinds = {u["kind"] for u in understood}
    assert {"finding", "medication", "lab"} <= kinds


def test_evidence_read_in_the_note_points_at_its_words(client):
    body = post(client, {"narrative": NOTE}).get_json()
    spans = [s for cause in body["differential"] for e in cause["evidence"] for s in e.get("spans", ())]
    assert spans, "no evidence points into the note"
    for span in spans:
        assert span["path"] == "narrative" and 0 <= span["start"] < span["end"] <= len(NOTE)
    ck = [e for c in body["differential"] for e in c["evidence"] if e["input"].startswith("CK 3,900")]
    assert ck and all(e["source"] == "narrative" for e in ck)
    assert NOTE[ck[0]["spans"][0]["start"] : ck[0]["spans"][0]["end"]] == "CK 3,900 U/L"


def test_an_answer_without_a_note_has_no_understood_list(client):
    body = post(client, {"findings": ["calf cramps"]}).get_json()
    assert "understood" not in body
    assert "understood" not in post(client, {"narrative": "Seen today, well."}).get_json()


@pytest.mark.parametrize("value", [42, ["cramps"], {"text": "cramps"}, True, None])
def test_a_narrative_that_is_not_a_string_is_a_422_naming_it(client, value):
    response = post(client, {"narrative": value})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["path"] for e in response.get_json()["errors"]] == ["narrative"]


def test_a_narrative_over_20000_characters_is_a_422_naming_it_and_20000_is_accepted(client):
    assert MAX_NARRATIVE == 20_000
    over = post(client, {"narrative": "cramps " * 2857 + "x" * 2})
    assert over.status_code == 422
    assert [e["path"] for e in over.get_json()["errors"]] == ["narrative"]
    assert "20000" in over.get_json()["errors"][0]["message"]
    at_limit = post(client, {"narrative": ("calf cramps at night. " * 1000)[:20_000]})
    assert at_limit.status_code == 200
    conforms(at_limit)


def test_the_narrative_has_its_own_budget_beside_the_item_texts():
    items = ["x" * 400] * (MAX_TEXT_TOTAL // 400)  # exactly the item budget
    context = {"findings": items, "narrative": "y" * MAX_NARRATIVE}
    assert ContextSchema().load(context)["narrative"] == "y" * MAX_NARRATIVE
    assert load_context(context) == ContextSchema().load(context)


@pytest.mark.parametrize(
    "context",
    [
        {"narrative": NOTE},
        {"narrative": ""},
        {"narrative": NOTE, "findings": ["cramps"], "patient": {"age": 40}},
        {"narrative": "n" * (MAX_NARRATIVE + 1)},
        {"narrative": 7},
    ],
)
def test_the_fast_path_loads_a_narrative_as_marshmallow_does(context):
    assert _loaded(load_context, context) == _loaded(ContextSchema().load, context)


def _loaded(load, context):
    """What a loader returns, or the messages of the error it raises."""
    try:
        return load(context)
    except ValidationError as error:
        return ("error", error.messages)


def test_a_lab_in_the_note_with_an_unknown_unit_is_unrecognized_with_its_span(client):
    note = "Seen today. Potassium 4.1 g/L. Cramps."
    body = post(client, {"narrative": note}).get_json()
    paths = [u["path"] for u in body["unrecognized"]]
    assert any(p.startswith("narrative[") for p in paths), body["unrecognized"]
    path = next(p for p in paths if p.startswith("narrative["))
    start, end = (int(x) for x in path[len("narrative[") : -1].split(":"))
    assert note[start:end] == "Potassium 4.1 g/L"


def test_no_word_of_a_note_sent_to_the_api_is_kept_in_memory_after_the_call(client):
    # As tests/test_cds_notes.py checks for the hook: the reader's caches keep vocabulary, never a note.
    import gc

    word = "quillifrondaxes"
    note = f"Cramps since the {word} trip; no {word} fever. {word.title()} calf swelling on the right. K 2.9."
    assert post(client, {"narrative": note}).status_code == 200
    note = ""
    gc.collect()
    held = [
        item
        for thing in gc.get_objects()
        if isinstance(thing, (dict, list, tuple, set, frozenset))
        for item in ([*thing.keys(), *thing.values()] if isinstance(thing, dict) else thing)
        if isinstance(item, str) and item is not word and word[:10] in item
    ]
    assert held == []
