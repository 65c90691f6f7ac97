"""Load the knowledge base: read each file, check its shape and its place, build, cross-check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from . import context, layout
from .check import check
from .errors import KnowledgeError
from .knowledge import KnowledgeBase, UnitTable
from .model import (
    ESTABLISHED_LR,
    Calibration,
    Cause,
    Concept,
    Definition,
    DrugClass,
    EvidenceRule,
    Flag,
    Ingredient,
    Lab,
    NextStep,
    Range,
    Reference,
)
from .parsing import parse
from .schema import read

T = TypeVar("T")


def default_path() -> Path:
    """Return the folder of the knowledge base shipped with the package."""
    return Path(str(resources.files("spasmdx.rules") / "data"))


def load(path: Path | None = None) -> KnowledgeBase:
    """Load, validate and index the knowledge base; raise KnowledgeError naming file and key."""
    root = Path(path) if path else default_path()
    layout.check_files(root)
    knowledge = read(root, layout.KNOWLEDGE, "knowledge")
    version = knowledge["version"]
    fitted = knowledge.get("calibration")
    calibration = Calibration(fitted["slope"], fitted["intercept"], fitted["unlisted"]) if fitted else Calibration()
    references = _table(root, [layout.REFERENCES], "references", _reference)
    concepts = _table(root, layout.CONCEPT_FILES, "concepts", _concept)
    labs = _table(root, layout.LAB_FILES, "labs", _lab)
    drugs = read(root, layout.DRUGS, "drugs")
    classes = _by_id(layout.DRUGS, drugs["classes"], _drug_class)
    ingredients = _by_id(layout.DRUGS, drugs["ingredients"], _ingredient)
    units = UnitTable(labs.values())
    causes: dict[str, Cause] = {}
    for name in layout.cause_files(root):
        rows = _entries(root, name, "causes")
        for i, row in enumerate(rows):
            cause = _cause(row, f"{name}: [{i}] {row['id']}", units)
            if cause.id in causes:
                raise KnowledgeError(f"{name}: {cause.id}", "duplicate cause id")
            causes[cause.id] = cause
    alerts = _flags(root, layout.ALERTS, "alerts", units)
    pitfalls = _flags(root, layout.PITFALLS, "pitfalls", units)
    catalogue = {kind: tuple(ids) for kind, ids in read(root, layout.CATALOGUE, "catalogue").items()}
    cues = context.build(read(root, layout.CONTEXT, "context"), layout.CONTEXT, references)
    kb = KnowledgeBase(
        version,
        references,
        concepts,
        labs,
        classes,
        ingredients,
        causes,
        alerts,
        pitfalls,
        cues,
        catalogue,
        calibration,
    )
    problems = check(kb)
    if problems:
        raise KnowledgeError(str(root), "\n  " + "\n  ".join(problems))
    return kb


def _entries(root: Path, name: str, kind: str) -> list[dict[str, Any]]:
    """A list file's entries, checked against its schema and against its name."""
    rows: list[dict[str, Any]] = read(root, name, kind)
    layout.belongs(name, rows)
    if kind == "concepts":
        _patterns_compile(name, rows)
    return rows


def _patterns_compile(name: str, rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows):
        for j, pattern in enumerate(row["patterns"]):
            try:
                re.compile(pattern)
            except re.error as error:
                raise KnowledgeError(
                    f"{name}: [{i}] {row['id']}.patterns[{j}]", f"pattern {pattern!r} does not compile: {error}"
                ) from None


def _table(root: Path, names: Iterable[str], kind: str, build: Callable[[dict], T]) -> dict[str, T]:
    """Read files of one kind, in the order given, into one table by id; refuse a duplicate id."""
    rows: dict[str, dict] = {}
    for name in names:
        for row in _entries(root, name, kind):
            if row["id"] in rows:
                raise KnowledgeError(f"{name}: {row['id']}", "duplicate id")
            rows[row["id"]] = row
    return {ident: build(row) for ident, row in rows.items()}


def _by_id(name: str, rows: list[dict], build: Callable[[dict], T]) -> dict[str, T]:
    out: dict[str, T] = {}
    for row in rows:
        if row["id"] in out:
            raise KnowledgeError(f"{name}: {row['id']}", "duplicate id")
        out[row["id"]] = build(row)
    return out


