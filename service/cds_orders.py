"""CDS Hooks order-select and order-sign: the myopathy risk of medication orders, before they are signed.

Registered on the CDS Hooks blueprint (cds_hooks.bp), so the same JWT check, CORS, 412 rule,
fetch limits and error handlers apply. Views load, call rules.orders, dump.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app
from marshmallow import ValidationError

from spasmdx import fhir
from spasmdx.fhir import orders as fhir_orders
from spasmdx.rules import orders
from spasmdx.rules.resolve import resolve
from spasmdx.schemas.cds_hooks import FeedbackAnswerSchema, FeedbackSchema, HookRequestSchema
from spasmdx.schemas.cds_orders import OrderCardsSchema, OrderSelectContextSchema, OrderSignContextSchema

from . import cds_cards, cds_order_cards, fhir_fetch
from .api import json_body
from .cds_hooks import UNRECOGNIZED, bp, reference_date

log = logging.getLogger("spasmdx.cds_orders")

SELECT_ID = "statin-myopathy-order-select"
SIGN_ID = "statin-myopathy-order-sign"
_LOINC = "http://loinc.org"
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active,on-hold&_count=100",
    # Every clinical status: a resolved statin myopathy is the history that matters.
    "conditions": "Condition?patient={{context.patientId}}&_count=100",
    "ck": f"Observation?patient={{{{context.patientId}}}}&code={_LOINC}|2157-6&_sort=-date&_count=1",
    "creatinine": f"Observation?patient={{{{context.patientId}}}}&code={_LOINC}|2160-0,{_LOINC}|38483-4"
    "&_sort=-date&_count=1",
}
_DESCRIPTION = (
    "Checks medication orders for the risk of myopathy: statin interactions (strong CYP3A4 inhibitors, gemfibrozil, "
    "ciclosporin, danazol, fusidic acid, daptomycin), labelled statin dose limits, colchicine with a statin in kidney "
    "disease, a statin after recorded statin myopathy, and a checkpoint inhibitor with myositis or myasthenia on "
    "record. Cards suggest safer orders. Decision support for clinicians; not a diagnosis."
)
SERVICES = (
    {
        "hook": "order-select",
        "title": "Statin and myopathy risk at order selection",
        "description": _DESCRIPTION,
        "id": SELECT_ID,
        "prefetch": PREFETCH,
    },
    {
        "hook": "order-sign",
        "title": "Statin and myopathy risk at order signing",
        "description": _DESCRIPTION,
        "id": SIGN_ID,
        "prefetch": PREFETCH,
    },
)
CONTEXTS = {"order-select": OrderSelectContextSchema(), "order-sign": OrderSignContextSchema()}

_hook, _feedback, _acknowledged = HookRequestSchema(), FeedbackSchema(), FeedbackAnswerSchema()
_cards = OrderCardsSchema()


@bp.post(f"/cds-services/{SELECT_ID}")
def order_select():
    return _answer("order-select")


@bp.post(f"/cds-services/{SIGN_ID}")
def order_sign():
    return _answer("order-sign")


@bp.post(f"/cds-services/{SELECT_ID}/feedback")
@bp.post(f"/cds-services/{SIGN_ID}/feedback")
def order_feedback():
    items = _feedback.load(json_body())["feedback"]
    counts = current_app.extensions["spasmdx.cds_feedback"].add(items)
    log.info(json.dumps({"event": "cds_feedback", "service": "orders", "received": len(items), "counts": counts}))
    return _acknowledged.dump({"received": len(items)})


def _answer(hook: str) -> Any:
    call = _hook.load(json_body())
    if call["hook"] != hook:
        raise ValidationError({"hook": [f"this service answers the {hook} hook"]})
    try:
        context = CONTEXTS[hook].load(call["context"])
    except ValidationError as error:
        raise ValidationError({"context": error.messages}) from None
    config = current_app.config
    given, extra = _requested(call.get("prefetch") or {})
    limits = fhir_fetch.Limits(
        config["CDS_FHIR_TIMEOUT"],
        config["CDS_FHIR_MAX_PAGES"],
        config["CDS_FHIR_MAX_BYTES"],
        config["CDS_FHIR_CA_FILE"],
    )
    servers = current_app.extensions["spasmdx.fhir_servers"]
    prefetch, fetched = fhir_fetch.complete(given, PREFETCH, set(), call, limits, servers)
    patient = context["patientId"]
    mapped = fhir.to_context(
        fhir_orders.with_past_conditions(prefetch),
        reference_date(call),
        patient,
        config["CDS_LAB_MAX_AGE_DAYS"] or None,
        medications_listed=True,
    )
    drafts, draft_notes = fhir_orders.read_drafts(context["draftOrders"], patient)
    focus = {d.reference for d in drafts}
    if hook == "order-select":
        focus, missing = fhir_orders.selected(drafts, context["selections"])
        draft_notes += missing
    kb = current_app.extensions["spasmdx.kb"]
    record = resolve(kb, mapped.context)
    findings, more, draft_unread = orders.check(kb, record.facts, drafts, focus)
    by_reference = {d.reference: d for d in drafts}
    notes = [
        *extra,
        *fetched,
        *mapped.notes,
        *cds_cards.unrecognized([], record.unrecognized, mapped.origin),
        *draft_notes,
        *({**n, "path": _draft_path(drafts, n["path"])} for n in draft_unread),
    ]
    if more:
        notes.append(
            {
                "path": "cards",
                "input": f"{more} more finding(s)",
                "reason": f"more than {orders.MAX_FINDINGS} order checks held: the most severe are shown",
            }
        )
    answer: dict[str, Any] = {"cards": cds_order_cards.cards(kb, findings, by_reference, patient, call["hookInstance"])}
    if notes:
        answer["extension"] = {UNRECOGNIZED: notes}
    return _cards.dump(answer)


def _requested(prefetch: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Keep the prefetch keys these services asked for; report any other (it may hold patient data)."""
    kept = {key: value for key, value in prefetch.items() if key in PREFETCH}
    extra = [
        {"path": f"prefetch.{key}", "input": key, "reason": "not a prefetch key of this service: not read"}
        for key in prefetch
        if key not in PREFETCH
    ]
    return kept, extra


def _draft_path(drafts: list[fhir_orders.Draft], path: str) -> str:
    """medications[2].code -> the draft's place in context.draftOrders."""
    head, _, rest = path.partition(".")
    if head.startswith("medications[") and head.endswith("]"):
        index = int(head[len("medications[") : -1])
        if 0 <= index < len(drafts):
            return f"{drafts[index].path}.medication" + (f".{rest}" if rest else "")
    return path
