"""A request id for every request, and JSON log lines that never carry patient data.

An access line holds the request id, method, route (the rule, not the URL), status, duration
and counts; other lines hold a fixed message and the names of things, never request content.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from . import metrics

log = logging.getLogger("spasmdx.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and any `fields` given."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:  # the exception's type only: its message and frames may quote a request
            line["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else "unknown"
        return json.dumps(line)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    fields = {
        "request_id": g.get("request_id"),
        "method": metrics.method_label(),
        "route": metrics.route_label(),
        "status": response.status_code,
        "duration_ms": round(elapsed, 2),
        **g.get("log_counts", {}),
    }
    log.info("request", extra={"fields": fields})
    return response


def init_app(app: Flask) -> None:
    root = logging.getLogger("spasmdx")
    root.setLevel(app.config["LOG_LEVEL"])
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()  # stderr, where gunicorn's own log goes
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.propagate = False  # our lines are complete; a root handler must not print them again
    app.before_request(_start)
    app.after_request(_finish)
