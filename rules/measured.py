"""`measured: vitamin_d`: the lab was measured at all, whatever its value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from .facts import Facts, Mention
from .predicates import CaseWriter, Namer, Predicate, Reach, Reader, Result


@dataclass(frozen=True, slots=True)
class Measured(Predicate):
    """True when the lab was measured at all; never unknown."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"measured": frozenset({"measured"})}
    lab: str

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        return Measured(str(data["measured"]))

    def evaluate(self, facts: Facts) -> Result:
        found = facts.labs.get(self.lab, ())
        if found:
            return True, tuple([r.mention for r in found])
        return _not_measured(self.lab)

    def reach(self) -> Reach:
        return Reach.leaf({f"lab:{self.lab}"}, quiet=False)  # no result is False, not unknown

    def describe(self, name: Namer) -> str:
        return f"{name(self.lab)} measured"

    def asks(self) -> tuple[str, str] | None:
        return "lab", self.lab

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def realise(self, case: CaseWriter) -> None:
        """Left to chance: synthetic cases measure labs for the rules that read their values."""


@lru_cache(maxsize=1024)
def _not_measured(lab: str) -> Result:
    return False, (Mention(f"no {lab.replace('_', ' ')} result", "labs"),)
