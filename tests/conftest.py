"""Shared fixtures: the knowledge base, the app built by the factory, its client."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from spasmdx.schemas import knowledge
from spasmdx.service import create_app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
VIGNETTES = SHARED / "vignettes" / "public.jsonl"
CASES = ROOT / "tests" / "cases"


@pytest.fixture(scope="session")
def kb():
    return knowledge.load()


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def assess(kb):
    """Score a context with the engine alone, as the service would."""
    from spasmdx.rules.engine import assess as run
    from spasmdx.schemas.request import ContextSchema

    schema = ContextSchema()
    return lambda context, limit=10: run(kb, schema.load(context), limit=limit)


def read_cases(*paths: Path) -> list[dict]:
    """Read worked cases (one JSON object a line) from the files that exist."""
    cases = []
    for path in paths:
        if path.exists():
            cases.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return cases
