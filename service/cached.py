"""Answers built once per process: the knowledge base never changes while the process lives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app


def built_once(name: str, build: Callable[[Any], Any]) -> Any:
    """Return app.extensions[name], building it from the knowledge base on first use."""
    cached = current_app.extensions.get(name)
    if cached is None:
        cached = current_app.extensions[name] = build(current_app.extensions["spasmdx.kb"])
    return cached
