"""One error module: every failure leaves as an RFC 9457 problem."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from spasmdx.schemas.problem import ProblemSchema, problem_details, validation_problem

log = logging.getLogger("spasmdx.errors")
PROBLEM_JSON = "application/problem+json"
_schema = ProblemSchema()


class MalformedJson(BadRequest):
    """The body is not JSON; the description says where parsing stopped."""


class DeadlineExceeded(HTTPException):
    """A request ran past the service's own deadline: a clean 503 instead of a killed worker."""

    code = 503


class UnsupportedContentType(HTTPException):
    code = 415
    description = "Send the body as application/json."


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: object) -> Response:
    """Build a problem response for this request; the request id ties it to the log line."""
    return problem_response(problem_details(status, title, detail, type_, **extra))


def problem_response(body: dict[str, Any]) -> Response:
    """Answer a problem body as application/problem+json, naming this request (path and id)."""
    named: dict[str, Any] = {"instance": request.path}
    if getattr(g, "request_id", None):
        named["request_id"] = g.request_id
    body = {**named, **body}  # the body's own instance, if it names one, stands
    response = jsonify(_schema.dump(body))
    response.status_code = body["status"]
    response.mimetype = PROBLEM_JSON
    return response


def _validation(error: ValidationError) -> Response:
    return problem_response(validation_problem(error.messages))


def _http(error: HTTPException) -> Response:
    detail = error.description or error.name
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        detail = f"The request body is larger than this service accepts ({limit:,} bytes at most; MAX_BODY_BYTES)."
    response = problem(error.code or 500, error.name, detail)
    if error.code == 503:
        response.headers["Retry-After"] = "1"
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))  # RFC 9110 requires it with a 405
    return response


def _unexpected(error: Exception) -> Response:
    # Log the type and where it happened, never the request body: it holds patient data.
    log.error("unhandled %s on %s %s", type(error).__name__, request.method, request.path)
    return problem(500, "Internal Server Error", "The service failed to answer; the request id identifies the failure.")


def init_app(app: Flask) -> None:
    app.register_error_handler(ValidationError, _validation)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
