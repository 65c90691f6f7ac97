"""Start `spasmdx serve` on 127.0.0.1 for a test, with its own arguments and environment."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cds import raw_server

SPASMDX = Path(sys.executable).parent / "spasmdx"
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


@dataclass
class Served:
    """A running `spasmdx serve`: its base URL, process and log so far."""

    url: str
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def log(self) -> str:
        return "".join(self.lines)

    def worker_pids(self) -> list[int]:
        return [int(m.group(1)) for m in BOOTED.finditer(self.log())]


def _read(process: subprocess.Popen, lines: list[str], port: queue.Queue) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if found := LISTENING.search(line):
            port.put(int(found.group(1)))
    port.put(None)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run `spasmdx serve --host 127.0.0.1 --port 0 ARGS` until the block ends; fail if it does not answer."""
    process = subprocess.Popen(
        [str(SPASMDX), "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: list[str] = []
    bound: queue.Queue = queue.Queue()
    threading.Thread(target=_read, args=(process, lines, bound), daemon=True).start()
    try:
        try:
            port = bound.get(timeout=60)
        except queue.Empty:
            port = None
        if port is None:
            raise AssertionError(f"server did not start: {''.join(lines)[-2000:]}")
        served = Served(f"http://127.0.0.1:{port}", process, lines)
        deadline = time.monotonic() + 60
        while not _healthy(served.url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"server did not answer /healthz: {''.join(lines)[-2000:]}")
            time.sleep(0.2)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def trickling_fhir_server(stop: threading.Event) -> Iterator[tuple[str, list[str]]]:
    """A FHIR server on 127.0.0.1 that answers every request one byte a second; yield its base URL and calls."""
    calls: list[str] = []

    def trickle(conn: socket.socket) -> None:
        calls.append(conn.recv(65536).split(b" ", 2)[1].decode())
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 400\r\n\r\n")
        for _ in range(60):  # a fixed count: at most a minute
            if stop.wait(1.0):
                return
            conn.sendall(b" ")

    with raw_server(trickle) as (url, _):  # the service giving up on it is expected
        yield url, calls
