"""How a probability reads on a screen: the one rule the client table and the CDS card share.

The answer's `probability` stays a number; this is only its display.  A probability from a
model of bounded likelihood ratios is not known to more than about one figure, so it is shown
with no more precision than it has: whole percentages from 10%, one significant figure from
1% to 10%, "<1%" below, and never 100% (">99%").  The page follows the same rule in
`service/static/js/display.js`; tests hold the two to the same table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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
