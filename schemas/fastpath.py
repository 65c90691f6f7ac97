"""A fast path for validating patient contexts, compiled from openapi.yaml's own schema.

marshmallow's nested load of a rich context costs about half a millisecond; a compiled JSON
Schema check (jsonschema-rs, JSON Schema 2020-12 as OpenAPI 3.1 uses) costs a few microseconds.
The fast path accepts only what it can prove marshmallow would accept, and returns exactly what
marshmallow's load would return; anything else (a rejected value, a number sent as a string, a
low above a high) falls back to ContextSchema, which then names every bad field as before.
tests/test_fastpath.py holds the two paths equal on generated contexts, valid and invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

import jsonschema_rs
import yaml

from .contract import openapi_text
from .request import ContextSchema, over_text_budget

_context = ContextSchema()
_DEFAULTS: dict[str, dict[str, Any]] = {
    "findings": {"present": True},
    "conditions": {"present": True},
    "medications": {"status": "active"},
    "labs": {},
}
_DATES: dict[str, tuple[str, ...]] = {
    "findings": ("onset_date",),
    "conditions": ("onset_date",),
    "medications": ("start_date", "end_date"),
}


class _Slow(Exception):
    """The fast path cannot vouch for this input: let marshmallow decide."""


@lru_cache(maxsize=1)
def _validator() -> Callable[[Any], bool]:
    spec = yaml.load(openapi_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    root = {"$ref": "#/components/schemas/PatientContext", "components": spec["components"]}
    # Dates are checked by the normalisation below (date.fromisoformat), as marshmallow checks them.
    return jsonschema_rs.validator_for(root, validate_formats=False).is_valid


def load_context(data: Any) -> dict[str, Any]:
    """Return the context as ContextSchema().load(data) would; raise its ValidationError on bad input."""
    if _validator()(data):
        try:
            return _normalise(data)
        except _Slow:
            pass
    loaded: dict[str, Any] = _context.load(data)
    return loaded


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "patient":
            out[key] = {k: (float(v) if k == "age" else v) for k, v in value.items()}
        elif key == "narrative":
            out[key] = value
        else:
            out[key] = [_item(key, item) for item in value]
    if over_text_budget(out) is not None:
        raise _Slow  # a total JSON Schema cannot state: marshmallow names the item
    return out


def _item(section: str, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"display": item, **_DEFAULTS[section]}
    out = {**_DEFAULTS[section], **item}
    if "code" in item:
        out["code"] = dict(item["code"])
    for field in _DATES.get(section, ()):
        if field in item:
            out[field] = _date(item[field])
    if section == "labs":
        out["value"] = float(item["value"])
        if "reference_range" in item:
            out["reference_range"] = _range(item["reference_range"])
    return out


def _date(value: str) -> date:
    # marshmallow's Date takes ISO 8601 calendar dates only; anything else goes the slow way.
    if len(value) != 10:
        raise _Slow
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Slow from None


def _range(value: dict[str, Any]) -> dict[str, Any]:
    out = {k: (None if v is None else float(v)) for k, v in value.items()}
    low, high = out.get("low"), out.get("high")
    if low is not None and high is not None and low > high:
        raise _Slow  # marshmallow names the field
    return out
