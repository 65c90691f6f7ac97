"""Where a card's facts came from in the chart's notes: each note named, the words that said it quoted.

The engine reports what it read in the narrative as spans of it; the hook turns each into a span of
the note it is in (the attachment's path, offsets in that note's text). A card quotes the span alone
(a few words, never the note) as escaped chart text, beside the note's type, date and author role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

QUOTE_MAX = 60  # characters of a note a card quotes for one fact: the mention, never its sentence
QUOTES_SHOWN = 3

Locate = Callable[[Mapping[str, Any]], dict[str, Any]]  # a narrative span to a note's span
Quote = Callable[[str, int, int], "tuple[str, str] | None"]  # a note's span to (note label, words)
Escape = Callable[[str], str]


def located(result: dict[str, Any], locate: Locate) -> dict[str, Any]:
    """Return the assessment with every evidence span and understood item pointing into its note.

    A copy: the engine's answer is not changed in place.
    """
    differential = [
        {**cause, "evidence": [_entry(entry, locate) for entry in cause["evidence"]]}
        for cause in result["differential"]
    ]
    out = {**result, "differential": differential}
    if result.get("understood"):
        out["understood"] = [locate(item) for item in result["understood"]]
    return out


def _entry(entry: dict[str, Any], locate: Locate) -> dict[str, Any]:
    return {**entry, "spans": [locate(span) for span in entry["spans"]]} if entry.get("spans") else entry


def quotes(spans: Iterable[Mapping[str, Any]], quote: Quote, escape: Escape) -> list[str]:
    """Return `<note label>: "<words>", "<words>"` for the spans in each note (escaped; each once, in order)."""
    said: dict[str, list[str]] = {}
    for span in spans:
        found = quote(str(span.get("path")), int(span.get("start", 0)), int(span.get("end", 0)))
        words = " ".join(found[1].split()) if found else ""
        if not found or not words:
            continue
        if len(words) > QUOTE_MAX:
            words = words[: QUOTE_MAX - 1].rsplit(" ", 1)[0] + "…"
        quoted = said.setdefault(found[0], [])
        if f"“{escape(words)}”" not in quoted and len(quoted) < QUOTES_SHOWN:
            quoted.append(f"“{escape(words)}”")
    return [f"{escape(label)}: {', '.join(words)}" for label, words in said.items()]


def alert_spans(alert: Mapping[str, Any], differential: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the note spans behind an alert: those of the evidence, in the causes it names, whose input is
    one of the alert's `because` inputs (the engine gives an alert its inputs, an evidence entry its spans)."""
    because = set(alert.get("because") or ())
    named = set(alert.get("cause_ids") or ())
    found: dict[tuple[str, int, int], dict[str, Any]] = {}
    for cause in differential:
        for entry in cause["evidence"] if cause["id"] in named else ():
            spans = entry.get("spans") or []
            # An entry's input names its inputs in the order of its spans: "CK 4200 U/L ...; Dark urine".
            inputs = [entry["input"]] if len(spans) == 1 else entry["input"].split("; ")
            if len(inputs) != len(spans):
                continue
            for given, span in zip(inputs, spans, strict=True):
                if given in because:
                    found.setdefault((span["path"], span["start"], span["end"]), dict(span))
    return list(found.values())


def alert_lines(
    alert: Mapping[str, Any], differential: Iterable[Mapping[str, Any]], quote: Quote | None, escape: Escape
) -> list[str]:
    """Return the detail lines naming the notes that raised an alert, with the words quoted (none without)."""
    said = quotes(alert_spans(alert, differential), quote, escape) if quote else []
    return ["", "**In the notes:** " + "; ".join(said)] if said else []


def evidence(cause: Mapping[str, Any], shown: int) -> list[tuple[dict[str, Any], str]]:
    """Return the cause's evidence to show: its first coded entries and, beside them, its first from notes."""
    coded = [e for e in cause["evidence"] if not e.get("spans")]
    noted = [e for e in cause["evidence"] if e.get("spans")]
    return [(e, "") for e in coded[:shown]] + [(e, " (notes)") for e in noted[:shown]]


def entry_quotes(entry: Mapping[str, Any], quote: Quote | None, escape: Escape) -> str:
    """Return ` in <note>: "<words>"` for an evidence entry read in the notes, else nothing."""
    said = quotes(entry.get("spans") or (), quote, escape) if quote else []
    return f"; in {'; '.join(said)}" if said else ""
