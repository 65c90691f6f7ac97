"""A bounded loopback load: gunicorn in one process group, clients in others."""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SPASMDX = Path(sys.executable).parent / "spasmdx"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(url: str, body: object, seconds: float, out: multiprocessing.Queue) -> None:
    session = requests.Session()
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        response = session.post(url, json=body) if body is not None else session.get(url)
        latencies.append((time.perf_counter() - start) * 1000)
        errors += response.status_code != 200
    out.put((latencies, errors))


def serve_and_load(path: str, body: object, seconds: float = 8, clients: int = 4, workers: int = 2) -> dict:
    port = _free_port()
    server = subprocess.Popen([str(SPASMDX), "serve", "--port", str(port), "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        for _ in range(150):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        queue: multiprocessing.Queue = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_client, args=(url, body, seconds, queue)) for _ in range(clients)]
        for proc in procs:
            proc.start()
        results = [queue.get(timeout=seconds + 30) for _ in procs]
        for proc in procs:
            proc.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    latencies = sorted(x for lat, _ in results for x in lat)
    return {"rps": len(latencies) / seconds, "p50": latencies[len(latencies) // 2],
            "p99": latencies[int(len(latencies) * 0.99)], "errors": sum(e for _, e in results),
            "workers": workers, "clients": clients, "seconds": seconds}
