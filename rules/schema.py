"""Read a knowledge-base file and check its shape against schema.yaml (JSON Schema, jsonschema-rs)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from .errors import KnowledgeError

# libyaml's safe loader when PyYAML was built with it: same safety, about ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# marshmallow's words, which the knowledge-base errors have always used.
MISSING = "Missing data for required field."
UNKNOWN = "Unknown field."


def read_yaml(root: Path, name: str) -> Any:
    """Return the parsed YAML of `root/name`; raise KnowledgeError naming the file."""
    try:
        with open(root / name, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(name, "file is missing") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(name, f"not valid YAML: {error}") from None


def read(root: Path, name: str, kind: str) -> Any:
    """Return the file's data checked against the schema of `kind`, with defaults filled in."""
    data = read_yaml(root, name)
    try:
        problems = sorted(set(_problems(kind, data)))
    except ValueError:
        # YAML reads `2026-11-01` as a date and `1: x` as an int key; JSON Schema (and JSON) know neither.
        raise KnowledgeError(
            name,
            f"{_not_plain(data) or '(file)'}: not plain data (text, numbers, true/false, "
            "null, lists, mappings with text keys); quote it",
        ) from None
    if problems:
        raise KnowledgeError(name, "; ".join(problems))
    _defaults(kind).fill(data)
    return data


@cache
def document() -> dict[str, Any]:
    """The schema document: `files` (one definition per file kind) and the `$defs` they share."""
    text = (resources.files("spasmdx.rules") / "schema.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.load(text, Loader=_LOADER)
    return loaded


@cache
def _validator(kind: str) -> Any:
    schema = document()
    # One root per file kind that shares the definitions, so that error paths point into the document.
    root = {"$schema": schema["$schema"], "$defs": schema["$defs"], "files": schema["files"], "$ref": f"#/files/{kind}"}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def _problems(kind: str, data: Any) -> Iterator[str]:
    for error in _validator(kind).iter_errors(data):
        where = _path(error.instance_path)
        name = type(error.kind).__name__
        if name == "Required":
            yield f"{_join(where, error.kind.property)}: {MISSING}"
        elif name in ("AdditionalProperties", "UnevaluatedProperties"):
            yield from (f"{_join(where, key)}: {UNKNOWN}" for key in error.kind.unexpected)
        else:
            yield f"{where or '(file)'}: {_message(error)}"


def _message(error: Any) -> str:
    """The schema's own errorMessage for the failing keyword, else the validator's."""
    node: Any = document()
    try:
        for step in error.schema_path[:-1]:
            node = node[step]
    except (KeyError, IndexError, TypeError):
        return str(error.message)
    return str(node.get("errorMessage", error.message)) if isinstance(node, dict) else str(error.message)


def _not_plain(data: Any, where: str = "") -> str | None:
    """The path of the first value JSON cannot hold, or None."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                return _join(where, str(key))
            found = _not_plain(value, _join(where, key))
            if found is not None:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found = _not_plain(value, f"{where}[{i}]")
            if found is not None:
                return found
    elif data is not None and not isinstance(data, (str, int, float, bool)):
        return where
    return None


def _path(steps: list[str | int]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Defaults:
    """The defaults of one schema node and of the nodes under it, worked out once per file kind."""

    empty: bool

    def __init__(self, schema: dict[str, Any]) -> None:
        schema = _resolved(schema)
        properties = {key: _resolved(sub) for key, sub in schema.get("properties", {}).items()}
        self.defaults = tuple((key, sub["default"]) for key, sub in properties.items() if "default" in sub)
        self.keys = {key: node for key, sub in properties.items() if not (node := _Defaults(sub)).empty}
        items = _Defaults(schema["items"]) if "items" in schema else None
        self.items = items if items is not None and not items.empty else None
        self.empty = not self.defaults and not self.keys and self.items is None

    def fill(self, data: Any) -> None:
        """Put each missing key's default in place, throughout the (valid) data."""
        if isinstance(data, dict):
            for key, default in self.defaults:
                if key not in data:
                    # Defaults are null or empty: a shallow copy keeps entries from sharing one list.
                    data[key] = default.copy() if isinstance(default, (list, dict)) else default
            for key, node in self.keys.items():
                if key in data:
                    node.fill(data[key])
        elif isinstance(data, list) and self.items is not None:
            for item in data:
                self.items.fill(item)


@cache
def _defaults(kind: str) -> _Defaults:
    return _Defaults(document()["files"][kind])


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref merged in (its own keys win; properties are united)."""
    if "$ref" not in schema:
        return schema
    node: Any = document()
    for step in schema["$ref"].removeprefix("#/").split("/"):
        node = node[step]
    target = _resolved(node)
    merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if "properties" in target and "properties" in schema:
        merged["properties"] = {**target["properties"], **schema["properties"]}
    return merged
