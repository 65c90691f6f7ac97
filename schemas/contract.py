"""The API contract, openapi.yaml, as shipped with the package (the fast path compiles it; GET /openapi.yaml serves it).

schemas/openapi.yaml is package data; tests/test_openapi.py fails unless it is byte for byte the
top-level openapi.yaml, the contract people read and edit.
"""
from __future__ import annotations

from importlib import resources


def openapi_text() -> str:
    """Return openapi.yaml as shipped with spasmdx.schemas."""
    return resources.files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
