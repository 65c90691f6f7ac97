"""POST /v1/differential: load the context, call the engine, dump the answer."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, g, request

from spasmdx.rules.engine import assess
from spasmdx.schemas.request import ContextSchema, DifferentialQuerySchema
from spasmdx.rules.export import listing
from spasmdx.schemas.response import DISCLAIMER, DifferentialSchema, KnowledgeBaseListingSchema

from .errors import MalformedJson, UnsupportedContentType

bp = Blueprint("api", __name__, url_prefix="/v1")
_context = ContextSchema()
_query = DifferentialQuerySchema()
_answer = DifferentialSchema()
_listing = KnowledgeBaseListingSchema()


def json_body() -> object:
    """Return the parsed JSON body; wrong content types get 415, malformed JSON 400."""
    if not request.is_json:
        raise UnsupportedContentType()
    try:
        return json.loads(request.get_data())
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        raise MalformedJson(f"The request body is not valid JSON ({error}).") from None


@bp.post("/differential")
def differential():
    query = _query.load(request.args)
    context = _context.load(json_body())
    kb = current_app.extensions["spasmdx.kb"]
    result = assess(kb, context, limit=query["limit"])
    result["request_id"] = g.request_id
    result["knowledge_base"] = {"version": kb.version, "causes": len(kb.causes)}
    result["disclaimer"] = DISCLAIMER
    return _answer.dump(result)


@bp.get("/knowledge-base")
def knowledge_base():
    # The listing never changes while the process lives: build it once.
    cached = current_app.extensions.get("spasmdx.kb_listing")
    if cached is None:
        cached = _listing.dump(listing(current_app.extensions["spasmdx.kb"]))
        current_app.extensions["spasmdx.kb_listing"] = cached
    return cached
