"""Read a clinical note: every mention of a finding, condition, drug or lab result, where it stands and what it says.

`read_note(kb, text, path)` is a pure function any caller can use (the API's `narrative`, FHIR notes
joined into one text): the note is split into sentences under their sections (`kb.context.split`);
the vocabulary's phrases and patterns are found with their character offsets (`Matcher.spans`), drug
names likewise (an ambiguous class word only in a drug context, rules/drug_sense.py), and lab results
as rules/lab_text.py reads them; each mention is then classified by `kb.context.modifiers` (negation,
temporality, experiencer) into one status:

    family        about someone else ("mother had ALS")
    hypothetical  queried, planned or conditional ("return if cramps recur", "?DVT")
    absent        negated ("no dark urine", "denies weakness")
    historical    in the past ("h/o DVT 2019", "cramps resolved", "stopped atorvastatin")
    present       the patient's, now

What each status counts as is rules/resolve.py's to decide, from the vocabulary's data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from .context import Modifiers
from .exposure import exposure_in_text, taken_again, taken_now
from .knowledge import KnowledgeBase
from .lab_text import EARLIER, LabMention
from .matching import Span, Words
from .sentences import Sentence

MENTION_KINDS = ("finding", "condition", "medication", "lab")
MENTION_STATUSES = ("present", "absent", "historical", "hypothetical", "family")


@dataclass(frozen=True, slots=True)
class NoteMention:
    """One mention read in a note: text[start:end] names `concept` (a concept, drug or lab id)."""

    path: str
    start: int
    end: int
    text: str
    concept: str
    kind: str  # finding | condition | medication | lab
    status: str  # present | absent | historical | hypothetical | family
    sentence_end: int  # where its sentence ends: a drug's dose is read up to there
    lab: LabMention | None = None  # a lab result's reading

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "concept": self.concept,
            "kind": self.kind,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class NoteReading:
    mentions: tuple[NoteMention, ...]  # in order of start
    unreadable: tuple[tuple[str, str, str], ...]  # (path, input, reason): results that could not be read


Convert = Callable[[str, str], "tuple[float, float] | None"]


def read_note(kb: KnowledgeBase, text: str, path: str = "narrative", convert: Convert | None = None) -> NoteReading:
    """Every mention in the note, each with its offsets and status; unreadable results apart.

    `path` names the text in the request (unreadable results are listed as `path[start:end]`); `convert`
    gives a lab unit's (factor, offset) to the lab's canonical unit, by default the knowledge base's table.
    """
    convert = convert or partial(conversion, kb)
    context = kb.context
    sentences = context.split(text)
    if not sentences or not text.strip():
        return NoteReading((), ())
    starts = [s.start for s in sentences]

    def sentence_at(offset: int) -> Sentence:
        return sentences[max(bisect_right(starts, offset) - 1, 0)]

    statuses: dict[tuple[int, int], str] = {}  # one span may name several concepts ("right calf swelling")
    read: dict[Sentence, Any] = {}  # each sentence's cue scopes, read once for all its mentions

    def status(sentence: Sentence, start: int, end: int) -> str:
        known = statuses.get((start, end))
        if known is None:
            known = statuses[(start, end)] = status_of(context.modifiers(text, sentence, start, end, read))
        return known

    # Every mention first, then each classified in the note's order (kb.context reads a sentence once).
    terms = kb.terminology
    words = Words(text)
    pending: list[tuple[NoteMention, Span | None]] = []  # (mention, the drug's span for a drug)
    for span in _outermost(terms.concept_text.spans(words)):
        kind = kb.concepts[span.id].kind
        end = sentence_at(span.start).end
        pending.append(
            (NoteMention(path, span.start, span.end, text[span.start : span.end], span.id, kind, "", end), None)
        )
    for span in _outermost(terms.drug_spans(text, words)):
        end = sentence_at(span.start).end
        mention = NoteMention(path, span.start, span.end, text[span.start : span.end], span.id, "medication", "", end)
        pending.append((mention, span))
    unreadable: list[tuple[str, str, str]] = []
    for sentence in sentences:
        pending.extend((mention, None) for mention in _labs(kb, text, sentence, convert, path, unreadable))
    pending.sort(key=lambda p: (p[0].start, p[0].end, MENTION_KINDS.index(p[0].kind), p[0].concept))
    found: dict[tuple[int, int, str], NoteMention] = {}
    for mention, drug in pending:
        said = mention.status
        if not said:
            sentence = sentence_at(mention.start)
            said = status(sentence, mention.start, mention.end)
            if drug is not None:
                said = _drug_status(text, sentence, drug, said)
        found.setdefault((mention.start, mention.end, mention.concept), _with_status(mention, said))
    return NoteReading(tuple(found.values()), tuple(unreadable))


def conversion(kb: KnowledgeBase, lab: str, unit: str) -> tuple[float, float] | None:
    """A lab unit's (factor, offset) to the lab's canonical unit; None for a unit the lab does not know."""
    factor = kb.units.factor(lab, unit)
    return None if factor is None else (factor, kb.units.offset(lab, unit))


def status_of(said: Modifiers) -> str:
    """One status from ConText's three modifiers: someone else's first, then queried, negated, past."""
    if said.experiencer != "patient":
        return "family"
    if said.temporality == "hypothetical":
        return "hypothetical"
    if said.negated:
        return "absent"
    return "historical" if said.temporality == "historical" else "present"


def _drug_status(text: str, sentence: Sentence, span: Span, said: str) -> str:
    """A drug's status, with the words of stopping and restarting around it ("stopped X 2 weeks ago": past)."""
    if said not in ("present", "historical"):
        return said
    words = text[sentence.start : sentence.end]
    name = text[span.start : span.end]
    if said == "historical":
        # The sentence is about the past ("h/o hypothyroidism, on levothyroxine"), the drug may not be.
        taken = taken_again(words) or taken_now(text[sentence.start : span.start])
        return "present" if taken and exposure_in_text(words, False, "current", name) != "past" else said
    return "historical" if exposure_in_text(words, False, "current", name) == "past" else said


