"""Schemas of the knowledge-base files, and the loader that refuses a bad file."""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates

from spasmdx.rules.check import check
from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.knowledge import KnowledgeBase, UnitTable
from spasmdx.rules.model import (CATEGORIES, LR_MAX, LR_MIN, PRIOR_TIERS, SEVERITIES, URGENCIES, Cause, Concept,
                                 DrugClass, EvidenceRule, Flag, Ingredient, Lab, Range, Reference)
from spasmdx.rules.parsing import parse

# libyaml's safe loader when PyYAML was built with it: same safety, about ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ID = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="ids are lower_snake_case")
Words = lambda **kw: fields.List(fields.String(validate=validate.Length(min=1)), load_default=list, **kw)  # noqa: E731
LR = validate.Range(min=LR_MIN, max=LR_MAX, error=f"a likelihood ratio must lie in [{LR_MIN}, {LR_MAX}]")


class KnowledgeFileSchema(Schema):
    version = fields.String(required=True, validate=validate.Regexp(r"^\d{4}\.\d{1,2}\.\d+$"))


class CatalogueSchema(Schema):
    causes = fields.List(fields.String(validate=ID), required=True)
    pitfalls = fields.List(fields.String(validate=ID), required=True)
    alerts = fields.List(fields.String(validate=ID), required=True)


class ReferenceSchema(Schema):
    id = fields.String(required=True, validate=ID)
    citation = fields.String(required=True, validate=validate.Length(min=10))
    url = fields.Url(load_default=None, allow_none=True)


class ConceptSchema(Schema):
    id = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(["finding", "condition"]))
    name = fields.String(required=True)
    snomed = Words()
    icd10cm = Words()
    synonyms = Words()
    patterns = Words()

    @validates("patterns")
    def _compiles(self, value: list[str], **_: Any) -> None:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValidationError(f"pattern {pattern!r} does not compile: {error}") from None


class RangeSchema(Schema):
    low = fields.Float(load_default=None, allow_none=True)
    high = fields.Float(load_default=None, allow_none=True)


class ReferenceRangeSchema(RangeSchema):
    male = fields.Nested(RangeSchema)
    female = fields.Nested(RangeSchema)


class LabSchema(Schema):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True)
    loinc = Words()
    synonyms = Words()
    unit = fields.String(required=True, validate=validate.Length(min=1))
    conversions = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(min=0, min_inclusive=False)),
                              load_default=dict)
    reference = fields.Nested(ReferenceRangeSchema, load_default=dict)


class DrugClassSchema(Schema):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True)
    atc = Words()
    synonyms = Words()


class IngredientSchema(Schema):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True)
    classes = Words()
    rxnorm = Words()
    products = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    atc = Words()
    brands = Words()
    synonyms = Words()


class DrugsFileSchema(Schema):
    classes = fields.List(fields.Nested(DrugClassSchema), required=True)
    ingredients = fields.List(fields.Nested(IngredientSchema), required=True)


class EvidenceSchema(Schema):
    when = fields.Dict(required=True)
    lr = fields.Float(required=True, validate=LR)
    lr_false = fields.Float(load_default=None, validate=LR)
    reason = fields.String(required=True, validate=validate.Length(min=5))
    reason_false = fields.String(load_default=None)
    source = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1))
    group = fields.String(load_default=None, validate=ID)


class CauseSchema(Schema):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    prior = fields.String(required=True, validate=validate.OneOf(list(PRIOR_TIERS)))
    prior_source = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    summary = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True, validate=validate.Length(min=1))
    next_steps = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    references = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1))
    requires = fields.List(fields.Dict(), load_default=list)


class FlagSchema(Schema):
    id = fields.String(required=True, validate=ID)
    when = fields.Dict(required=True)
    message = fields.String(required=True, validate=validate.Length(min=10))
    cause_ids = fields.List(fields.String(validate=ID), load_default=list)
    source = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1))


class AlertSchema(FlagSchema):
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))


def default_path() -> Path:
    """Return the folder of the knowledge base shipped with the package."""
    return Path(str(resources.files("spasmdx.rules") / "data"))


