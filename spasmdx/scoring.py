"""One case in, one answer out: the same path for the API, its batch endpoint and the batch CLI."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from spasmdx.rules.engine import assess
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.schemas.fastpath import load_context
from spasmdx.schemas.problem import validation_problem
from spasmdx.schemas.response import DISCLAIMER


def answer(kb: KnowledgeBase, result: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Wrap an engine result in the response shape, fields in the contract's order."""
    return {
        "request_id": request_id,
        "knowledge_base": {"version": kb.version, "causes": len(kb.causes)},
        "differential": result["differential"],
        "alerts": result["alerts"],
        "pitfalls": result["pitfalls"],
        "unrecognized": result["unrecognized"],
        **({"understood": result["understood"]} if result.get("understood") else {}),
        "disclaimer": DISCLAIMER,
    }


def score(kb: KnowledgeBase, context: Any, request_id: str, limit: int = 10) -> dict[str, Any]:
    """Validate and score one context; raise marshmallow's ValidationError on bad input."""
    return answer(kb, assess(kb, load_context(context), limit=limit), request_id)


def score_or_problem(kb: KnowledgeBase, context: Any, request_id: str, limit: int = 10) -> tuple[str, dict[str, Any]]:
    """Return ("result", response) or ("error", problem details) for one case."""
    try:
        return "result", score(kb, context, request_id, limit)
    except ValidationError as error:
        return "error", validation_problem(error.messages)