def _reference(row: dict) -> Reference:
    return Reference(row["id"], row["citation"], row["url"], row["lay"])


def _concept(row: dict) -> Concept:
    return Concept(
        row["id"],
        row["kind"],
        row["name"],
        tuple(row["snomed"]),
        tuple(row["icd10cm"]),
        tuple(row["synonyms"]),
        tuple(row["patterns"]),
        row.get("ask"),
        tuple(row.get("answered_by", ())),
        row.get("history") or ("current" if row["kind"] == "condition" else "past"),
        row.get("family", ""),
    )


def _bound(value: float | None) -> float | None:
    # YAML reads 10 as an int; every number of the knowledge base is a float, as the answers show it.
    return None if value is None else float(value)


def _lab(row: dict) -> Lab:
    ref = row["reference"]
    by_sex = {
        sex: Range(_bound(ref[sex].get("low", ref.get("low"))), _bound(ref[sex].get("high", ref.get("high"))))
        for sex in ("male", "female")
        if sex in ref
    }
    conversions = {unit: float(factor) for unit, factor in row["conversions"].items()}
    return Lab(
        row["id"],
        row["name"],
        row["unit"],
        conversions,
        Range(_bound(ref.get("low")), _bound(ref.get("high"))),
        by_sex,
        tuple(row["loinc"]),
        tuple(row["synonyms"]),
        row.get("test"),
        tuple(row.get("answered_by", ())),
        row["if_haemolysed"],
        {unit: float(offset) for unit, offset in row.get("offsets", {}).items()},
    )


def _drug_class(row: dict) -> DrugClass:
    return DrugClass(row["id"], row["name"], tuple(row["atc"]), tuple(row["synonyms"]), tuple(row.get("ambiguous", ())))


def _ingredient(row: dict) -> Ingredient:
    return Ingredient(
        row["id"],
        row["name"],
        tuple(row["classes"]),
        tuple(row["rxnorm"]),
        dict(row["products"]),
        tuple(row["atc"]),
        tuple(row["brands"]),
        tuple(row["synonyms"]),
    )


def _cause(row: dict, where: str, units: UnitTable) -> Cause:
    evidence = tuple(
        EvidenceRule(
            parse(e["when"], f"{where}.evidence[{i}].when", units),
            float(e["lr"]),
            e["reason"],
            tuple(e["source"]),
            _bound(e["lr_false"]),
            e["reason_false"],
            e["group"],
            e["family"],
        )
        for i, e in enumerate(row["evidence"])
    )
    requires = tuple(parse(p, f"{where}.requires[{i}]", units) for i, p in enumerate(row["requires"]))
    established = tuple(
        Definition(
            parse(d["when"], f"{where}.established[{i}].when", units),
            d["criterion"],
            tuple(d["source"]),
            ESTABLISHED_LR if d["lr"] is None else float(d["lr"]),
        )
        for i, d in enumerate(row["established"])
    )
    return Cause(
        row["id"],
        row["name"],
        row["category"],
        row["prior"],
        row["urgency"],
        row["summary"],
        evidence,
        tuple(_next_step(step) for step in row["next_steps"]),
        tuple(dict.fromkeys([*row["prior_source"], *row["references"]])),
        requires,
        established,
    )


def _next_step(row: str | dict) -> NextStep:
    """A step as written: plain text, {text, asks} or {check: [labs], then}."""
    if isinstance(row, str):
        return NextStep(row)
    if "check" in row:
        return NextStep(asks=tuple(row["check"]), check=True, then=row.get("then", ""))
    return NextStep(row["text"], tuple(row.get("asks", ())))


def _flags(root: Path, name: str, kind: str, units: UnitTable) -> Mapping[str, Flag]:
    out: dict[str, Flag] = {}
    for i, row in enumerate(_entries(root, name, kind)):
        if row["id"] in out:
            raise KnowledgeError(f"{name}: {row['id']}", "duplicate id")
        when = parse(row["when"], f"{name}: [{i}] {row['id']}.when", units)
        out[row["id"]] = Flag(
            row["id"], when, row["message"], tuple(row["cause_ids"]), tuple(row["source"]), row.get("severity")
        )
    return out
