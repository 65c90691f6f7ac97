"""How a probability reads on a screen: the one rule the client table and the CDS card share.

The answer's `probability` stays a number; this is only its display.  A probability from a
model of bounded likelihood ratios is not known to more than about one figure, so it is shown
with no more precision than it has: whole percentages from 10%, one significant figure from
1% to 10%, "<1%" below, and never 100% (">99%").  The page follows the same rule in
`service/static/js/display.js`; tests hold the two to the same table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Causes shown below this are listed by name on one "also considered" line.
MINOR = 0.01

INDEPENDENCE_NOTE = "Each cause is scored on its own and causes can coexist, so the percentages do not add up to 100%."


def percent(probability: float) -> str:
    """Return "46%", "4%", "<1%" or ">99%" for a probability in [0, 1]."""
    value = probability * 100
    if value < 1:
        return "<1%"
    if value >= 99.5:
        return ">99%"  # a post-test probability is never certainty
    # From 1% to 10% one significant figure is the whole number too; halves round up, as in JS.
    return f"{math.floor(value + 0.5)}%"


def split_minor(differential: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Split causes into those shown with a percentage and those under 1%, listed by name only.

    A cause a raised alert names (it carries `alert_ids`) is always shown in full, however low.
    """
    shown: list[Mapping[str, Any]] = []
    minor: list[Mapping[str, Any]] = []
    for cause in differential:
        (minor if cause["probability"] < MINOR and not cause.get("alert_ids") else shown).append(cause)
    return shown, minor


def also_considered(minor: Iterable[Mapping[str, Any]]) -> str:
    """The one line that names the causes under 1%; empty when there are none."""
    names = [cause["name"] for cause in minor]
    return f"Also considered (under 1% each): {', '.join(names)}." if names else ""


# UCUM as the API spells units, and as a clinician writes them; service/static/js/display.js holds
# the same table (a test compares the two).
UNITS = {
    "m[IU]/L": "mIU/L",
    "m[IU]/mL": "mIU/mL",
    "[IU]/L": "IU/L",
    "[IU]/mL": "IU/mL",
    "u[IU]/mL": "µIU/mL",
    "u[U]/mL": "µU/mL",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "Cel": "°C",
    "degC": "°C",
    "[degF]": "°F",
    "degF": "°F",
    "umol/L": "µmol/L",
    "umol/(24.h)": "µmol/24 h",
    "ug/L": "µg/L",
    "ug/dL": "µg/dL",
    "ug/mL": "µg/mL",
    "ug/(24.h)": "µg/24 h",
    "nmol/(24.h)": "nmol/24 h",
    "ukat/L": "µkat/L",
    "/uL": "/µL",
    "10*3/uL": "×10³/µL",
    "10*9/L": "×10⁹/L",
    "{INR}": "INR",
    "meq/L": "mEq/L",
    "mosm/kg": "mOsm/kg",
}
# A unit after a number in the service's text ("TSH 8 m[IU]/L"), longest first so "m[IU]/L" beats "[IU]/L".
_UNIT_IN_TEXT = re.compile(
    r"(\d) (" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?=$|[\s,;.)\]])"
)
STEPS = 3  # next steps per cause in the summary: the first, as the knowledge base orders them
SEVERITY = {"critical": "Critical", "warning": "Warning", "info": "Note"}
# How a mention in a clinical note was read (the answer's `understood`), in the order the page's
# legend, the client and the summary give them.
NOTE_STATUSES = ("present", "absent", "historical", "hypothetical", "family")


def clinical_text(text: str) -> str:
    """The service's text with units in clinical notation and whole numbers without ".0"."""
    text = re.sub(r"(?<![\d.])(\d+)\.0(?![\d.])", r"\1", str(text))
    return _UNIT_IN_TEXT.sub(lambda match: f"{match[1]} {UNITS[match[2]]}", text)


def concept_name(concept: str, names: Mapping[str, str] | None = None) -> str:
    """The knowledge base's name for a concept id (GET /v1/vocabulary), else the id in words."""
    return (names or {}).get(concept) or concept.replace("_", " ")


def note_lines(understood: Sequence[Mapping[str, Any]], names: Mapping[str, str] | None = None) -> list[str]:
    """What a note was read as, short: a line per status, each concept once with the note's first words for it."""
    lines = []
    for status in NOTE_STATUSES:
        read: dict[str, str] = {}
        for item in understood:
            if item["status"] == status:
                read.setdefault(concept_name(item["concept"], names), item["text"])
        if read:
            lines.append(f"- {status.capitalize()}: " + ", ".join(f"{name} (“{text}”)" for name, text in read.items()))
    return lines


def summary(answer: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Plain text for a clinical note: alerts, the first three causes, pitfalls, what the note was read
    as (`names`: concept id to name), version and request id.

    The page's "Copy summary" builds the same text (`summary` in display.js); a test holds them equal.
    """
    lines = ["spasmdx differential (decision support, not a diagnosis)", "", "Alerts:"]
    if not answer["alerts"]:
        lines.append("- None raised.")
    for alert in answer["alerts"]:
        lines.append(f"- {SEVERITY.get(alert['severity'], alert['severity'])}: {clinical_text(alert['message'])}")
    differential = answer["differential"]
    lines += ["", f"Leading causes ({min(3, len(differential))} of {len(differential)}):"]
    if not differential:
        lines.append("- Nothing in this context points at a cause the knowledge base holds.")
    for cause in differential[:3]:
        lines.append(f"{cause['rank']}. {cause['name']}: {percent(cause['probability'])}")
        if cause.get("established"):
            lines.append(f"   Established: {clinical_text(cause['established']['criterion'])}")
        for item in cause["evidence"][:3]:
            side = "For" if item["effect"] == "supports" else "Against"
            lines.append(f"   {side}: {clinical_text(item['reason'])} ({clinical_text(item['input'])})")
        lines += [f"   Next step: {clinical_text(step)}" for step in cause["next_steps"][:STEPS]]
    lines.append(INDEPENDENCE_NOTE)
    if answer["pitfalls"]:
        lines += ["", "Pitfalls:"] + [f"- {clinical_text(p['message'])}" for p in answer["pitfalls"]]
    if answer.get("understood"):
        lines += ["", "Read in the note:", *note_lines(answer["understood"], names)]
    lines += ["", f"Knowledge base {answer['knowledge_base']['version']}; request id {answer['request_id']}."]
    return "\n".join(lines)
