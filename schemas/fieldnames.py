"""Did you mean: the field a client most likely meant when it sent one the contract does not have."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from marshmallow import Schema, fields

from .request import ContextSchema, TextOrItem

# Names EHRs and people use for the contract's fields, which spelling alone would not find.
SYNONYMS = {
    "gender": "sex",
    "meds": "medications",
    "drugs": "medications",
    "medicationstatement": "medications",
    "medicationrequest": "medications",
    "problems": "conditions",
    "diagnoses": "conditions",
    "diagnosis": "conditions",
    "problem_list": "conditions",
    "symptoms": "findings",
    "signs": "findings",
    "observations": "labs",
    "results": "labs",
    "lab_results": "labs",
    "laboratory": "labs",
    "units": "unit",
    "name": "display",
    "text": "display",
    "range": "reference_range",
    "referencerange": "reference_range",
    "is_pregnant": "pregnant",
    "age_years": "age",
}


@lru_cache(maxsize=1)
def _known() -> dict[str, tuple[str, ...]]:
    """The field names under each object of the context, by the name of the field that holds it ("" at the top)."""
    table: dict[str, tuple[str, ...]] = {}

    def walk(name: str, schema: Schema) -> None:
        table[name] = tuple(schema.fields)
        for field_name, field in schema.fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            schema_of = getattr(inner, "schema", None) if isinstance(inner, (TextOrItem, fields.Nested)) else None
            if isinstance(schema_of, Schema):
                walk(field_name, schema_of)

    walk("", ContextSchema())
    table["context"] = table[""]  # a batch case's context, or a worked case sent whole
    return table


def did_you_mean(path: str) -> str | None:
    """The field an unknown field at `path` most likely meant ("patient.gender" -> "sex"), or None."""
    *parents, name = re.sub(r"\[\d+\]", "", path).split(".")
    known = _known().get(parents[-1] if parents else "")
    if not known:
        return None
    key = name.lower().replace("-", "_")
    if SYNONYMS.get(key.replace("_", "")) in known:
        return SYNONYMS[key.replace("_", "")]
    if SYNONYMS.get(key) in known:
        return SYNONYMS[key]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    return close[0] if close else None
