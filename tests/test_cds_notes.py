"""The hook reads the chart's notes: prefetched or fetched, inline or by url, quoted on cards, never kept."""

from __future__ import annotations

import base64
import copy
import gc
import logging
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import cds
import pytest
from cds import CK_40_ULN, SERVICE, STATIN, hook_request, patient, prefetch, searchset, spec_problems
from contract import conforms
from documents import document, encoded, note_html

from spasmdx.service import create_app

UNRECOGNIZED, UNDERSTOOD = "dev.spasmdx.unrecognized", "dev.spasmdx.understood"
ATTACHMENT = "prefetch.notes.entry[0].content[0].attachment"
SECRET = "Zebediah-Quixote"  # a word only the notes hold: it must appear in no log, metric or counter
RHABDO_NOTE = f"Seen by {SECRET}. Calf cramps for 2 weeks. Dark urine since yesterday. No fever. CK 8000 U/L."
TOKEN = {"access_token": "opaque-token", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}


def with_notes(*documents, labs=(CK_40_ULN,), medications=(STATIN,)) -> dict:
    given = prefetch(medications=medications, labs=labs)
    given["notes"] = searchset(*documents) if documents else None
    return given


def chart(path, headers, notes=()):
    """A FHIR server with one statin user, a CK of 40 x ULN, the given notes and a Binary holding a note."""
    parts = urlsplit(path)
    kind = parts.path.removeprefix("/fhir/")
    if kind == "Patient/p1":
        return 200, patient()
    if kind == "Binary/b1":
        return 200, {"resourceType": "Binary", "contentType": "text/plain", "data": encoded(RHABDO_NOTE)}
    if parse_qs(parts.query).get("patient") != ["p1"]:
        return 404, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
    found = {"MedicationRequest": [STATIN], "Observation": [CK_40_ULN], "DocumentReference": list(notes)}
    return 200, searchset(*found.get(kind, []))


@pytest.fixture(scope="module")
def ehr():
    route = {"answer": chart}
    with cds.fhir_server(lambda path, headers: route["answer"](path, headers)) as (base, seen):
        yield base, seen, route


@pytest.fixture(scope="module")
def app(ehr):
    return create_app({"TESTING": True, "CDS_FHIR_TIMEOUT": 2, "CDS_FHIR_SERVERS": ehr[0]})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def fhir_server(ehr):
    base, seen, route = ehr

    @contextmanager
    def answering(answer):
        seen.clear()
        route["answer"] = answer
        try:
            yield base, seen
        finally:
            route["answer"] = chart

    return answering


def post(client, body):
    response = client.post(SERVICE, json=body)
    assert response.status_code == 200, response.get_json()
    conforms(response)
    assert spec_problems(response.get_json()) == []
    return response.get_json()


def unrecognized(answer):
    return answer.get("extension", {}).get(UNRECOGNIZED, [])


def details(answer):
    return "\n".join(card["detail"] for card in answer["cards"])


def test_a_note_raises_the_alert_and_the_card_names_the_note_and_quotes_the_words(client):
    answer = post(client, hook_request(with_notes(document(RHABDO_NOTE), labs=())))
    alert = answer["cards"][0]
    assert alert["indicator"] == "critical"
    assert "**In the notes:** Progress note, 2026-11-18, Physician: “CK 8000 U/L”, “Dark urine”" in alert["detail"]
    assert SECRET not in details(answer) and "Calf cramps for 2 weeks" not in details(answer)  # words, not the note
    understood = answer["extension"][UNDERSTOOD]
    urine = next(item for item in understood if item["concept"] == "dark_urine")
    assert urine["path"] == ATTACHMENT and RHABDO_NOTE[urine["start"] : urine["end"]] == "Dark urine"


def test_the_info_card_lists_note_evidence_beside_coded_evidence(client):
    answer = post(client, hook_request(with_notes(document(RHABDO_NOTE))))
    differential = answer["cards"][-1]["detail"]
    assert "   - For: atorvastatin 20 MG Oral Tablet" in differential
    assert "   - For (notes): Dark urine:" in differential and "Physician: “Dark urine”" in differential


