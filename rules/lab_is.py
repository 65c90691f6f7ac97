"""`lab: potassium` with a `value` range (and its unit), a `uln` multiple, or a `status`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Any, ClassVar

from .errors import KnowledgeError
from .facts import Facts, LabResult
from .predicates import UNKNOWN, Bounds, CaseWriter, Namer, Predicate, Reach, Reader, Result, Truth

LAB_STATUSES = ("low", "high", "normal", "abnormal")


@dataclass(frozen=True, slots=True)
class LabIs(Predicate):
    """True when a result of the lab lies in the range (any result will do); unknown without one."""

    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {"lab": frozenset({"lab", "value", "uln", "status", "unit"})}
    lab: str
    bounds: Bounds | None = None  # canonical unit
    uln: Bounds | None = None  # multiples of the upper limit of normal
    status: str | None = None
    unit: str = ""

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        lab = str(data["lab"])
        given = [k for k in ("value", "uln", "status") if k in data]
        if len(given) != 1:
            raise KnowledgeError(where, "a lab predicate takes exactly one of value, uln, status")
        if "status" in data:
            if data["status"] not in LAB_STATUSES:
                raise KnowledgeError(f"{where}.status", f"must be one of {LAB_STATUSES}")
            return LabIs(lab, status=data["status"])
        if "uln" in data:
            return LabIs(lab, uln=Bounds.parse(data["uln"], f"{where}.uln"))
        unit = data.get("unit")
        if not unit:
            raise KnowledgeError(f"{where}.unit", "a lab threshold needs its unit")
        raw = Bounds.parse(data["value"], f"{where}.value")
        try:
            low = None if raw.min is None else read.convert.to_canonical(lab, unit, raw.min)
            high = None if raw.max is None else read.convert.to_canonical(lab, unit, raw.max)
        except KnowledgeError as error:
            raise KnowledgeError(f"{where}.unit", error.message) from None
        return LabIs(lab, bounds=Bounds(low, high), unit=read.convert.canonical_unit(lab))

    def _holds(self, result: LabResult) -> Truth:
        if result.status:
            return self._holds_reported(result)
        if self.bounds is not None:
            return result.value in self.bounds
        if self.uln is not None:
            multiple = result.uln_multiple
            return None if multiple is None else multiple in self.uln
        low = result.low is not None and result.value < result.low
        high = result.high is not None and result.value > result.high
        if self.status == "low":
            return low if result.low is not None else None
        if self.status == "high":
            return high if result.high is not None else None
        if result.low is None and result.high is None:
            return None
        return (low or high) if self.status == "abnormal" else not (low or high)

    def _holds_reported(self, result: LabResult) -> Truth:
        """A result reported only as high, low or normal: true or false where that settles the range, else unknown."""
        said = result.status
        if self.status is not None:
            return said in ("low", "high") if self.status == "abnormal" else said == self.status
        low, high = result.low, result.high
        span = {"high": (high, math.inf), "low": (-math.inf, low), "normal": (low, high)}[said]
        lo, hi = -math.inf if span[0] is None else span[0], math.inf if span[1] is None else span[1]
        bounds = self.bounds
        if self.uln is not None:
            if not high:
                return None
            lo, hi, bounds = lo / high, hi / high, self.uln
        if bounds is None:
            return None
        if (bounds.max is not None and lo >= bounds.max) or (bounds.min is not None and hi <= bounds.min):
            return False
        inside = (bounds.min is None or lo >= bounds.min) and (bounds.max is None or hi <= bounds.max)
        return True if inside else None

    def evaluate(self, facts: Facts) -> Result:
        results = facts.labs.get(self.lab)
        if not results:
            return UNKNOWN
        if len(results) == 1:  # the usual case, answered without building tuples
            truth = self._holds(results[0])
            return (None, ()) if truth is None else (truth, (results[0].mention,))
        answers = [(self._holds(r), r.mention) for r in results]
        hits = tuple(m for truth, m in answers if truth)
        if hits:
            return True, hits
        misses = tuple(m for truth, m in answers if truth is False)
        return (False, misses) if misses else (None, ())

    def reach(self) -> Reach:
        return Reach.leaf({f"lab:{self.lab}"})

    def describe(self, name: Namer) -> str:
        label = name(self.lab)
        if self.bounds is not None:
            return f"{label} {self.bounds.text(self.unit)}"
        if self.uln is not None:
            return f"{label} {self.uln.text('x ULN')}"
        return f"{label} {self.status}"

    def asks(self) -> tuple[str, str] | None:
        return "lab", self.lab  # several rules on one lab (bands of a value) ask one thing: measure it

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def realise(self, case: CaseWriter) -> None:
        case.add_lab(self.lab, self.example_value)

    def example_value(self, low: float, high: float, rng: Random) -> float:
        """A value in canonical units that holds, given the lab's default range [low, high]."""
        if self.bounds is not None:
            lo = self.bounds.min if self.bounds.min is not None else low * 0.5
            hi = self.bounds.max if self.bounds.max is not None else max(lo * 1.5, high * 1.5)
            return rng.uniform(lo, hi)
        if self.uln is not None:
            lo = self.uln.min if self.uln.min is not None else 0.3
            hi = self.uln.max if self.uln.max is not None else lo * 3
            return rng.uniform(lo, hi) * high
        return {"low": low * 0.8, "high": high * 1.3}.get(self.status or "", (low + high) / 2)
