"""The closed vocabulary of predicates that rules are written in.

A predicate reads resolved facts and answers with three-valued logic: True (the
fact holds), False (it is known not to hold: an explicitly absent finding, a lab
inside the range, a medication list without the drug) or None (nothing is known).
Only True and False move a cause; None leaves it where it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Protocol

from .errors import KnowledgeError
from .facts import Facts, Mention

Truth = bool | None
Namer = Callable[[str], str]
UNKNOWN: tuple[None, tuple] = (None, ())
Result = tuple[Truth, tuple[Mention, ...]]

EXPOSURES = {"current": {"current"}, "past": {"past"}, "ever": {"current", "past"}}
LAB_STATUSES = ("low", "high", "normal", "abnormal")


class Predicate(Protocol):
    def evaluate(self, facts: Facts) -> Result: ...

    def keys(self) -> set[str]: ...

    def references(self) -> set[tuple[str, str]]: ...

    def describe(self, name: Namer) -> str: ...


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


@dataclass(frozen=True, slots=True)
class MedicationIs:
    drug: str
    exposure: str = "current"

    def evaluate(self, facts: Facts) -> Result:
        found = facts.medications.get(self.drug)
        if not found:
            return _not_on_list(self.drug) if facts.medications_given else UNKNOWN
        wanted = EXPOSURES[self.exposure]
        hits = tuple(f.mention for f in found if f.exposure in wanted)
        if hits:
            return True, hits
        denied = tuple(f.mention for f in found if f.exposure == "denied")
        if denied:
            return False, denied
        # Exposed, but not in the way asked for (past when current is wanted).
        return False, tuple(f.mention for f in found)

    def keys(self) -> set[str]:
        return {f"medication:{self.drug}", "section:medications"}

    def references(self) -> set[tuple[str, str]]:
        return {("drug", self.drug)}

    def describe(self, name: Namer) -> str:
        label = name(self.drug)
        return f"{self.exposure} exposure to {label}" if self.exposure != "current" else label


@lru_cache(maxsize=1024)
def _not_on_list(drug: str) -> Result:
    return False, (Mention(f"no {drug.replace('_', ' ')} on the medication list", "medications"),)


@dataclass(frozen=True, slots=True)
class ConceptIs:
    concept: str
    kind: str  # finding | condition: which section a clinician would look in

    def evaluate(self, facts: Facts) -> Result:
        found = facts.concepts.get(self.concept)
        if not found:
            return UNKNOWN
        present = tuple(f.mention for f in found if f.present)
        if present:
            return True, present
        absent = tuple(f.mention for f in found)
        return (False, absent) if absent else (None, ())

    def keys(self) -> set[str]:
        return {f"concept:{self.concept}"}

    def references(self) -> set[tuple[str, str]]:
        return {(self.kind, self.concept)}

    def describe(self, name: Namer) -> str:
        return name(self.concept)


@dataclass(frozen=True, slots=True)
class LabIs:
    lab: str
    bounds: Bounds | None = None  # canonical unit
    uln: Bounds | None = None  # multiples of the upper limit of normal
    status: str | None = None
    unit: str = ""

    def _holds(self, result: Any) -> Truth:
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

    def evaluate(self, facts: Facts) -> Result:
        results = facts.labs.get(self.lab)
        if not results:
            return UNKNOWN
        answers = [(self._holds(r), r.mention) for r in results]
        hits = tuple(m for truth, m in answers if truth)
        if hits:
            return True, hits
        misses = tuple(m for truth, m in answers if truth is False)
        return (False, misses) if misses else (None, ())

    def keys(self) -> set[str]:
        return {f"lab:{self.lab}"}

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def describe(self, name: Namer) -> str:
        label = name(self.lab)
        if self.bounds is not None:
            return f"{label} {self.bounds.text(self.unit)}"
        if self.uln is not None:
            return f"{label} {self.uln.text('x ULN')}"
        return f"{label} {self.status}"


@dataclass(frozen=True, slots=True)
class Measured:
    """True when the lab was measured at all; never unknown."""

    lab: str

    def evaluate(self, facts: Facts) -> Result:
        found = facts.labs.get(self.lab, ())
        if found:
            return True, tuple(r.mention for r in found)
        return False, (Mention(f"no {self.lab.replace('_', ' ')} result", "labs"),)

    def keys(self) -> set[str]:
        return {f"lab:{self.lab}"}

    def references(self) -> set[tuple[str, str]]:
        return {("lab", self.lab)}

    def describe(self, name: Namer) -> str:
        return f"{name(self.lab)} measured"


@dataclass(frozen=True, slots=True)
class NoneOf:
    """True unless one of the parts is known to hold: unknown counts as not holding."""

    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        for part in self.parts:
            truth, found = part.evaluate(facts)
            if truth:
                return False, found
        return True, ()

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        return "none of: " + ", ".join(p.describe(name) for p in self.parts)


@dataclass(frozen=True, slots=True)
class ScoreIs:
    score: str
    bounds: Bounds

    def evaluate(self, facts: Facts) -> Result:
        found = facts.scores.get(self.score)
        if found is None:
            return None, ()
        return found.value in self.bounds, (found.mention,)

    def keys(self) -> set[str]:
        return {f"score:{self.score}"}

    def references(self) -> set[tuple[str, str]]:
        return {("score", self.score)}

    def describe(self, name: Namer) -> str:
        return f"{name(self.score)} {self.bounds.text()}"


@dataclass(frozen=True, slots=True)
class PatientIs:
    attribute: str  # age | sex | pregnant
    bounds: Bounds | None = None
    value: Any = None

    def evaluate(self, facts: Facts) -> Result:
        actual = getattr(facts, self.attribute)
        if actual is None:
            return None, ()
        mention = Mention(f"{self.attribute} {_text(actual)}", f"{facts.patient_path}.{self.attribute}")
        if self.bounds is not None:
            return actual in self.bounds, (mention,)
        return actual == self.value, (mention,)

    def keys(self) -> set[str]:
        return {f"patient:{self.attribute}"}

    def references(self) -> set[tuple[str, str]]:
        return set()

    def describe(self, name: Namer) -> str:
        if self.bounds is not None:
            return f"{self.attribute} {self.bounds.text()}"
        return f"{self.attribute} {_text(self.value)}"


@dataclass(frozen=True, slots=True)
class CauseIs:
    """True when a cause (or any cause of an urgency) reaches a probability."""

    cause: str  # a cause id, or "*" for any
    min_probability: float
    urgency: str | None = None

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

    def keys(self) -> set[str]:
        return {"differential"}

    def references(self) -> set[tuple[str, str]]:
        return set() if self.cause == "*" else {("cause", self.cause)}

    def describe(self, name: Namer) -> str:
        subject = f"an {self.urgency} cause" if self.cause == "*" else name(self.cause)
        return f"{subject} at {self.min_probability:.0%} or more"


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        mentions: list[Mention] = []
        unknown = False
        for part in self.parts:
            truth, found = part.evaluate(facts)
            if truth is False:
                return False, found
            unknown = unknown or truth is None
            mentions.extend(found)
        return (None, ()) if unknown else (True, tuple(mentions))

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        return " and ".join(p.describe(name) for p in self.parts)


@dataclass(frozen=True, slots=True)
class AtLeast:
    """True when at least `count` parts hold; `any` is AtLeast(1)."""

    count: int
    parts: tuple[Predicate, ...]

    def evaluate(self, facts: Facts) -> Result:
        hits: list[Mention] = []
        misses: list[Mention] = []
        held = failed = 0
        for part in self.parts:
            truth, found = part.evaluate(facts)
            if truth:
                held += 1
                hits.extend(found)
            elif truth is False:
                failed += 1
                misses.extend(found)
        if held >= self.count:
            return True, tuple(hits)
        if len(self.parts) - failed < self.count:
            return False, tuple(misses)
        return None, ()

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))

    def references(self) -> set[tuple[str, str]]:
        return set().union(*(p.references() for p in self.parts))

    def describe(self, name: Namer) -> str:
        joined = " or ".join(p.describe(name) for p in self.parts)
        return joined if self.count == 1 else f"at least {self.count} of: {joined}"


@dataclass(frozen=True, slots=True)
class Not:
    part: Predicate

    def evaluate(self, facts: Facts) -> Result:
        truth, found = self.part.evaluate(facts)
        return (None if truth is None else not truth), found

    def keys(self) -> set[str]:
        return self.part.keys()

    def references(self) -> set[tuple[str, str]]:
        return self.part.references()

    def describe(self, name: Namer) -> str:
        return f"not {self.part.describe(name)}"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


class UnitConverter(Protocol):
    """What parsing needs of the lab vocabulary: thresholds are stored in canonical units."""

    def to_canonical(self, lab: str, unit: str, value: float) -> float: ...

    def canonical_unit(self, lab: str) -> str: ...


def parse(data: Any, where: str, convert: UnitConverter) -> Predicate:
    """Build a predicate from its YAML form, or raise KnowledgeError naming `where`."""
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(where, "a predicate is a mapping such as {finding: muscle_cramp}")
    keys = set(data)
    for head, builder in _BUILDERS.items():
        if head in keys:
            allowed = _ALLOWED[head]
            extra = keys - allowed
            if extra:
                raise KnowledgeError(where, f"unknown key(s) {sorted(extra)} for a '{head}' predicate")
            return builder(data, where, convert)
    raise KnowledgeError(where, f"unknown predicate {sorted(keys)}; known: {sorted(_BUILDERS)}")


def _bounds(data: Any, where: str) -> Bounds:
    if not isinstance(data, Mapping) or not set(data) <= {"min", "max"} or not data:
        raise KnowledgeError(where, "bounds are {min: x} and/or {max: y}")
    for key, value in data.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise KnowledgeError(f"{where}.{key}", "must be a number")
    return Bounds(min=data.get("min"), max=data.get("max"))


def _medication(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    exposure = data.get("exposure", "current")
    if exposure not in EXPOSURES:
        raise KnowledgeError(f"{where}.exposure", f"must be one of {sorted(EXPOSURES)}")
    return MedicationIs(str(data["medication"]), exposure)


def _concept(kind: str) -> Callable[[Mapping, str, UnitConverter], Predicate]:
    return lambda data, where, convert: ConceptIs(str(data[kind]), kind)


def _lab(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    lab = str(data["lab"])
    given = [k for k in ("value", "uln", "status") if k in data]
    if len(given) != 1:
        raise KnowledgeError(where, "a lab predicate takes exactly one of value, uln, status")
    if "status" in data:
        if data["status"] not in LAB_STATUSES:
            raise KnowledgeError(f"{where}.status", f"must be one of {LAB_STATUSES}")
        return LabIs(lab, status=data["status"])
    if "uln" in data:
        return LabIs(lab, uln=_bounds(data["uln"], f"{where}.uln"))
    unit = data.get("unit")
    if not unit:
        raise KnowledgeError(f"{where}.unit", "a lab threshold needs its unit")
    raw = _bounds(data["value"], f"{where}.value")
    try:
        low = None if raw.min is None else convert.to_canonical(lab, unit, raw.min)
        high = None if raw.max is None else convert.to_canonical(lab, unit, raw.max)
    except KnowledgeError as error:
        raise KnowledgeError(f"{where}.unit", error.message) from None
    return LabIs(lab, bounds=Bounds(low, high), unit=convert.canonical_unit(lab))


def _patient(attribute: str) -> Callable[[Mapping, str, UnitConverter], Predicate]:
    def build(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
        value = data[attribute]
        if attribute == "age":
            return PatientIs("age", bounds=_bounds(value, f"{where}.age"))
        if attribute == "sex" and value not in ("female", "male", "other", "unknown"):
            raise KnowledgeError(f"{where}.sex", "must be female, male, other or unknown")
        if attribute == "pregnant" and not isinstance(value, bool):
            raise KnowledgeError(f"{where}.pregnant", "must be true or false")
        return PatientIs(attribute, value=value)

    return build


def _score(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return ScoreIs(str(data["score"]), _bounds({k: data[k] for k in ("min", "max") if k in data}, where))


def _cause(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    probability = data.get("min_probability")
    if not isinstance(probability, (int, float)) or not 0 < probability <= 1:
        raise KnowledgeError(f"{where}.min_probability", "must be a probability in (0, 1]")
    return CauseIs(str(data["cause"]), float(probability), data.get("urgency"))


def _parts(data: Any, where: str, convert: UnitConverter) -> tuple[Predicate, ...]:
    if not isinstance(data, list) or not data:
        raise KnowledgeError(where, "must be a non-empty list of predicates")
    return tuple(parse(item, f"{where}[{i}]", convert) for i, item in enumerate(data))


def _all(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return AllOf(_parts(data["all"], f"{where}.all", convert))


def _any(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return AtLeast(1, _parts(data["any"], f"{where}.any", convert))


def _at_least(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    count = data["at_least"]
    parts = _parts(data.get("of"), f"{where}.of", convert)
    if not isinstance(count, int) or not 1 <= count <= len(parts):
        raise KnowledgeError(f"{where}.at_least", "must be a whole number between 1 and the number of parts")
    return AtLeast(count, parts)


def _none_of(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return NoneOf(_parts(data["none_of"], f"{where}.none_of", convert))


def _measured(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return Measured(str(data["measured"]))


def _not(data: Mapping, where: str, convert: UnitConverter) -> Predicate:
    return Not(parse(data["not"], f"{where}.not", convert))


_BUILDERS: dict[str, Callable[[Mapping, str, UnitConverter], Predicate]] = {
    "medication": _medication,
    "finding": _concept("finding"),
    "condition": _concept("condition"),
    "lab": _lab,
    "score": _score,
    "age": _patient("age"),
    "sex": _patient("sex"),
    "pregnant": _patient("pregnant"),
    "cause": _cause,
    "all": _all,
    "any": _any,
    "at_least": _at_least,
    "not": _not,
    "none_of": _none_of,
    "measured": _measured,
}
_ALLOWED: dict[str, set[str]] = {
    "medication": {"medication", "exposure"},
    "finding": {"finding"},
    "condition": {"condition"},
    "lab": {"lab", "value", "uln", "status", "unit"},
    "score": {"score", "min", "max"},
    "age": {"age"},
    "sex": {"sex"},
    "pregnant": {"pregnant"},
    "cause": {"cause", "min_probability", "urgency"},
    "all": {"all"},
    "any": {"any"},
    "at_least": {"at_least", "of"},
    "not": {"not"},
    "none_of": {"none_of"},
    "measured": {"measured"},
}


def vocabulary() -> dict[str, list[str]]:
    """Return the closed table of predicate heads and the keys each accepts."""
    return {head: sorted(keys) for head, keys in _ALLOWED.items()}


def answers_without_facts(predicate: Predicate) -> bool:
    """True when a predicate can be True or False with none of its facts present (measured, none_of, cause)."""
    if isinstance(predicate, (Measured, NoneOf, CauseIs)):
        return True
    if isinstance(predicate, Not):
        return answers_without_facts(predicate.part)
    if isinstance(predicate, (AllOf, AtLeast)):
        return any(answers_without_facts(part) for part in predicate.parts)
    return False


def leaves(predicate: Predicate) -> Iterable[Predicate]:
    """Yield the leaf predicates of a predicate tree."""
    if isinstance(predicate, Not):
        yield from leaves(predicate.part)
    elif isinstance(predicate, (AllOf, AtLeast, NoneOf)):
        for child in predicate.parts:
            yield from leaves(child)
    else:
        yield predicate
