"""How far the displayed probabilities can be trusted: reliability, ECE, Brier, top-1 confidence.

Every cause an answer lists is one prediction: its displayed probability against whether the
worked case accepts it (it is among the causes a clinician would accept in the first three).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spasmdx.evaluation import CaseResult

BINS = 10


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    mean_probability: float
    accepted: float  # the fraction of its causes the cases accept


@dataclass(frozen=True)
class Calibration:
    bins: list[Bin]
    predictions: int
    ece: float  # expected calibration error: the bins' gaps weighted by their share of predictions
    brier: float
    top1_mean_probability: float
    top1_accuracy: float

    @property
    def top1_gap(self) -> float:
        return self.top1_mean_probability - self.top1_accuracy


def calibration(cases: Iterable[CaseResult], bins: int = BINS) -> Calibration:
    """Measure calibration over every listed cause of every case."""
    cases = list(cases)
    pairs = [(probability, accepted) for case in cases for _, probability, accepted in case.listed]
    table = []
    ece = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        # the last bin is closed so that a probability of 1 is counted
        members = [(p, a) for p, a in pairs if low <= p < high or (index == bins - 1 and p == high)]
        if not members:
            table.append(Bin(low, high, 0, 0.0, 0.0))
            continue
        mean = sum(p for p, _ in members) / len(members)
        accepted = sum(a for _, a in members) / len(members)
        ece += len(members) / len(pairs) * abs(mean - accepted)
        table.append(Bin(low, high, len(members), mean, accepted))
    brier = sum((p - a) ** 2 for p, a in pairs) / len(pairs) if pairs else 0.0
    firsts = [case.listed[0] for case in cases if case.listed]
    return Calibration(
        bins=table,
        predictions=len(pairs),
        ece=ece,
        brier=brier,
        top1_mean_probability=sum(p for _, p, _ in firsts) / len(firsts) if firsts else 0.0,
        top1_accuracy=sum(a for _, _, a in firsts) / len(firsts) if firsts else 0.0,
    )


def render(result: Calibration) -> str:
    """The reliability table and the summary figures, as plain text."""
    lines = [f"{'displayed':<12} {'causes':>6} {'mean shown':>10} {'accepted':>9}"]
    for b in result.bins:
        if b.count:
            label = f"{b.low:.0%}-{b.high:.0%}"
            lines.append(f"{label:<12} {b.count:>6} {b.mean_probability:>10.1%} {b.accepted:>9.1%}")
    lines.append(
        f"\n{result.predictions} listed causes; expected calibration error {result.ece:.3f}, "
        f"Brier score {result.brier:.3f}; top-1 mean probability {result.top1_mean_probability:.0%} "
        f"against top-1 accepted {result.top1_accuracy:.0%} (gap {result.top1_gap:+.0%})"
    )
    return "\n".join(lines)