def load(path: Path | None = None) -> KnowledgeBase:
    """Load, validate and index the knowledge base; raise KnowledgeError naming file and key."""
    root = Path(path) if path else default_path()
    meta = _read(root / "knowledge.yaml", KnowledgeFileSchema())
    references = {k: Reference(**v) for k, v in _rows(root, "references*.yaml", ReferenceSchema).items()}
    concepts = {k: _concept(v) for k, v in _rows(root / "vocabulary", "clinical*.yaml", ConceptSchema).items()}
    labs = {k: _lab(v) for k, v in _rows(root / "vocabulary", "labs*.yaml", LabSchema).items()}
    drugs = _read(root / "vocabulary/drugs.yaml", DrugsFileSchema())
    classes = _by_id(root / "vocabulary/drugs.yaml", drugs["classes"], _drug_class)
    ingredients = _by_id(root / "vocabulary/drugs.yaml", drugs["ingredients"], _ingredient)
    units = UnitTable(labs.values())
    causes: dict[str, Cause] = {}
    for file in sorted((root / "causes").glob("*.yaml")):
        rows = _read(file, CauseSchema(many=True))
        for i, row in enumerate(rows):
            cause = _cause(row, f"{file.name}: [{i}] {row['id']}", units)
            if cause.id in causes:
                raise KnowledgeError(f"{file.name}: {cause.id}", "duplicate cause id")
            causes[cause.id] = cause
    alerts = _flags(root / "alerts.yaml", AlertSchema(many=True), units)
    pitfalls = _flags(root / "pitfalls.yaml", FlagSchema(many=True), units)
    catalogue = {kind: tuple(ids) for kind, ids in _read(root / "catalogue.yaml", CatalogueSchema()).items()}
    kb = KnowledgeBase(meta["version"], references, concepts, labs, classes, ingredients, causes, alerts, pitfalls,
                       catalogue)
    problems = check(kb)
    if problems:
        raise KnowledgeError(str(root), "\n  " + "\n  ".join(problems))
    return kb


def _read(file: Path, schema: Schema) -> Any:
    try:
        with open(file, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(file.name, "file is missing") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(file.name, f"not valid YAML: {error}") from None
    try:
        return schema.load(data)
    except ValidationError as error:
        raise KnowledgeError(file.name, "; ".join(_flatten(error.messages))) from None


def _flatten(messages: Any, prefix: str = "") -> Iterable[str]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if prefix else str(key))
            yield from _flatten(value, f"{prefix}{step}")
    else:
        for message in messages if isinstance(messages, list) else [messages]:
            yield f"{prefix or '(file)'}: {message}"


def _rows(folder: Path, pattern: str, schema: type[Schema]) -> dict[str, dict]:
    """Read every file matching `pattern` (the first must exist) into one table by id."""
    files = sorted(folder.glob(pattern)) or [folder / pattern.replace("*", "")]
    return _merge((file, _read(file, schema(many=True))) for file in files)


def _merge(groups: Iterable[tuple[Path, list[dict]]]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for file, rows in groups:
        for row in rows:
            if row["id"] in out:
                raise KnowledgeError(f"{file.name}: {row['id']}", "duplicate id")
            out[row["id"]] = row
    return out


def _by_id(file: Path, rows: list[dict], build: Any) -> dict[str, Any]:
    return {k: build(v) for k, v in _merge([(file, rows)]).items()}


def _concept(row: dict) -> Concept:
    return Concept(row["id"], row["kind"], row["name"], tuple(row["snomed"]), tuple(row["icd10cm"]),
                   tuple(row["synonyms"]), tuple(row["patterns"]))


def _lab(row: dict) -> Lab:
    ref = row["reference"]
    by_sex = {sex: Range(ref[sex].get("low", ref.get("low")), ref[sex].get("high", ref.get("high")))
              for sex in ("male", "female") if sex in ref}
    return Lab(row["id"], row["name"], row["unit"], dict(row["conversions"]), Range(ref.get("low"), ref.get("high")),
               by_sex, tuple(row["loinc"]), tuple(row["synonyms"]))


def _drug_class(row: dict) -> DrugClass:
    return DrugClass(row["id"], row["name"], tuple(row["atc"]), tuple(row["synonyms"]))


def _ingredient(row: dict) -> Ingredient:
    return Ingredient(row["id"], row["name"], tuple(row["classes"]), tuple(row["rxnorm"]), dict(row["products"]),
                      tuple(row["atc"]), tuple(row["brands"]), tuple(row["synonyms"]))


def _cause(row: dict, where: str, units: UnitTable) -> Cause:
    evidence = tuple(
        EvidenceRule(parse(e["when"], f"{where}.evidence[{i}].when", units), e["lr"], e["reason"], tuple(e["source"]),
                     e["lr_false"], e["reason_false"], e["group"])
        for i, e in enumerate(row["evidence"])
    )
    requires = tuple(parse(p, f"{where}.requires[{i}]", units) for i, p in enumerate(row["requires"]))
    return Cause(row["id"], row["name"], row["category"], row["prior"], row["urgency"], row["summary"], evidence,
                 tuple(row["next_steps"]), tuple(dict.fromkeys([*row["prior_source"], *row["references"]])), requires)


def _flags(file: Path, schema: Schema, units: UnitTable) -> dict[str, Flag]:
    out: dict[str, Flag] = {}
    for i, row in enumerate(_read(file, schema)):
        if row["id"] in out:
            raise KnowledgeError(f"{file.name}: {row['id']}", "duplicate id")
        when = parse(row["when"], f"{file.name}: [{i}] {row['id']}.when", units)
        out[row["id"]] = Flag(row["id"], when, row["message"], tuple(row["cause_ids"]), tuple(row["source"]),
                              row.get("severity"))
    return out
