"""RFC 9457 problem details: the one shape of every error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, fields

from .fieldnames import did_you_mean

VALIDATION_TYPE = "https://spasmdx.dev/problems/validation-error"


UNKNOWN_FIELD = "Unknown field."


class FieldErrorSchema(Schema):
    path = fields.String(required=True)
    message = fields.String(required=True)
    did_you_mean = fields.String()


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


def field_errors(messages: Any, prefix: str = "") -> Iterable[dict[str, str]]:
    """Flatten marshmallow's nested messages into {"path": "labs[2].value", "message": ...}."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                step = ""
            elif isinstance(key, int):
                step = f"[{key}]"
            else:
                step = f".{key}" if prefix else str(key)
            yield from field_errors(value, f"{prefix}{step}")
    elif isinstance(messages, list) and messages and not all(isinstance(m, str) for m in messages):
        for message in messages:
            yield from field_errors(message, prefix)
    else:
        for message in messages if isinstance(messages, list) else [messages]:
            error = {"path": prefix or "(body)", "message": str(message)}
            if message == UNKNOWN_FIELD:
                meant = did_you_mean(prefix)
                if meant:
                    error["message"] = f"Unknown field; did you mean '{meant}'?"
                    error["did_you_mean"] = meant
            yield error


def problem_details(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> dict[str, Any]:
    """Build an RFC 9457 problem: type, title, status, detail, then any extra members in the order given."""
    return {"type": type_, "title": title, "status": status, "detail": detail, **extra}


def validation_problem(
    messages: Any,
    instance: str | None = None,
    status: int = 422,
    title: str = "Unprocessable Content",
    says: str = "The request does not match the schema",
) -> dict[str, Any]:
    """Build the problem for marshmallow's messages, naming every bad field (422 unless told otherwise)."""
    errors = list(field_errors(messages))
    paths = ", ".join(e["path"] for e in errors[:10])
    problem = problem_details(status, title, f"{says}: {paths}.", VALIDATION_TYPE, errors=errors)
    if instance:
        problem["instance"] = instance
    return problem
