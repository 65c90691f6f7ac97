"""`spasmdx serve` runs gunicorn on the given host and port and answers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

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


def test_gunicorn_serves_the_differential(server):
    response = requests.post(f"{server}/v1/differential", timeout=10,
                             json={"findings": ["muscle cramps at night"], "patient": {"age": 70}})
    assert response.status_code == 200
    assert response.json()["differential"][0]["id"] == "nocturnal_leg_cramps"
    assert requests.get(f"{server}/readyz", timeout=5).json()["status"] == "ready"
