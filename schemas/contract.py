"""The API contract, openapi.yaml, as shipped with the package (the fast path compiles it; GET /openapi.yaml serves it).

schemas/openapi.yaml is the contract, shipped as package data; the top-level openapi.yaml, where
people and tools look for it, is a link to it (tests/test_openapi.py holds that).
"""

from __future__ import annotations

from importlib import resources


def openapi_text() -> str:
    """Return openapi.yaml as shipped with spasmdx.schemas."""
    return resources.files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