def test_html_notes_are_read_and_offsets_are_in_the_text_as_read(client):
    markup = "<h2>History</h2><p>Calf cramps.</p><script>x='Dark urine'</script><p>Dark urine today.</p>"
    answer = post(client, hook_request(with_notes(note_html(markup), labs=())))
    understood = answer["extension"][UNDERSTOOD]
    urine = [item for item in understood if item["concept"] == "dark_urine"]
    # The text as read is "History\n\nCalf cramps.\nDark urine today.": the script is gone.
    assert len(urine) == 1 and (urine[0]["start"], urine[0]["end"]) == (22, 32)


def test_a_label_from_the_chart_is_escaped_as_markdown(client):
    doc = document(RHABDO_NOTE, type={"text": "*Urgent* <b>note</b> [x](http://evil)"})
    alert = post(client, hook_request(with_notes(doc, labs=())))["cards"][0]["detail"]
    assert r"\*Urgent\* \<b\>note\</b\> \[x\](http://evil), 2026-11-18, Physician: “CK 8000 U/L”" in alert


@pytest.mark.parametrize(
    "doc,reason",
    [
        pytest.param(
            document(RHABDO_NOTE, content_type="application/pdf"),
            "application/pdf: not a type read here (text/plain, text/html): not read",
            id="pdf",
        ),
        pytest.param(
            document(RHABDO_NOTE, content_type="text/rtf"),
            "text/rtf: not a type read here (text/plain, text/html): not read",
            id="rtf",
        ),
        pytest.param(
            document(RHABDO_NOTE, pid="p2"),
            "about another patient than context.patientId: not used",
            id="other-patient",
        ),
        pytest.param(document(RHABDO_NOTE, status="entered-in-error"), "entered in error: not used", id="in-error"),
        pytest.param(
            document(RHABDO_NOTE, when="2026-01-02"),
            "written 2026-01-02, over 30 days before 2026-11-20: not read",
            id="old",
        ),
    ],
)
def test_a_note_not_used_is_listed_with_the_reason_and_raises_nothing(client, doc, reason):
    answer = post(client, hook_request(with_notes(doc, labs=())))
    assert [n["reason"] for n in unrecognized(answer)] == [reason]
    assert UNDERSTOOD not in answer.get("extension", {})
    assert all(card["indicator"] != "critical" for card in answer["cards"])


def test_the_note_window_is_a_setting():
    wide = create_app({"TESTING": True, "CDS_NOTE_MAX_AGE_DAYS": 400}).test_client()
    answer = post(wide, hook_request(with_notes(document(RHABDO_NOTE, when="2026-01-02"), labs=())))
    assert answer["cards"][0]["indicator"] == "critical"


def test_notes_past_the_budget_are_cut_at_a_sentence_and_said_so(client):
    filler = "Cramps in the calves at night relieved by stretching. " * 300
    docs = [document(filler, when="2026-11-19", ident="n1"), document(filler + RHABDO_NOTE, ident="n2")]
    answer = post(client, hook_request(with_notes(*docs, labs=())))
    reasons = [n["reason"] for n in unrecognized(answer)]
    assert len(reasons) == 1 and reasons[0].startswith("cut at 3,") and reasons[0].endswith("read to 20,000")
    assert all(card["indicator"] != "critical" for card in answer["cards"])  # the dark urine was past the cut


def test_without_a_fhir_server_absent_notes_are_no_data_and_no_412(client):
    given = with_notes()
    del given["notes"]
    answer = post(client, hook_request(given))
    assert answer["cards"][0]["indicator"] == "critical" and unrecognized(answer) == []


def test_left_out_notes_are_fetched_from_the_allowed_server(client, fhir_server):
    given = with_notes()
    del given["notes"]
    with fhir_server(lambda path, headers: chart(path, headers, [document(RHABDO_NOTE)])) as (base, seen):
        answer = post(client, hook_request(given, fhirServer=base, fhirAuthorization=TOKEN))
    assert [r["path"] for r in seen] == [
        "/fhir/DocumentReference?patient=p1&category=clinical-note&status=current&_sort=-date&_count=5"
    ]
    assert seen[0]["headers"]["Authorization"] == "Bearer opaque-token"
    assert "Physician: “Dark urine”" in answer["cards"][0]["detail"]


