"""make bench, the narrative: the time a clinical note adds to a whole request (reading, filing, scoring)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from .notes import NOTE


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


def added(score: Callable[[dict[str, Any]], Any], base: dict[str, Any]) -> None:
    """Print the median time a note adds to a request: 2,000 and 20,000 characters, and two pathological notes."""
    short, long = (NOTE * 2)[:2_000], (NOTE * 15)[:20_000]
    cases = [
        ("2,000-character note", short, 200),
        ("20,000-character note", long, 30),
        ('200 x "no"', " ".join(["no"] * 200), 200),
        ("one word repeated to 20,000 characters", ("cramps " * 2858)[:20_000], 20),
    ]
    figures = {}
    for name, note, rounds in cases:
        figures[name] = added_ms(score, base, note, rounds)
        print(f"narrative, {name}: adds {figures[name]:.2f} ms to a request (median of {rounds})")
    ratio = figures["20,000-character note"] / max(figures["2,000-character note"], 1e-9)
    print(f"narrative, 20,000 / 2,000 characters: {ratio:.1f} x the time (10 x is linear)")
