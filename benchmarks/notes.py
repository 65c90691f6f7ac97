"""The clinical notes `make bench` times: written from the public vignettes, and two pathological ones."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

_ABSENT = "Denies {}."
_PRESENT = "Reports {}."


def _words(item: Any) -> str:
    if isinstance(item, str):
        return item
    return " ".join(str(item.get(k) or "") for k in ("display", "body_site")).strip()


def note_from(contexts: list[dict[str, Any]], size: int) -> str:
    """A note of `size` characters: the vignettes' findings, conditions, drugs and labs written as sentences."""
    parts: list[str] = []
    total = 0
    while total < size:
        for context in contexts:
            for item in context.get("findings") or ():
                present = isinstance(item, str) or item.get("present", True)
                parts.append((_PRESENT if present else _ABSENT).format(_words(item)))
            parts += [f"History of {_words(item)}." for item in context.get("conditions") or ()]
            parts += [f"Takes {_words(item)}." for item in context.get("medications") or ()]
            parts += [
                f"{lab.get('display', '')} {lab['value']:g} {lab.get('unit', '')}." for lab in context.get("labs") or ()
            ]
            total = sum(len(p) + 1 for p in parts)
            if total >= size:
                break
    return " ".join(parts)[:size]


def added_ms(score: Callable[[dict[str, Any]], Any], base: dict[str, Any], note: str, rounds: int) -> float:
    """The median milliseconds a note adds to scoring `base` (interleaved runs, so drift cancels)."""
    added = []
    for _ in range(rounds):
        start = time.perf_counter()
        score(base)
        middle = time.perf_counter()
        score({**base, "narrative": note})
        end = time.perf_counter()
        added.append(((end - middle) - (middle - start)) * 1000)
    return statistics.median(added)


def narrative(score: Callable[[dict[str, Any]], Any], base: dict[str, Any], contexts: list[dict[str, Any]]) -> None:
    """Print the median time a note adds to a request: 2,000 and 20,000 characters, and two pathological notes."""
    short, long = note_from(contexts, 2_000), note_from(contexts, 20_000)
    cases = [
        ("2,000-character note", short, 200),
        ("20,000-character note", long, 40),
        ('200 x "no"', " ".join(["no"] * 200), 200),
        ("one word repeated to 20,000 characters", ("cramps " * 2858)[:20_000], 40),
    ]
    figures = {}
    for name, note, rounds in cases:
        figures[name] = added_ms(score, base, note, rounds)
        print(f"narrative, {name}: adds {figures[name]:.2f} ms (median of {rounds})")
    ratio = figures["20,000-character note"] / max(figures["2,000-character note"], 1e-9)
    print(f"narrative 20,000/2,000 characters: {ratio:.1f} x the time (10 x is linear)")
