"""CDS Hooks 2.0: discovery, the patient-view service spasm-differential, and its feedback."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from marshmallow import ValidationError

from spasmdx import fhir
from spasmdx.fhir.datatypes import fhir_date
from spasmdx.rules.engine import assess
from spasmdx.schemas.cds_hooks import (
    CardsSchema,
    DiscoverySchema,
    FeedbackAnswerSchema,
    FeedbackSchema,
    HookRequestSchema,
)
from spasmdx.schemas.problem import validation_problem

from . import cds_cards, cds_order_cards, cds_sources, fhir_fetch, fhir_origin, jwt_auth, metrics
from .api import json_body
from .config import split
from .errors import problem, problem_response
from .security import ConfigError

log = logging.getLogger("spasmdx.cds_hooks")
bp = Blueprint("cds_hooks", __name__)

SERVICE_ID = "spasm-differential"
# The specification's recommended query subset: reads, patient-scoped searches with token
# equality, _count, and _sort for the most recent first.
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active,recurrence,relapse&_count=100",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&status=active,on-hold,stopped,completed"
    "&_sort=-authoredon&_count=100",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&_sort=-effective&_count=100",
    "labs": "Observation?patient={{context.patientId}}&category=laboratory&_sort=-date&_count=100",
    # The US Core DocumentReference category: the newest notes, read as the context's narrative.
    "notes": "DocumentReference?patient={{context.patientId}}&category=clinical-note&status=current"
    "&_sort=-date&_count=5",
}
# Many EHRs keep no medication statements, and many cannot share notes: neither absence is a reason
# for a 412. Left out with a fhirServer allowed, they are fetched; a failed fetch is a note, not a 412.
OPTIONAL_PREFETCH = {"medicationStatements", "notes"}
MEDICATION_KEYS = ("medicationRequests", "medicationStatements")
SERVICE = {
    "hook": "patient-view",
    "title": "Muscle spasm, cramp and twitch differential",
    "description": "Ranks the causes of muscle spasms, cramps and twitches from the chart's conditions, medications, "
    "laboratory results and recent clinical notes, with the evidence for each, red-flag alerts (such as "
    "rhabdomyolysis) and diagnostic pitfalls. Decision support for clinicians; not a diagnosis.",
    "id": SERVICE_ID,
    "prefetch": PREFETCH,
}
REFERENCE_DATE = "dev.spasmdx.reference-date"  # request extension: the day ages are counted to
UNRECOGNIZED = "dev.spasmdx.unrecognized"  # response extension: everything not understood
UNDERSTOOD = "dev.spasmdx.understood"  # response extension: what the notes were read as, span by span
DIFFERENTIAL_LIMIT = 10
OVERRIDE_CODES = {(r["system"], r["code"]) for r in (*cds_cards.OVERRIDE_REASONS, *cds_order_cards.OVERRIDE_REASONS)}

_hook, _feedback = HookRequestSchema(), FeedbackSchema()
_discovery, _cards, _acknowledged = DiscoverySchema(), CardsSchema(), FeedbackAnswerSchema()


class FeedbackCounter:
    """Outcomes and override reasons counted in memory: never a card id, a comment or patient data."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Count feedback items as outcome/reason, here and in /metrics; return the counts so far."""
        with self._lock:
            for item in items:
                outcome, reason = feedback_labels(item)
                self._counts[f"{outcome}/{reason}"] += 1
                metrics.FEEDBACK.labels(outcome, reason).inc()
            return dict(self._counts)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def feedback_labels(item: Mapping[str, Any]) -> tuple[str, str]:
    """Return (outcome, reason): this service's own reason code, `other` for any other, `none` for no reason."""
    reason = (item.get("overrideReason") or {}).get("reason") or {}
    # Only this service's own reason codes become keys or labels: a client's codes could be anything.
    ours = (reason.get("system"), reason.get("code")) in OVERRIDE_CODES
    return item["outcome"], reason["code"] if ours else "other" if reason else "none"


def init_app(app: Flask) -> None:
    """Build the feedback counter (the JWT verifier is jwt_auth's, shared with the API) and check the
    FHIR server allow-list: a bad entry stops start-up, naming the setting."""
    app.extensions["spasmdx.cds_feedback"] = FeedbackCounter()
    try:
        app.extensions["spasmdx.fhir_servers"] = fhir_origin.allow_list(split(app.config["CDS_FHIR_SERVERS"]))
    except ValueError as error:
        raise ConfigError(str(error)) from None


@bp.before_request
def _authenticate() -> None:
    request.max_content_length = current_app.config["CDS_MAX_BODY_BYTES"]
    if request.method == "OPTIONS":  # a preflight carries no token
        return
    if current_app.extensions["spasmdx.jwt"] is None:
        # With authentication on, the hooks fail closed: they take patient data too, and only a
        # CDS Client's signed JWT can vouch for the caller (an API key is not part of CDS Hooks).
        if current_app.config["AUTH"] != "none":
            raise jwt_auth.TokenRefused("this service requires a CDS Client JWT and has no trusted issuers configured")
        return
    jwt_auth.verify_request()


