"""Shared fixtures: the knowledge base, the app built by the factory, its client."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hypothesis import settings

# CI runs the same generated examples every time (a landing must not depend on luck); local runs
# keep exploring new ones, and whatever they find becomes a fixed regression test.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

from spasmdx.schemas import knowledge
from spasmdx.service import create_app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"  # the design material beside a checkout, when present (test_catalogue.py)
VIGNETTES = ROOT / "tests" / "data" / "vignettes" / "public.jsonl"  # the public worked cases
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


SPASMDX = Path(sys.executable).parent / "spasmdx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    port = free_port()
    process = subprocess.Popen([str(SPASMDX), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.stdout.read().decode()[-2000:]}")
    yield url
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


