"""`cause: als` (or `"*"` with an `urgency`) with `min_probability`: what the differential came to.

Only flags read it: they are evaluated after every cause is scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import KnowledgeError
from .facts import Facts, Mention
from .predicates import CaseWriter, Namer, Predicate, Reach, Reader, Result


@dataclass(frozen=True, slots=True)
class CauseIs(Predicate):
    """True when a cause (or any cause of an urgency) reaches a probability."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"cause": frozenset({"cause", "min_probability", "urgency"})}
    cause: str  # a cause id, or "*" for any
    min_probability: float
    urgency: str | None = None

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        probability = data.get("min_probability")
        if not isinstance(probability, (int, float)) or not 0 < probability <= 1:
            raise KnowledgeError(f"{where}.min_probability", "must be a probability in (0, 1]")
        return CauseIs(str(data["cause"]), float(probability), data.get("urgency"))

    def evaluate(self, facts: Facts) -> Result:
        hits = []
        for cause_id, probability in sorted(facts.cause_probabilities.items()):
            if self.cause not in ("*", cause_id):
                continue
            if self.urgency and facts.cause_urgencies.get(cause_id) != self.urgency:
                continue
            if probability >= self.min_probability:
                hits.append(Mention(f"{cause_id} at {probability:.0%}", "differential"))
        return (True, tuple(hits)) if hits else (False, ())

    def reach(self) -> Reach:
        # The differential is no fact of the case: it answers (False) with nothing present.
        return Reach(frozenset({"differential"}), False, None)

    def describe(self, name: Namer) -> str:
        subject = f"an {self.urgency} cause" if self.cause == "*" else name(self.cause)
        return f"{subject} at {self.min_probability:.0%} or more"

    def references(self) -> set[tuple[str, str]]:
        return set() if self.cause == "*" else {("cause", self.cause)}

    def realise(self, case: CaseWriter) -> None:
        """Left to chance: the differential follows from the other facts of the case."""
