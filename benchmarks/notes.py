"""make bench, the note reader: sentences and ConText modifiers for a note's mentions, by note size."""

from __future__ import annotations

import re
import statistics
import time
from bisect import bisect_right
from collections.abc import Callable

NOTE = """HPI: 54-year-old woman with calf cramps for two weeks, worse at night and after walking.
Denies fever, chills or myalgia. No dark urine. Started atorvastatin 40 mg daily in March;
no increase in cramps since the dose was halved, but twitching of both calves persists.
PMH: DVT 2019, treated with warfarin. Hypothyroidism. s/p thyroidectomy 2015.
FAMILY HISTORY: mother had ALS; father with diabetes.
SOCIAL HISTORY: drinks alcohol rarely, never smoked.
ROS: negative for weakness, numbness, tingling, dysphagia
Fever: no
Chills - denies
Cramps: yes
Exam: calf tenderness, no swelling of right calf. Reflexes normal. No fasciculations seen.
Labs: CK 4,200 U/L; K 2.9 mmol/L; TSH 6.1 mIU/L; magnesium 0.6 mmol/L.
Anti-HMGCR and anti-SRP antibodies negative.
A/P: statin myopathy versus hypothyroid myopathy. Rule out rhabdomyolysis; ?DVT given the
history. Hold atorvastatin. Recheck CK and TSH in one week. Return if cramps recur or
dark urine appears. Should she develop weakness, call the clinic at once.
"""
WORDS = (
    "cramps", "fever", "chills", "myalgia", "dark urine", "atorvastatin", "twitching", "DVT", "warfarin",
    "Hypothyroidism", "thyroidectomy", "ALS", "diabetes", "alcohol", "weakness", "numbness", "tingling",
    "dysphagia", "calf tenderness", "swelling", "fasciculations", "CK", "K", "TSH", "magnesium",
    "Anti-HMGCR", "anti-SRP", "rhabdomyolysis", "myopathy",
)  # fmt: skip


def _mentions(note: str, limit: int | None = None) -> list[tuple[int, int]]:
    spans = sorted(m.span() for w in WORDS for m in re.finditer(rf"\b{re.escape(w)}\b", note))
    return spans[:limit] if limit else spans


def _reader(kb, note: str, spans: list[tuple[int, int]]) -> Callable[[], None]:
    def read() -> None:
        sentences = kb.context.split(note)
        starts = [s.start for s in sentences]
        for start, end in spans:
            sentence = sentences[max(0, bisect_right(starts, start) - 1)]
            kb.context.modifiers(note, sentence, start, end)

    return read


def _median_ms(run: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def notes(kb) -> None:
    """Print the median time to read a note's mentions, for a 2,000-character note and harder ones."""
    two_k = (NOTE * 2)[:2000]
    spans = _mentions(two_k, 30)
    print(f"notes: 2,000 characters, {len(spans)} mentions: median {_median_ms(_reader(kb, two_k, spans), 500):.2f} ms")
    twenty_k = (NOTE * 15)[:20000]
    print(f"notes: 20,000 characters, {len(_mentions(twenty_k))} mentions: median "
          f"{_median_ms(_reader(kb, twenty_k, _mentions(twenty_k)), 50):.1f} ms")  # fmt: skip
    for name, text in (
        ('"no" 200 times, then a mention', "no " * 200 + "cramps"),
        ('"no" for 20,000 characters', ("no " * 7000)[:19994] + "cramps"),
        ("one word for 20,000 characters", ("cramps " * 3000)[:20000]),
    ):
        spans = [(len(text) - 6, len(text))]
        print(f"notes: {name}: median {_median_ms(_reader(kb, text, spans), 20):.2f} ms")