def test_notes_that_cannot_be_fetched_are_a_notice_never_a_412(client, fhir_server):
    given = with_notes()
    del given["notes"]
    with fhir_server(lambda path, headers: (500, {"resourceType": "OperationOutcome"})) as (base, _):
        answer = post(client, hook_request(given, fhirServer=base))
    assert [n["path"] for n in unrecognized(answer)] == ["prefetch.notes"]
    assert unrecognized(answer)[0]["reason"] == "could not be fetched from the fhirServer"


@pytest.mark.parametrize("url", ["Binary/b1", "{base}/Binary/b1"], ids=["relative", "absolute"])
def test_an_attachment_by_url_is_fetched_as_a_binary_from_the_same_server(client, fhir_server, url):
    with fhir_server(chart) as (base, seen):
        doc = document("")
        doc["content"][0]["attachment"] = {"contentType": "text/plain", "url": url.format(base=base)}
        answer = post(client, hook_request(with_notes(doc, labs=()), fhirServer=base, fhirAuthorization=TOKEN))
    assert [r["path"] for r in seen] == ["/fhir/Binary/b1"]
    assert seen[0]["headers"]["Authorization"] == "Bearer opaque-token"
    assert "Physician: “CK 8000 U/L”, “Dark urine”" in answer["cards"][0]["detail"]


def test_an_attachment_on_another_server_is_never_fetched(client, fhir_server):
    doc = document("")
    doc["content"][0]["attachment"] = {"contentType": "text/plain", "url": "https://elsewhere.example/Binary/b1"}
    with fhir_server(chart) as (base, seen):
        answer = post(client, hook_request(with_notes(doc, labs=()), fhirServer=base, fhirAuthorization=TOKEN))
    assert seen == []
    assert unrecognized(answer)[0] == {
        "path": ATTACHMENT,
        "input": "DocumentReference/n1",
        "reason": "its url could not be read from an allowed fhirServer: not read",
    }


def test_an_attachment_fetch_counts_against_the_call_byte_limit(fhir_server):
    doc = document("")
    doc["content"][0]["attachment"] = {"contentType": "text/plain", "url": "Binary/b1"}
    with fhir_server(chart) as (base, seen):
        small = create_app({"TESTING": True, "CDS_FHIR_SERVERS": base, "CDS_FHIR_MAX_BYTES": 20}).test_client()
        answer = post(small, hook_request(with_notes(doc, labs=()), fhirServer=base))
    assert len(seen) == 1 and "not read" in unrecognized(answer)[0]["reason"]


def test_identical_requests_give_identical_cards(client):
    body = hook_request(with_notes(document(RHABDO_NOTE), note_html("<p>Twitching of the thigh.</p>", ident="n2")))
    first = client.post(SERVICE, json=body).get_data()
    assert client.post(SERVICE, json=copy.deepcopy(body)).get_data() == first


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        from spasmdx.service.requestlog import JsonFormatter

        self.lines.append(JsonFormatter().format(record))