@bp.after_request
def _cors(response: Response) -> Response:
    allowed = split(current_app.config["CDS_CORS_ORIGINS"])
    origin = request.headers.get("Origin")
    if allowed and "*" not in allowed:
        response.vary.add("Origin")  # the answer differs by origin: caches must keep them apart
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, X-Request-ID"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> Response:
    # CDS Clients expect 400 for a request that does not follow the specification.
    return problem_response(
        validation_problem(
            error.messages, status=400, title="Bad Request", says="The request does not follow CDS Hooks"
        )
    )


@bp.errorhandler(fhir_fetch.PrefetchUnavailable)
def _precondition(error: fhir_fetch.PrefetchUnavailable) -> Response:
    # The same words whatever went wrong (fhir_fetch logs which): a caller must not learn how a
    # server it named answered, or whether it is on the allow-list.
    where = ": the request names no fhirServer" if error.no_server else " from the fhirServer"
    return problem(412, "Precondition Failed", f"Could not fetch prefetch {', '.join(error.keys)}{where}.")


@bp.errorhandler(jwt_auth.TokenRefused)
def _unauthorized(error: jwt_auth.TokenRefused) -> Response:
    log.info("CDS Hooks call refused: %s", error)  # the reason only: the token is never logged
    response = problem(401, "Unauthorized", f"The bearer token was refused: {error}.")
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


@bp.get("/cds-services")
def discovery():
    return _discovery.dump({"services": [SERVICE, *cds_orders.SERVICES]})


@bp.post(f"/cds-services/{SERVICE_ID}")
def spasm_differential():
    call = _hook.load(json_body())
    if call["hook"] != SERVICE["hook"]:
        raise ValidationError({"hook": [f"this service answers the {SERVICE['hook']} hook"]})
    config = current_app.config
    given, extra = _requested(call.get("prefetch") or {})
    limits = fhir_fetch.Limits(
        config["CDS_FHIR_TIMEOUT"],
        config["CDS_FHIR_MAX_PAGES"],
        config["CDS_FHIR_MAX_BYTES"],
        config["CDS_FHIR_CA_FILE"],
    )
    servers = current_app.extensions["spasmdx.fhir_servers"]
    today, patient_id = reference_date(call), call["context"]["patientId"]
    note_age = config["CDS_NOTE_MAX_AGE_DAYS"] or None
    attachments = fhir.attachments_to_fetch("notes", today, note_age, patient_id)  # notes by url: fetched too
    prefetch, fetched = fhir_fetch.complete(given, PREFETCH, OPTIONAL_PREFETCH, call, limits, servers, attachments)
    mapped = fhir.to_context(
        prefetch,
        today,
        patient_id,
        config["CDS_LAB_MAX_AGE_DAYS"] or None,
        medications_listed=any(key in prefetch for key in MEDICATION_KEYS),
        note_max_age_days=note_age,
    )
    kb = current_app.extensions["spasmdx.kb"]
    # What the notes said points into each note (its attachment, offsets in its text), not the joined narrative.
    result = cds_sources.located(assess(kb, mapped.context, limit=DIFFERENTIAL_LIMIT), mapped.located)
    notes = cds_cards.unrecognized([*extra, *fetched, *mapped.notes], result["unrecognized"], mapped.origin)
    quote = mapped.narrative.quoted if mapped.narrative.text else None
    answer: dict[str, Any] = {"cards": cds_cards.cards(kb, result, notes, call["hookInstance"], quote)}
    extension = {UNRECOGNIZED: notes, UNDERSTOOD: result.get("understood")}
    if any(extension.values()):
        answer["extension"] = {key: value for key, value in extension.items() if value}
    return _cards.dump(answer)


@bp.post(f"/cds-services/{SERVICE_ID}/feedback")
def feedback():
    items = _feedback.load(json_body())["feedback"]
    counts = current_app.extensions["spasmdx.cds_feedback"].add(items)
    log.info(json.dumps({"event": "cds_feedback", "service": SERVICE_ID, "received": len(items), "counts": counts}))
    return _acknowledged.dump({"received": len(items)})


def _requested(prefetch: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Keep the prefetch keys this service asked for; report any other (it may hold patient data)."""
    kept = {key: value for key, value in prefetch.items() if key in PREFETCH}
    extra = [
        {"path": f"prefetch.{key}", "input": key, "reason": "not a prefetch key of this service: not read"}
        for key in prefetch
        if key not in PREFETCH
    ]
    return kept, extra


def reference_date(call: Mapping[str, Any]) -> date:
    """Return the day ages are counted to: the request's documented extension, else the server's today (UTC).

    Never the HTTP Date header: any client or proxy sets it, and a date two years ahead made a
    critical lab "too old" and silenced its alert (issue 15).
    """
    extension = call.get("extension")
    if isinstance(extension, dict) and fhir_date(extension.get(REFERENCE_DATE)):
        return fhir_date(extension[REFERENCE_DATE])  # type: ignore[return-value]
    return datetime.now(UTC).date()


# The ordering services (order-select, order-sign) live in their own module, on this blueprint.
from . import cds_orders  # noqa: E402
