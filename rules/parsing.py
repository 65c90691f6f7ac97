"""Predicates from their YAML form: the closed table of heads, each with the keys it accepts."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol

from .composites import AllOf, AtLeast, NoneOf, Not
from .errors import KnowledgeError
from .predicates import (EXPOSURES, LAB_STATUSES, Bounds, CauseIs, ConceptIs, LabIs, Measured, MedicationIs, PatientIs,
                         Predicate, ScoreIs)


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
