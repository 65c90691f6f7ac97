"""Turn an assessment into CDS Hooks cards: one per alert, one for the differential and pitfalls."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from spasmdx.display import INDEPENDENCE_NOTE, also_considered, percent, split_minor
from spasmdx.fhir import is_stale
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.schemas.response import DISCLAIMER

from . import cds_sources
from .cds_sources import Quote

SUMMARY_MAX = 139  # the specification: a summary under 140 characters
TOPIC_SYSTEM = "https://spasmdx.dev/fhir/CodeSystem/card-topic"
OVERRIDE_SYSTEM = "https://spasmdx.dev/fhir/CodeSystem/override-reason"
OVERRIDE_REASONS = (
    {"system": OVERRIDE_SYSTEM, "code": "already-addressed", "display": "Already assessed or being treated"},
    {"system": OVERRIDE_SYSTEM, "code": "data-out-of-date", "display": "The chart data are wrong or out of date"},
    {"system": OVERRIDE_SYSTEM, "code": "not-applicable", "display": "Not applicable to this patient"},
)
# Card uuids are made from the hookInstance, so the same request gives the same cards.
CARD_NAMESPACE = uuid.UUID("6b1f3c52-8e0d-5d7a-9c3e-2f4a1b0c9d87")
TOP_CAUSES = 3
EVIDENCE_SHOWN = 3
STEPS_SHOWN = 2
NOTES_SHOWN = 8
LINKS_SHOWN = 3
BREAKS = (". ", "; ", ", ", " (")  # strongest first
LEAD_MAX = 70  # a trigger longer than this gives way to the alert's title in the summary
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#])")

Where = Callable[[str], str]  # an engine path (labs[2].unit) to the FHIR input it came from


def md(value: str) -> str:
    """Escape text from the chart for Markdown, on one line."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


def _code_span(value: str) -> str:
    return " ".join(str(value).split()).replace("`", "'")  # escapes do not work inside a code span


def summarize(message: str, title: str = "", limit: int = SUMMARY_MAX) -> str:
    """Say what to do in under 140 characters: "<trigger or title>: <action>", cut at a clause end.

    Alert messages read "<when>: <what to do>. <more>"; a trigger too long to lead is
    replaced by the alert's title, so that the action, not the condition, survives the cut.
    """
    text = " ".join(message.split())
    colons = _top_level(text, ": ")
    if not colons:
        return clip_clauses(text, 0, limit)
    trigger, action = text[: colons[0]], text[colons[0] + 2 :]
    lead = trigger if len(trigger) <= LEAD_MAX or not title else title
    return clip_clauses(f"{lead}: {action}", len(lead) + 2, limit)


def clip_clauses(text: str, keep: int, limit: int = SUMMARY_MAX) -> str:
    """Cut text to the limit at a sentence, clause or list end (never within the first `keep` characters).

    The strongest break that still keeps most of the limit wins; else the latest break of any kind.
    """
    if len(text) <= limit:
        return text
    breaks = {stop: [i for i in _top_level(text, stop) if keep < i < limit] for stop in BREAKS}
    for stop, cuts in breaks.items():
        if cuts and cuts[-1] >= limit * 0.6:
            return _cut(text, stop, cuts[-1])
    latest = max(((i, stop) for stop, cuts in breaks.items() for i in cuts), default=None)
    return _cut(text, latest[1], latest[0]) if latest else _clip(text, limit)


def _cut(text: str, stop: str, at: int) -> str:
    return text[: at + 1] if stop == ". " else text[:at]  # a sentence keeps its full stop


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _top_level(text: str, stop: str) -> list[int]:
    """Return the positions of `stop` outside parentheses: a cut inside them would read as broken."""
    depth, found = 0, []
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and text.startswith(stop, i):
            found.append(i)
    return found


