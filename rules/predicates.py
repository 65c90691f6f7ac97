"""What every predicate type is: the base class, its three-valued answer, and what facts it reads.

A predicate reads resolved facts and answers with three-valued logic: True (the fact holds),
False (it is known not to hold: an explicitly absent finding, a lab inside the range, a
medication list without the drug) or None (nothing is known).  Only True and False move a
cause; None leaves it where it was.

Each predicate type is one class, in a module of its own (`medication_is.py`, `concept_is.py`,
`lab_is.py`, `measured.py`, `score_is.py`, `patient_is.py`, `cause_is.py`, and the composites
in `composites.py`), that says everything about it: the YAML it is written as, how it answers,
which facts it reads, its compiled form, how it reads as text and as a suggestion, the names it
refers to, and the fact a synthetic case adds to satisfy it.  `parsing.PREDICATE_TYPES` is the
closed table of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random
from typing import Any, ClassVar, Final, Protocol

from .errors import KnowledgeError
from .facts import Facts, Mention

Truth = bool | None
Namer = Callable[[str], str]
UNKNOWN: tuple[None, tuple] = (None, ())
Result = tuple[Truth, tuple[Mention, ...]]
Evaluate = Callable[[Facts], Result]  # a predicate's evaluate, or its compiled form


class UnitConverter(Protocol):
    """What parsing needs of the lab vocabulary: thresholds are stored in canonical units."""

    def to_canonical(self, lab: str, unit: str, value: float) -> float: ...

    def canonical_unit(self, lab: str) -> str: ...


class Reader(Protocol):
    """What a predicate type's `parse` is given: the unit table, and a way to parse its parts."""

    convert: UnitConverter

    def part(self, data: Any, where: str) -> Predicate: ...


class CaseWriter(Protocol):
    """Where a predicate writes the facts that satisfy it into a synthetic case (spasmdx/batch/synth.py)."""

    rng: Random

    def add_concept(self, concept: str, kind: str) -> None: ...

    def add_medication(self, drug: str, exposure: str) -> None: ...

    def add_lab(self, lab: str, value: Callable[[float, float, Random], float]) -> None:
        """Add a result of `lab` worth `value(low, high, rng)` in canonical units, given its default range."""

    def set_patient(self, attribute: str, value: Any) -> None: ...


class Reach:
    """What the facts present tell about a predicate before it is evaluated: the one key analysis.

    keys   every fact key the predicate reads (`Facts.present` holds the keys of a case).
    quiet  True when, with none of `keys` present, the answer is certainly unknown (None, ()),
           so scoring may skip it.  False for predicates that answer on absence: `measured`
           (nothing measured is False), `none_of` (nothing known is True), `cause` (it reads the
           differential), and composites of them.
    needs  keys of which at least one must be present for the answer to be True, so a flag need
           not be looked at without them; None when it can hold on absence (not, none_of), or
           holds on demographics or the differential alone, which are present in nearly every
           case and would narrow nothing.  Narrower than `keys`: a drug needs itself but not the
           medication section it also reads, and `all` needs only one of its parts' keys.
    """

    __slots__ = ("keys", "quiet", "needs")

    def __init__(self, keys: frozenset[str], quiet: bool, needs: frozenset[str] | None) -> None:
        self.keys: Final = keys
        self.quiet: Final = quiet
        self.needs: Final = needs

    @staticmethod
    def leaf(keys: set[str], quiet: bool = True, needs: set[str] | None = None) -> Reach:
        """A leaf that reads `keys`, needing them all to hold unless told otherwise."""
        frozen = frozenset(keys)
        return Reach(frozen, quiet, frozen if needs is None else frozenset(needs))


class Predicate:
    """One predicate type of the closed vocabulary: subclasses say everything about it.

    HEADS names the YAML keys that select the type (`finding:` and `condition:` are one type)
    and, for each, every key a predicate written with that head may use.
    """

    __slots__ = ()
    HEADS: ClassVar[Mapping[str, frozenset[str]]] = {}

    @classmethod
    def parse(cls, head: str, data: Mapping[str, Any], where: str, read: Reader) -> Predicate:
        """Build one from its YAML form (the keys are already known to be allowed), or raise KnowledgeError."""
        raise NotImplementedError(cls.__name__)

    def evaluate(self, facts: Facts) -> Result:
        """Answer True, False or None, with the mentions behind the answer: the meaning, stated once."""
        raise NotImplementedError(type(self).__name__)

    def reach(self) -> Reach:
        """Which fact keys it reads, and what their absence tells (see Reach)."""
        raise NotImplementedError(type(self).__name__)

    def compile(self) -> Evaluate:
        """A function answering exactly as `evaluate` does, only faster; a leaf is its own `evaluate`."""
        return self.evaluate

    def compile_any(self, parts: tuple[Predicate, ...], silent: tuple[str, ...] | None) -> Evaluate | None:
        """A fast "any of `parts`", all of this predicate's type; None when the type has none.

        `silent` are the parts' keys when the whole is unknown with none of them present.
        """
        return None

    def children(self) -> tuple[Predicate, ...]:
        """The predicates it is made of; a leaf has none."""
        return ()

    def describe(self, name: Namer) -> str:
        """How it reads to a clinician (the knowledge-base listing), naming ids with `name`."""
        raise NotImplementedError(type(self).__name__)

    def asks(self) -> tuple[str, str] | None:
        """What a next step asks a clinician to settle it: (namespace, id), or None when no one asks it.

        The words come from the vocabulary (rules/suggest.py): a concept's `ask:`, a lab's `test:`.
        """
        return None

    def references(self) -> set[tuple[str, str]]:
        """The (namespace, id) names it uses, which the knowledge base must define (rules/check.py)."""
        raise NotImplementedError(type(self).__name__)

    def realise(self, case: CaseWriter) -> None:
        """Write into a synthetic case the facts that make it hold (or leave it to chance)."""
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True, slots=True)
class Bounds:
    """A half-open interval [min, max): either end may be open."""

    min: float | None = None
    max: float | None = None

    def __contains__(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)

    def text(self, unit: str = "") -> str:
        unit = f" {unit}" if unit and unit != "1" else ""  # "1" is UCUM for a plain ratio
        if self.min is not None and self.max is not None:
            return f"{self.min:g}-{self.max:g}{unit}"
        if self.min is not None:
            return f">= {self.min:g}{unit}"
        return f"< {self.max:g}{unit}"

    @staticmethod
    def parse(data: Any, where: str) -> Bounds:
        """Bounds from {min: x} and/or {max: y}, or raise KnowledgeError naming `where`."""
        if not isinstance(data, Mapping) or not set(data) <= {"min", "max"} or not data:
            raise KnowledgeError(where, "bounds are {min: x} and/or {max: y}")
        for key, value in data.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise KnowledgeError(f"{where}.{key}", "must be a number")
        return Bounds(min=data.get("min"), max=data.get("max"))


def touches(present: frozenset[str], keys: tuple[str, ...]) -> bool:
    """True when any of `keys` is present: `not present.isdisjoint(keys)`, in a form that compiles to C."""
    for key in keys:
        if key in present:
            return True
    return False