def _outermost(spans: tuple[Span, ...]) -> list[Span]:
    """Drop a span inside a longer one of the same id ("cramps" within "calf cramps")."""
    by_id: dict[str, list[Span]] = {}
    for span in spans:
        by_id.setdefault(span.id, []).append(span)
    out: list[Span] = []
    for same in by_id.values():
        same.sort(key=lambda s: (s.start, -s.end))
        reach = -1
        for span in same:
            if span.end > reach:
                out.append(span)
                reach = span.end
    # In the note's order: kb.context keeps the cue scopes of the sentence it read last.
    return sorted(out, key=lambda s: (s.start, s.end, s.id))


def _labs(
    kb: KnowledgeBase,
    text: str,
    sentence: Sentence,
    convert: Convert,
    path: str,
    unreadable: list[tuple[str, str, str]],
) -> list[NoteMention]:
    """The results a sentence states, each located in the note; a status phrase that is a concept stays one."""
    words = text[sentence.start : sentence.end]
    out: list[NoteMention] = []
    cursor = 0
    for said in kb.terminology.lab_results.read(words, convert):
        at = words.find(said.shown, cursor)
        if at < 0:
            at = words.find(said.shown)
        if at < 0:
            continue  # a reading that is not a slice of the sentence: nothing to point at
        cursor = at + len(said.shown)
        start, end = sentence.start + at, sentence.start + at + len(said.shown)
        if said.status and kb.terminology.concepts_in(said.shown):
            continue  # "low potassium" is hypokalaemia, already a concept mention
        if said.problem and said.problem != EARLIER:
            unreadable.append((f"{path}[{start}:{end}]", said.shown, said.problem))
            continue
        earlier = "historical" if said.problem == EARLIER else ""  # "baseline CK 102": not the current result
        out.append(NoteMention(path, start, end, said.shown, said.lab, "lab", earlier, sentence.end, said))
    return out


def _with_status(mention: NoteMention, status: str) -> NoteMention:
    return NoteMention(
        mention.path, mention.start, mention.end, mention.text, mention.concept, mention.kind, status,
        mention.sentence_end, mention.lab,
    )  # fmt: skip
