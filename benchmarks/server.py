"""Start `spasmdx serve` on a free loopback port for a measurement, and stop it afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

SPASMDX = Path(sys.executable).parent / "spasmdx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    workers: int = 2, env: dict[str, str] | None = None, timeout: int = 30
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield (base URL, the gunicorn master process), with production settings and no log noise."""
    port = free_port()
    process = subprocess.Popen(
        [str(SPASMDX), "serve", "--port", str(port), "--workers", str(workers), "--timeout", str(timeout)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "SPASMDX_LOG_LEVEL": "WARNING", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def workers_of(master: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []
