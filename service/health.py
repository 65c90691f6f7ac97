"""Liveness, readiness and the contract itself."""
from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, current_app

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
    text = resources.files("spasmdx.service").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml")
