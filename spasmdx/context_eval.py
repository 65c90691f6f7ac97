"""Read an annotated sentence corpus with kb.context, and score it: precision, recall, F1 per label.

The corpus is the ConText one (tests/data/context/README.md): a TSV with a header and at least
the columns `concept` and `sentence`; scoring also needs `negation`, `temporality` and
`experiencer`.  Each row's concept is found in its sentence in any case and with any spacing.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from spasmdx.rules.context import Context
from spasmdx.rules.sentences import Sentence

COLUMNS = ("concept", "sentence")
# The corpus's name for each of ours: a hypothetical mention is "not particular" in time.
TEMPORALITY = {"recent": "recent", "historical": "historical", "hypothetical": "not particular"}
# label -> (column, the value that is the label's positive class); "other" counts family too.
LABELS = {
    "negated": ("negation", "negated"),
    "historical": ("temporality", "historical"),
    "not particular": ("temporality", "not particular"),
    "other experiencer": ("experiencer", "other"),
}


class CorpusError(ValueError):
    """The file cannot be read as a corpus (no header, a column missing)."""


@dataclass(frozen=True)
class Row:
    number: int  # 1 for the first row after the header
    fields: dict[str, str]


def read_rows(handle: TextIO) -> Iterator[Row]:
    """The rows of a TSV with a header holding at least `concept` and `sentence`."""
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise CorpusError(f"the header has no column {', '.join(missing)} (it needs {', '.join(COLUMNS)})")
    for number, fields in enumerate(reader, start=1):
        yield Row(number, {k: v or "" for k, v in fields.items() if k is not None})


def find(concept: str, sentence: str) -> tuple[int, int] | None:
    """Where the concept stands in the sentence, in any case and any spacing; None if absent.

    The corpus writes its target in capitals: when the concept occurs more than once, the
    occurrence so written is the one meant.
    """
    words = concept.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    left = r"(?<!\w)" if words[0][0].isalnum() else ""
    right = r"(?!\w)" if words[-1][-1].isalnum() else ""
    # Whole words first; a concept cut short inside a word ("transplantatio") as a last resort.
    spans = [m.span() for m in re.finditer(left + pattern + right, sentence, re.IGNORECASE)]
    spans = spans or [m.span() for m in re.finditer(pattern, sentence, re.IGNORECASE)]
    if not spans:
        return None
    marked = [s for s in spans if sentence[s[0] : s[1]].isupper()]
    return (marked or spans)[0]


def classify(context: Context, sentence: str, start: int, end: int) -> dict[str, str]:
    """The corpus's three labels for the mention sentence[start:end]."""
    sentences = context.split(sentence)
    holder = next((s for s in sentences if s.start <= start < s.end), None)
    if holder is None:  # the mention is a heading itself: read it on its own
        before = [s.section for s in sentences if s.start <= start]
        holder = Sentence(start, end, before[-1] if before else None)
    modifiers = context.modifiers(sentence, holder, start, end)
    # Two conventions of the corpus's annotators that the product does not share, said here once:
    # what is asked about now ("rule out MI") is recent, not particular being the conditional or
    # generic; and the social history's habits are historical, where the product reads them as
    # current exposures (alcohol, cocaine and exercise weigh on causes of cramps).
    temporality = "recent" if modifiers.asked else TEMPORALITY[modifiers.temporality]
    if temporality == "recent" and holder.section == "social":
        temporality = "historical"
    return {
        "negation": "negated" if modifiers.negated else "affirmed",
        "temporality": temporality,
        "experiencer": modifiers.experiencer,
    }


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def gold(row: Row, column: str) -> str:
    """A row's annotation, with family members counted as others."""
    value = row.fields.get(column, "").strip().lower()
    return "other" if column == "experiencer" and value in ("family member", "family", "other") else value


def score(pairs: Iterable[tuple[Row, dict[str, str]]]) -> dict[str, Counts]:
    """Confusion counts per label over (annotated row, prediction) pairs."""
    counts = {label: Counts() for label in LABELS}
    for row, predicted in pairs:
        for label, (column, positive) in LABELS.items():
            expected, said = gold(row, column) == positive, predicted[column] == positive
            tally = counts[label]
            if expected and said:
                tally.tp += 1
            elif said:
                tally.fp += 1
            elif expected:
                tally.fn += 1
            else:
                tally.tn += 1
    return counts


def render(counts: dict[str, Counts]) -> str:
    """The figures as a table: precision, recall, F1 and the confusion counts per label."""
    lines = [f"{'label':<18} {'precision':>9} {'recall':>7} {'F1':>6} {'TP':>5} {'FP':>5} {'FN':>5} {'TN':>6}"]
    for label, c in counts.items():
        lines.append(
            f"{label:<18} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.tp:>5} {c.fp:>5} {c.fn:>5} {c.tn:>6}"
        )
    return "\n".join(lines)