def test_note_text_reaches_no_log_metric_or_feedback_counter(fhir_server, caplog):
    collect = Collect()
    loggers = [logging.getLogger(name) for name in ("", "spasmdx", "werkzeug", "flask", "spasmdx.access")]
    for logger in loggers:
        logger.addHandler(collect)
    caplog.set_level(logging.DEBUG)
    try:
        with fhir_server(lambda path, headers: chart(path, headers, [document(RHABDO_NOTE)])) as (base, _):
            debug = create_app({"TESTING": True, "LOG_LEVEL": "DEBUG", "CDS_FHIR_SERVERS": base}).test_client()
            given = with_notes(document(RHABDO_NOTE, ident="inline"))
            post(debug, hook_request(given))
            fetched = with_notes()
            del fetched["notes"]
            post(debug, hook_request(fetched, fhirServer=base))
            broken = with_notes(document(SECRET, content_type=f"text/{SECRET}"))
            post(debug, hook_request(broken))
            feedback = {"card": SECRET, "outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:00:00Z",
                        "overrideReason": {"userComment": RHABDO_NOTE}}  # fmt: skip
            debug.post(f"{SERVICE}/feedback", json={"feedback": [feedback]})
            metrics = debug.get("/metrics").get_data(as_text=True)
    finally:
        for logger in loggers:
            logger.removeHandler(collect)
    logged = "\n".join(collect.lines + [r.getMessage() for r in caplog.records])
    assert len(collect.lines) >= 4 and SERVICE in logged
    for words in (SECRET, "Calf cramps", "Dark urine", base64.b64encode(RHABDO_NOTE.encode()).decode()[:20]):
        assert words not in logged and words not in metrics


def _live_strings_holding(fragment: str, besides: object) -> list[str]:
    """Every live str (alone, or as a key or member of a live container) that holds `fragment`."""
    gc.collect()
    found = []
    for thing in gc.get_objects():
        if isinstance(thing, dict):
            items = [*thing.keys(), *thing.values()]
        elif isinstance(thing, (list, tuple, set, frozenset)):
            items = list(thing)
        else:
            continue
        found += [item for item in items if isinstance(item, str) and item is not besides and fragment in item]
    return found


def test_no_word_of_a_note_is_kept_in_memory_after_the_call(client):
    # The reader's caches (stems, pattern starts, the short-text matcher) must not keep a note's words:
    # after the call, no live string anywhere in the process holds a word that only the note carried.
    word = "zebediahquixotes"
    fragment = word[:11]  # also catches the word's stem ("zebediahquixot") and any slice of the note
    # A word in a place the reader looks hard at: beside a concept, in a clause with a negation and a side.
    note = f"Calf cramps since the {word} visit, no fever. {word.title()} left calf swelling. Dark urine."
    post(client, hook_request(with_notes(document(note))))
    note = ""
    assert _live_strings_holding(fragment, besides=word) == []


def test_each_mention_and_unreadable_result_names_its_own_note_and_offsets_in_it(client):
    older = document("Calf cramps. Potassium 2.9 U/L.", when="2026-11-10", ident="older")
    newer = document("Twitching of the thigh.", when="2026-11-19", ident="newer")
    answer = post(client, hook_request(with_notes(older, newer, labs=())))
    where = {item["text"]: (item["path"], item["start"], item["end"]) for item in answer["extension"][UNDERSTOOD]}
    assert where["Calf cramps"] == ("prefetch.notes.entry[0].content[0].attachment", 0, 11)
    assert where["Twitching"][0] == "prefetch.notes.entry[1].content[0].attachment" and where["Twitching"][1] == 0
    assert {
        "path": "prefetch.notes.entry[0].content[0].attachment[13:30]",
        "input": "Potassium 2.9 U/L",
        "reason": "unit not known for Potassium (expected e.g. mmol/L)",
    } in unrecognized(answer)


def test_a_slow_attachment_is_cut_off_at_the_call_deadline_and_the_rest_still_answers(fhir_server):
    def slow(path, headers):
        if "/Binary/" in path:
            time.sleep(3)
        return chart(path, headers)

    doc = document("")
    doc["content"][0]["attachment"] = {"contentType": "text/plain", "url": "Binary/b1"}
    with fhir_server(slow) as (base, _):
        quick = create_app({"TESTING": True, "CDS_FHIR_SERVERS": base, "CDS_FHIR_TIMEOUT": 1}).test_client()
        started = time.monotonic()
        answer = post(quick, hook_request(with_notes(doc), fhirServer=base))
        took = time.monotonic() - started
    assert took < 2.5 and answer["cards"][0]["indicator"] == "critical"  # the coded CK still raises it
    assert "its url could not be read" in unrecognized(answer)[0]["reason"]
