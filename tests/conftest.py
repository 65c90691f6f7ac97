"""Shared fixtures: the knowledge base, the app built by the factory, its client."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
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

from spasmdx.rules import loader
from spasmdx.service import create_app

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = ROOT / "tests" / "data" / "vignettes" / "public.jsonl"  # the public worked cases
CASES = ROOT / "tests" / "cases"


@pytest.fixture(scope="session")
def kb():
    return loader.load()


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def _assessor(kb):
    from spasmdx.rules.engine import assess as run
    from spasmdx.schemas.request import ContextSchema

    schema = ContextSchema()
    return lambda context, limit=10: run(kb, schema.load(context), limit=limit)


@pytest.fixture(scope="module")
def assess(request, kb):
    """Score a context with the engine alone, as the service would.

    A module that weighs one piece of evidence against another sets `WEIGHS_EVIDENCE = True` and is
    given the naive score, before calibration: calibration keeps each case's order but compresses
    the ratios between probabilities, and can lower a cause when a stronger one joins (explaining away).
    """
    if getattr(request.module, "WEIGHS_EVIDENCE", False):
        import dataclasses

        from spasmdx.rules.model import Calibration

        kb = dataclasses.replace(kb, calibration=Calibration())
    return _assessor(kb)


def ranked(result) -> list[str]:
    """The cause ids of an answer, in rank order."""
    return [c["id"] for c in result["differential"]]


def raised(result) -> set[str]:
    """The ids of the alerts an answer raises."""
    return {a["id"] for a in result["alerts"]}


def read_cases(*paths: Path) -> list[dict]:
    """Read worked cases (one JSON object a line) from the files that exist."""
    cases = []
    for path in paths:
        if path.exists():
            cases.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return cases


def worked_case_paths() -> list[Path]:
    """Every worked case file: the public vignettes, tests/cases, tests/holdout and tests/safety."""
    folders = [CASES, ROOT / "tests" / "holdout", ROOT / "tests" / "safety"]
    return [VIGNETTES, *(path for folder in folders for path in sorted(folder.glob("*.jsonl")))]


@pytest.fixture(scope="session")
def worked_cases() -> list[dict]:
    cases = [c for c in read_cases(*worked_case_paths()) if "context" in c]
    assert len(cases) > 90, "the worked cases are missing"
    return cases


SPASMDX = Path(sys.executable).parent / "spasmdx"
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@pytest.fixture()
def closed_port():
    """A port on 127.0.0.1 where a connection is refused: bound and held, never listened on.

    Held for the whole test, so no other process can take it in the meantime (a port found free and
    let go could be listening again by the time the test connects).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _read_log(process: subprocess.Popen, lines: list[str], port: queue.Queue) -> None:
    """Keep the server's log (read to the end, so a full pipe never stalls it) and hand over its port."""
    for line in process.stdout:
        lines.append(line)
        if found := LISTENING.search(line):
            port.put(int(found.group(1)))
    port.put(None)  # the server exited


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=10).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def server():
    """`spasmdx serve` under gunicorn on a port the kernel picks; yield its base URL."""
    # Port 0: gunicorn binds a free port itself and logs it, so no other process can take it between
    # choosing and binding (as it could with a port found free beforehand).
    process = subprocess.Popen(
        [str(SPASMDX), "serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ},
    )
    lines: list[str] = []
    bound: queue.Queue = queue.Queue()
    threading.Thread(target=_read_log, args=(process, lines, bound), daemon=True).start()

    def fail(why: str) -> None:
        process.kill()
        process.wait(timeout=30)
        pytest.fail(f"server {why}: {''.join(lines)[-2000:]}")

    try:
        port = bound.get(timeout=60)
    except queue.Empty:
        port = None
    if port is None:
        fail("did not start")
    url = f"http://127.0.0.1:{port}"
    # Bound is not yet answering: the workers may still be booting.
    deadline = time.monotonic() + 60
    while not _healthy(url):
        if time.monotonic() > deadline or process.poll() is not None:
            fail("did not answer /healthz")
        time.sleep(0.2)
    yield url
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
