"""The clinical note on the page: typed, sent as `narrative`, shown back with what was read in it."""

from __future__ import annotations

import json
import re

import pytest
import requests
import test_page as shared
from test_page import SUMMARY_ANSWER, open_page, rank, row, type_into

browser = shared.browser  # the one Chromium per module, as test_page.py starts it


@pytest.fixture()
def page(browser, server):
    with open_page(browser, server) as opened:
        yield opened


OVERLAPPING = "Calf cramps for 2 weeks, worse at night. No fever, dark urine or weakness."
STATUS_CLASSES = ["present", "absent", "historical", "hypothetical", "family"]


def write_note(page, text: str) -> None:
    page.get_by_label("History, examination or assessment, as written (optional)").fill(text)


def answer_for(page, server) -> dict:
    """The API's own answer for the body the page sent."""
    sent = json.loads(page.locator("#json-text").input_value())
    return requests.post(f"{server}/v1/differential", json=sent, timeout=10).json()


def marks(page) -> list[dict]:
    return page.locator(".note-text mark.mention").evaluate_all(
        """(marks) => marks.map((m) => ({text: m.textContent, classes: [...m.classList], said: m.dataset.said,
            start: Number(m.dataset.start), end: Number(m.dataset.end), tab: m.getAttribute('tabindex'),
            described: document.getElementById(m.getAttribute('aria-describedby'))?.textContent}))"""
    )


def test_the_note_is_sent_counted_and_shown_back_with_each_mention_marked_by_status(page, server):
    page.get_by_label("Example case").select_option(label="Statin, an interacting antibiotic and a very high CK")
    page.get_by_role("button", name="Load and rank").click()
    page.wait_for_selector(".note-text mark")
    note = page.locator("#narrative").input_value()
    assert note and json.loads(page.locator("#json-text").input_value())["narrative"] == note
    assert page.locator("#narrative-count").inner_text() == f"{len(note)} of 20,000 characters"
    read = len(answer_for(page, server)["understood"])
    assert page.locator("#page-status").inner_text().endswith(f"; {read} mentions read in the clinical note.")
    expected = answer_for(page, server)["understood"]
    assert page.locator(".note-text").text_content() == note  # every character once, none added
    shown = marks(page)
    for item in expected:  # each mention is marked, in its own status, at its own place
        inside = [m for m in shown if item["start"] <= m["start"] and m["end"] <= item["end"]]
        assert "".join(m["text"] for m in inside) == item["text"]
        assert any(f"status-{item['status']}" in m["classes"] for m in inside)
        assert any(f", {item['status']} (“{item['text']}”)" in m["said"] for m in inside)
    assert {item["status"] for item in expected} >= {"present", "absent", "historical", "family"}
    legend = page.locator(".note-legend li")
    assert legend.count() == 5
    assert [legend.nth(i).locator(".mention").get_attribute("class") for i in range(5)] == [
        f"mention status-{status}" for status in STATUS_CLASSES
    ]
    # Not by colour alone: each status has its own underline style too.
    styles = legend.locator(".mention").evaluate_all("(s) => s.map((m) => getComputedStyle(m).textDecorationStyle)")
    colours = legend.locator(".mention").evaluate_all("(s) => s.map((m) => getComputedStyle(m).backgroundColor)")
    assert len(set(styles)) == 5 and len(set(colours)) == 5
    family = next(m for m in shown if m["text"] == "ALS")
    assert "status-family" in family["classes"] and family["said"].startswith("Amyotrophic lateral sclerosis")


def test_a_mention_says_its_concept_and_status_on_keyboard_focus_and_on_hover(page):
    write_note(page, "Calf cramps at night. No fever.")
    rank(page)
    page.wait_for_selector(".note-text mark")
    page.locator("#answer-heading").focus()
    tip = page.locator(".note-tip")
    for _ in range(200):  # Tab through the answer until a mention has the focus, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('mark.mention')"):
            break
    focused = page.evaluate("document.activeElement.textContent")
    assert page.evaluate("document.activeElement.matches('mark.mention')")
    assert tip.is_visible() and focused in tip.inner_text()
    name = page.evaluate("document.getElementById(document.activeElement.getAttribute('aria-describedby')).textContent")
    assert name == tip.inner_text() and ", present (" in name  # the accessible description says the same
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    fever = page.locator(".note-text mark.mention", has_text="fever")
    fever.hover()
    assert tip.is_visible() and tip.inner_text() == "Fever, absent (“fever”)"
    assert "status-absent" in fever.get_attribute("class")


