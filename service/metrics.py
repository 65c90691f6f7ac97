"""GET /metrics: Prometheus counters, a latency histogram, alerts raised, CDS feedback, the knowledge-base version.

Under gunicorn every worker counts for itself; `spasmdx serve` sets PROMETHEUS_MULTIPROC_DIR
so that a scrape adds the workers up (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

bp = Blueprint("metrics", __name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("spasmdx_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "spasmdx_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ALERTS = Counter("spasmdx_alerts_total", "Alerts raised in answers", ["alert", "severity"])
# reason: one of this service's override reason codes, `other` for a client's own, `none` when none given.
FEEDBACK = Counter(
    "spasmdx_cds_feedback_total", "CDS Hooks card feedback by outcome and override reason", ["outcome", "reason"]
)
# Counted by gunicorn's worker_abort hook (service/gunicorn_hooks.py) in the worker being replaced.
WORKER_TIMEOUTS = Counter("spasmdx_worker_timeouts", "Workers gunicorn aborted for missing its timeout")
KNOWLEDGE_BASE = Gauge(
    "spasmdx_knowledge_base_info", "The loaded knowledge base (value 1)", ["version"], multiprocess_mode="max"
)


def count_alerts(alerts: list[dict]) -> None:
    for alert in alerts:
        ALERTS.labels(alert["id"], alert["severity"]).inc()


def _start() -> None:
    g.metrics_started = time.perf_counter()


def route_label() -> str:
    """The route as a label: the rule that matched (never the URL, which may hold patient data), or `unmatched`."""
    return request.url_rule.rule if request.url_rule else "unmatched"


def method_label() -> str:
    """The method as a label: an HTTP method this service knows, else `other`.

    A client may send any token as a method; each new label value is a new series kept for
    the life of the process, so the set of values must be closed (issue 15: 15 series grew to 215).
    """
    return request.method if request.method in METHODS else "other"


def _finish(response: Response) -> Response:
    route = route_label()
    REQUESTS.labels(route, method_label(), str(response.status_code)).inc()
    LATENCY.labels(route).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
    return response


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return Response(
        generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"}
    )


def init_app(app: Flask) -> None:
    KNOWLEDGE_BASE.labels(app.extensions["spasmdx.kb"].version).set(1)
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)
