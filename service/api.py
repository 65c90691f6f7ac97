"""POST /v1/differential: load the context, call the engine, dump the answer."""

from __future__ import annotations

import time

import orjson
from flask import Blueprint, Response, current_app, g, request

from spasmdx.rules.export import listing
from spasmdx.schemas.request import BatchRequestSchema, DifferentialQuerySchema
from spasmdx.schemas.response import KnowledgeBaseListingSchema
from spasmdx.scoring import score, score_or_problem

from . import metrics
from .cached import built_once
from .errors import DeadlineExceeded, MalformedJson, UnsupportedContentType

bp = Blueprint("api", __name__, url_prefix="/v1")
_query = DifferentialQuerySchema()
_listing = KnowledgeBaseListingSchema()
_batch = BatchRequestSchema()
_NO_QUERY = _query.load({})  # the defaults, for the usual request with no query string


def query_options() -> dict:
    """The query string's options (limit), checked by marshmallow when there is one."""
    return _query.load(request.args) if request.args else dict(_NO_QUERY)


def json_body() -> object:
    """Return the parsed JSON body; wrong content types get 415, malformed JSON 400."""
    if not request.is_json:
        raise UnsupportedContentType()
    try:
        return orjson.loads(request.get_data())
    except ValueError as error:  # JSONDecodeError (NaN and Infinity are not JSON) and bad UTF-8 alike
        raise MalformedJson(f"The request body is not valid JSON ({error}).") from None


def json_response(body: object) -> Response:
    return Response(orjson.dumps(body), mimetype="application/json")


@bp.post("/differential")
def differential():
    query = query_options()
    kb = current_app.extensions["spasmdx.kb"]
    answer = score(kb, json_body(), g.request_id, limit=query["limit"])
    metrics.count_alerts(answer["alerts"])
    g.log_counts = {
        "causes": len(answer["differential"]),
        "alerts": len(answer["alerts"]),
        "unrecognized": len(answer["unrecognized"]),
    }
    # The engine's answer is already in the contract's shape (tests hold it to openapi.yaml and
    # to DifferentialSchema); orjson writes it in a fraction of a marshmallow dump's time.
    return json_response(answer)


@bp.post("/differential/batch")
def differential_batch():
    request.max_content_length = current_app.config["MAX_BATCH_BODY_BYTES"]
    query = query_options()
    cases = _batch.load(json_body())["cases"]
    kb = current_app.extensions["spasmdx.kb"]
    deadline = time.monotonic() + current_app.config["BATCH_DEADLINE_SECONDS"]
    results = []
    for number, case in enumerate(cases, start=1):
        if time.monotonic() > deadline:
            # Answer cleanly before gunicorn's hard timeout would cut the connection.
            raise DeadlineExceeded(
                f"The batch took longer than {current_app.config['BATCH_DEADLINE_SECONDS']} s "
                f"after {number - 1} of {len(cases)} cases; send smaller batches."
            )
        kind, body = score_or_problem(kb, case["context"], f"{g.request_id}-{number}", limit=query["limit"])
        if kind == "error":
            body["instance"] = f"/v1/differential/batch#cases[{number - 1}]"
        else:
            metrics.count_alerts(body["alerts"])
        results.append({"case_id": case["case_id"], kind: body})
    g.log_counts = {"cases": len(cases), "errors": sum("error" in r for r in results)}
    return json_response({"results": results})


@bp.get("/knowledge-base")
def knowledge_base():
    return built_once("spasmdx.kb_listing", lambda kb: _listing.dump(listing(kb)))
