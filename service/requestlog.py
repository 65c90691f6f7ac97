"""A request id for every request, and one log line per response with no patient data."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("spasmdx.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    route = request.url_rule.rule if request.url_rule else "(unmatched)"
    log.info(json.dumps({"request_id": g.get("request_id"), "method": request.method, "route": route,
                         "status": response.status_code, "duration_ms": round(elapsed, 2)}))
    return response


def init_app(app: Flask) -> None:
    root = logging.getLogger("spasmdx")
    root.setLevel(app.config["LOG_LEVEL"])
    if not root.handlers:  # one line per event on stderr, where gunicorn's own log goes
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)
    app.before_request(_start)
    app.after_request(_finish)
