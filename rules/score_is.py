"""`score: dechallenge_score` with `min` and/or `max`: a score derived from the case (rules/scores.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .facts import Facts
from .predicates import Bounds, CaseWriter, Namer, Predicate, Reach, Reader, Result


@dataclass(frozen=True, slots=True)
class ScoreIs(Predicate):
    """True when the derived score lies in the bounds; unknown when it could not be derived."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"score": frozenset({"score", "min", "max"})}
    score: str
    bounds: Bounds

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return ScoreIs(str(data["score"]), Bounds.parse({k: data[k] for k in ("min", "max") if k in data}, where))

    def evaluate(self, facts: Facts) -> Result:
        found = facts.scores.get(self.score)
        if found is None:
            return None, ()
        return found.value in self.bounds, (found.mention,)

    def reach(self) -> Reach:
        return Reach.leaf({f"score:{self.score}"})

    def describe(self, name: Namer) -> str:
        return f"{name(self.score)} {self.bounds.text()}"

    def references(self) -> set[tuple[str, str]]:
        return {("score", self.score)}

    def realise(self, case: CaseWriter) -> None:
        """Left to chance: a score is derived from other facts, which other rules supply."""