def test_overlapping_mentions_show_every_character_once_and_name_each_mention_over_a_stretch(page, server):
    write_note(page, OVERLAPPING)
    rank(page)
    page.wait_for_selector(".note-text mark")
    assert page.locator(".note-text").text_content() == OVERLAPPING
    understood = answer_for(page, server)["understood"]
    shown = marks(page)
    covered = {(m["start"], m["end"]): m for m in shown}
    for stretch, mark in covered.items():
        over = [u for u in understood if u["start"] <= stretch[0] and stretch[1] <= u["end"]]
        assert mark["said"] == mark["described"]
        assert all(f"(“{u['text']}”)" in mark["said"] for u in over)  # every mention over it is named
        assert ("overlap" in mark["classes"]) == (len(over) > 1)
    # One tab stop per place a mention starts: each mention reached once from the keyboard.
    starts = {u["start"] for u in understood}
    assert sorted(m["start"] for m in shown if m["tab"] == "0") == sorted(starts)


def test_segments_split_crossing_nested_and_adjacent_mentions_in_code_points(page):
    pieces = page.evaluate(
        """async () => {
            const m = await import('/static/js/note.js');
            const items = [
                {start: 0, end: 4, text: 'calf', concept: 'a', status: 'present'},
                {start: 2, end: 8, text: 'lf cra', concept: 'b', status: 'absent'},
                {start: 8, end: 10, text: 'mp', concept: 'c', status: 'family'},
                {start: 5, end: 6, text: 'c', concept: 'd', status: 'historical'},
                {start: 20, end: 30, text: 'beyond', concept: 'e', status: 'present'},
            ];
            const block = m.noteBlock('calf crampsXY', items, {});
            const classes = [...block.querySelectorAll('.note-text mark')].map((mark) => mark.className);
            return [m.segments(12, items).map((p) => [p.start, p.end, p.covering.map((c) => c.concept).join('')]),
                    m.utf16Offsets('a😀b'), classes];
        }"""
    )
    assert pieces[0] == [
        [0, 2, "a"],
        [2, 4, "ab"],  # crossing: both, the shorter first
        [4, 5, "b"],
        [5, 6, "db"],  # nested
        [6, 8, "b"],
        [8, 10, "c"],  # adjacent: a stretch of its own
        [10, 12, ""],  # a mention past the note's end is left out, not drawn
    ]
    assert pieces[1] == [0, 1, 3, 4]  # an emoji is one code point, two UTF-16 units
    assert pieces[2] == [
        "mention status-present starts",
        "mention status-present overlap starts",
        "mention status-absent",
        "mention status-historical overlap starts",
        "mention status-absent",
        "mention status-family starts adjacent",  # set apart from the mention it follows
    ]


def test_a_note_holding_markup_shows_as_text_and_runs_nothing(page):
    hostile = 'Calf cramps <script>window.hit = 1</script> <img src=x onerror="window.hit = 2"> <b>no fever</b>'
    write_note(page, hostile)
    rank(page)
    page.wait_for_selector(".note-text mark")
    assert page.locator(".note-text").text_content() == hostile
    assert page.locator(".note-text script, .note-text img, .note-text b").count() == 0
    assert page.locator("#answer img, #answer script").count() == 0
    assert page.evaluate("window.hit === undefined")


def test_an_evidence_entry_from_the_note_moves_to_its_words(page):
    write_note(page, OVERLAPPING)
    rank(page)
    cause = page.locator(".cause").filter(has=page.locator("h4", has_text="nocturnal leg cramps")).first
    cause.locator("details.evidence summary").click()
    cause.get_by_role("button", name="in the note").first.click()
    linked = page.locator(".note-text mark.linked")
    assert linked.count() >= 1
    assert page.evaluate("document.activeElement.classList.contains('linked')")


def test_editing_the_note_marks_the_answer_stale(page):
    write_note(page, "Calf cramps at night. No fever.")
    rank(page)
    assert page.locator(".note-read").is_visible()
    page.locator("#narrative").press_sequentially(" Worse after running.")
    assert page.locator(".stale-note").is_visible()
    assert not page.locator("#copy-summary").is_visible()


def test_a_note_over_the_limit_is_counted_and_its_422_names_the_clinical_note(page):
    write_note(page, "cramp " * 3334)  # 20,004 characters
    counter = page.locator("#narrative-count")
    assert counter.inner_text().startswith("20,004 of 20,000 characters: 4 too many")
    assert "error-text" in counter.get_attribute("class")
    page.get_by_role("button", name="Rank the causes").click()
    problem = page.locator(".problem")
    problem.wait_for()
    assert "Clinical note: must be at most 20000 characters: shorten it" in problem.inner_text()
    assert page.locator("fieldset.note .field-error").count() == 1
    assert page.locator("#narrative").get_attribute("aria-invalid") == "true"


