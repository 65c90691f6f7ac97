"""Liveness, readiness and the contract itself."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from spasmdx.schemas.contract import openapi_text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    kb = current_app.extensions.get("spasmdx.kb")
    if kb is None:
        return {"status": "loading"}, 503
    return {"status": "ready", "knowledge_base": {"version": kb.version, "causes": len(kb.causes)}}


@bp.get("/openapi.yaml")
def openapi():
    return Response(openapi_text(), mimetype="application/yaml")