def card_uuid(hook_instance: str, key: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{key}"))


def cards(
    kb: KnowledgeBase,
    result: dict[str, Any],
    notes: list[dict[str, str]],
    hook_instance: str,
    quote: Quote | None = None,
) -> list[dict]:
    """Return the cards for an assessment: alerts first (most severe first), then the differential.

    `quote` gives the note and words of a span read in the chart's notes (cds_sources)."""
    alerts, has_differential = result["alerts"], bool(result["differential"] or result["pitfalls"])
    # What was not understood goes where the clinician reads the reasoning: the differential card,
    # else the first alert card.
    notes_on_alert = notes if not has_differential else []
    out = [
        _alert_card(kb, alert, result["differential"], hook_instance, notes_on_alert if i == 0 else [], quote)
        for i, alert in enumerate(alerts)
    ]
    if has_differential:
        out.append(_differential_card(kb, result, hook_instance, notes, quote))
    elif not out and any(is_stale(n) for n in notes):
        # A result too old to use may have been a critical one: say so rather than answer no cards.
        out.append(_stale_card(kb, hook_instance, notes))
    return out


def _stale_card(kb: KnowledgeBase, hook_instance: str, notes: list[dict[str, str]]) -> dict:
    stale = sum(is_stale(n) for n in notes)
    summary = f"Spasm differential: nothing to assess; {stale} lab result(s) too old to use: check for recent ones"
    lead = (
        "**No recent data to assess.** Results older than the service's limit are not used, "
        "whatever their value: a critical one may need repeating."
    )
    lines = [lead, *_footer(kb, notes)]
    source = _source(kb, "differential", "Differential of muscle spasms, cramps and twitches", [])
    return _card("differential", hook_instance, _clip(summary, SUMMARY_MAX), "info", "\n".join(lines), source, [])


def _footer(kb: KnowledgeBase, notes: list[dict[str, str]]) -> list[str]:
    return [*_notes_lines(notes), "", f"_{DISCLAIMER}_ Knowledge base {kb.version}."]


def _title(kb: KnowledgeBase, ident: str) -> str:
    name = kb.name_of(ident)
    return name[:1].upper() + name[1:]


def _source(kb: KnowledgeBase, code: str, display: str, references: Iterable[str]) -> dict[str, Any]:
    source: dict[str, Any] = {
        "label": f"spasmdx knowledge base {kb.version}",
        "topic": {"system": TOPIC_SYSTEM, "code": code, "display": display},
    }
    url = next((u for u in _urls(kb, references)), None)
    if url:
        source["url"] = url[1]
    return source


def _urls(kb: KnowledgeBase, references: Iterable[str]) -> list[tuple[str, str]]:
    found = [kb.references[r] for r in dict.fromkeys(references) if r in kb.references]
    # The evidence first, and a lay article said to be one where its label is clipped.
    return [
        (("Lay article: " if r.lay else "") + r.citation, r.url) for r in sorted(found, key=lambda r: r.lay) if r.url
    ]


def _links(kb: KnowledgeBase, references: Iterable[str]) -> list[dict[str, str]]:
    return [
        {"label": _clip(citation, 100), "url": url, "type": "absolute"}
        for citation, url in _urls(kb, references)[:LINKS_SHOWN]
    ]


def _card(
    key: str,
    hook_instance: str,
    summary: str,
    indicator: str,
    detail: str,
    source: dict[str, Any],
    links: list[dict[str, str]],
) -> dict[str, Any]:
    card = {
        "uuid": card_uuid(hook_instance, key),
        "summary": summary,
        "indicator": indicator,
        "detail": detail,
        "source": source,
        "overrideReasons": [dict(r) for r in OVERRIDE_REASONS],
    }
    if links:  # the specification forbids empty arrays
        card["links"] = links
    return card


def _alert_card(
    kb: KnowledgeBase,
    alert: dict[str, Any],
    differential: list[dict],
    hook_instance: str,
    notes: list[dict[str, str]],
    quote: Quote | None = None,
) -> dict:
    title = _title(kb, alert["id"])
    lines = [f"**{md(title)}** ({alert['severity']})", "", alert["message"]]
    if alert["because"]:
        lines += ["", "**Because:** " + "; ".join(md(b) for b in alert["because"])]
    lines += cds_sources.alert_lines(alert, differential, quote, md)
    ranked = {c["id"]: c for c in differential}
    related = [
        f"{_title(kb, c)} " + (_place(ranked[c]) if c in ranked else "(not in the differential)")
        for c in alert["cause_ids"]
    ]
    if related:
        lines += ["", "**Causes in question:** " + ", ".join(related)]
    lines += _footer(kb, notes)
    indicator = alert["severity"] if alert["severity"] in ("critical", "warning") else "info"
    source = _source(kb, alert["id"], title, alert["references"])
    return _card(
        f"alert/{alert['id']}",
        hook_instance,
        summarize(alert["message"], title),
        indicator,
        "\n".join(lines),
        source,
        _links(kb, alert["references"]),
    )


def _differential_card(
    kb: KnowledgeBase, result: dict[str, Any], hook_instance: str, notes: list[dict[str, str]], quote: Quote | None
) -> dict:
    differential, pitfalls = result["differential"], result["pitfalls"]
    lines: list[str] = []
    if differential:
        shown, minor = split_minor(differential)
        lines += ["**Top of the differential**", "", INDEPENDENCE_NOTE, ""]
        # The top three, and any cause an alert names wherever it ranks: the card shows the link.
        top = [c for i, c in enumerate(shown) if i < TOP_CAUSES or c.get("alert_ids")]
        for cause in top:
            lines += _cause_lines(kb, cause, quote)
        rest = [c for c in shown if c not in top]
        if rest:
            lines += [
                "",
                "Also in play: " + ", ".join(f"{c['name']} ({percent(c['probability'])})" for c in rest) + ".",
            ]
        if minor:
            lines += ["", also_considered(minor)]
    if pitfalls:
        lines += ["", "**Pitfalls**", *(f"- {p['message']}" for p in pitfalls)]
    lines += _footer(kb, notes)
    if differential:
        references = [r["id"] for r in differential[0]["references"]]
    else:
        references = [r for p in pitfalls for r in p["references"]]
    source = _source(kb, "differential", "Differential of muscle spasms, cramps and twitches", references)
    return _card(
        "differential",
        hook_instance,
        _differential_summary(differential, len(pitfalls)),
        "info",
        "\n".join(lines),
        source,
        _links(kb, references),
    )


def _differential_summary(differential: list[dict[str, Any]], pitfalls: int) -> str:
    if not differential:
        return f"Spasm differential: no cause in play; {pitfalls} diagnostic pitfall(s) to consider"
    summary = "Spasm differential: "
    for number, cause in enumerate(differential[:TOP_CAUSES]):
        named = f"{', ' if number else ''}{cause['name']} {percent(cause['probability'])}"
        if number and len(summary + named) > SUMMARY_MAX:
            break  # whole causes with their probability, never a name cut short
        summary += named
    return _clip(summary, SUMMARY_MAX)


def _place(cause: dict[str, Any]) -> str:
    return f"(ranked {cause['rank']}, {percent(cause['probability'])})"


def _cause_lines(kb: KnowledgeBase, cause: dict[str, Any], quote: Quote | None = None) -> list[str]:
    lines = [f"{cause['rank']}. **{cause['name']}**: {percent(cause['probability'])}, {cause['urgency']}"]
    if "established" in cause:
        established = cause["established"]
        because = "; ".join(md(b) for b in established["because"])
        lines.append(f"   - Established: {established['criterion']}" + (f" ({because})" if because else ""))
    for alert_id in cause.get("alert_ids", []):
        lines.append(f"   - See alert: {_title(kb, alert_id)}")
    for entry, where in cds_sources.evidence(cause, EVIDENCE_SHOWN):  # coded, then from the notes
        side = "For" if entry["effect"] == "supports" else "Against"
        said = cds_sources.entry_quotes(entry, quote, md)
        lines.append(
            f"   - {side}{where}: {md(entry['input'])}: {entry['reason']} (LR {entry['likelihood_ratio']:g}{said})"
        )
    for step in cause["next_steps"][:STEPS_SHOWN]:
        lines.append(f"   - Next: {step}")
    return lines


def _notes_lines(notes: list[dict[str, str]]) -> list[str]:
    if not notes:
        return []
    lines = ["", f"**Not understood, so left out of the assessment** ({len(notes)})"]
    # Results left out as too old are always shown: one of them may be a critical value.
    shown = notes[:NOTES_SHOWN] + [n for n in notes[NOTES_SHOWN:] if is_stale(n)]
    lines += [f"- `{_code_span(n['path'])}`: {md(n['input'])}: {n['reason']}" for n in shown]
    if len(notes) > len(shown):
        lines.append(f"- and {len(notes) - len(shown)} more, listed in the response's extension")
    return lines


def unrecognized(mapped_notes: list[dict[str, str]], engine_notes: list[dict[str, str]], where: Where) -> list[dict]:
    """Return the mapping's notes and the engine's, with engine paths turned back into FHIR locations."""
    translated = [{**n, "path": where(n["path"])} for n in engine_notes]
    return [*mapped_notes, *translated]