def test_copy_summary_and_print_give_the_note_in_short_form(browser, server):
    with open_page(browser, server, permissions=["clipboard-read", "clipboard-write"]) as page:
        type_into(row(page, "findings", 0), "Finding", "dark urine")
        write_note(page, OVERLAPPING + " Mother had ALS.")
        rank(page)
        page.get_by_role("button", name="Copy summary").click()
        page.get_by_text("Summary copied").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "Read in the note:" in copied and "- Absent: Fever (“fever”)" in copied
        assert OVERLAPPING not in copied  # the short form, not the whole note
        page.emulate_media(media="print")
        assert not page.locator(".note-text").is_visible()
        short = page.locator(".note-short")
        assert short.is_visible() and "Family: Amyotrophic lateral sclerosis (“ALS”)" in short.inner_text()


@pytest.mark.parametrize("with_names", [True, False], ids=["named", "ids"])
def test_the_page_and_the_client_say_what_a_note_was_read_as_in_the_same_words(page, with_names):
    from spasmdx.display import summary

    answer = json.loads(SUMMARY_ANSWER.read_text())
    answer["understood"] = [
        {"path": "narrative", "start": 0, "end": 4, "text": "Calf", "concept": "muscle_cramp", "kind": "finding",
         "status": "present"},
        {"path": "narrative", "start": 5, "end": 11, "text": "cramps", "concept": "muscle_cramp", "kind": "finding",
         "status": "present"},
        {"path": "narrative", "start": 15, "end": 18, "text": "ALS", "concept": "als_dx", "kind": "condition",
         "status": "family"},
    ]  # fmt: skip
    names = {"muscle_cramp": "Muscle cramp", "als_dx": "ALS"} if with_names else {}
    built = page.evaluate(
        "async ([answer, names]) => (await import('/static/js/display.js')).summary(answer, names)", [answer, names]
    )
    assert built == summary(answer, names)
    assert ("- Present: Muscle cramp (“Calf”)" if with_names else "- Present: muscle cramp (“Calf”)") in built


def test_on_a_tablet_the_note_and_its_tips_fit_without_sideways_scrolling(browser, server):
    with open_page(browser, server, 820, 1180) as page:
        write_note(page, "Worse at night and after long walks, the patient also reports painful calf cramps. No fever")
        rank(page)
        page.wait_for_selector(".note-text mark")
        page.locator(".note-text mark.mention").last.hover()  # a mark at the line's end: its tip stays inside
        assert page.locator(".note-tip").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tip = page.locator(".note-tip").bounding_box()
        frame = page.locator(".note-frame").bounding_box()
        assert tip["x"] >= frame["x"] - 1 and tip["x"] + tip["width"] <= frame["x"] + frame["width"] + 1


def test_offsets_in_code_points_mark_the_right_words_after_an_emoji_and_the_pointer_moves_to_the_note(page, server):
    note = "😀 Patient 👍🏽 reports calf cramps at night. No fever."
    write_note(page, note)
    rank(page)
    page.wait_for_selector(".note-text mark")
    assert page.locator(".note-text").text_content() == note
    for item in answer_for(page, server)["understood"]:  # code points in the answer, UTF-16 in the browser
        inside = [m for m in marks(page) if item["start"] <= m["start"] and m["end"] <= item["end"]]
        assert "".join(m["text"] for m in inside) == item["text"]
    page.get_by_role("link", name="See what the clinical note was read as").click()
    assert page.evaluate("document.activeElement.id") == "note-heading"


def test_pasted_json_with_a_narrative_fills_the_note_box(page):
    page.get_by_text("JSON request, for integrators").click()
    page.locator("#json-text").fill(json.dumps({"narrative": "Calf cramps at night.", "patient": {"age": 70}}))
    page.get_by_role("button", name="Fill form from JSON").click()
    assert page.locator("#narrative").input_value() == "Calf cramps at night."
    assert page.locator("#narrative-count").inner_text() == "21 of 20,000 characters"
    rank(page)
    assert json.loads(page.locator("#json-text").input_value())["narrative"] == "Calf cramps at night."


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_each_status_keeps_text_readable_and_its_underline_visible(page):
    styles = page.evaluate(
        """() => ['present', 'absent', 'historical', 'hypothetical', 'family'].map((status) => {
            const mark = document.createElement('mark');
            mark.className = `mention status-${status}`;
            document.body.append(mark);
            const style = getComputedStyle(mark);
            const seen = [style.color, style.backgroundColor, style.textDecorationColor];
            mark.remove();
            return seen;
        })"""
    )
    for text, background, underline in styles:
        assert contrast(text, background) >= 4.5  # WCAG AA for text
        assert contrast(underline, background) >= 3  # the non-colour cue is itself visible
