"""`spasmdx serve` runs gunicorn on the given host and port and answers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import threading
import time

import pytest
import requests
from cds import hook_request
from serving import serve, trickling_fhir_server


def test_gunicorn_serves_the_differential(server):
    response = requests.post(
        f"{server}/v1/differential", timeout=10, json={"findings": ["muscle cramps at night"], "patient": {"age": 70}}
    )
    assert response.status_code == 200
    assert response.json()["differential"][0]["id"] == "nocturnal_leg_cramps"
    assert requests.get(f"{server}/readyz", timeout=5).json()["status"] == "ready"


SECRET = "QUERYSECRET4711"  # stands for patient data in a URL: it must reach no log line


def raw(url: str, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes to the server as they are and read its answer to the end."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.fixture(scope="module")
def served():
    with serve(env={"SPASMDX_HEADER_TIMEOUT_SECONDS": "1", "SPASMDX_BODY_TIMEOUT_SECONDS": "2"}) as running:
        yield running


@pytest.mark.security
@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET /healthz?q=" + SECRET.encode() * 400 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz?q=" + SECRET.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", 431),
        (b"GET /healthz?q=" + SECRET.encode() + b" HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n", 431),
        (b"GET /healthz?q=" + SECRET.encode() + b" HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
    ],
    ids=["request-line-too-long", "head-over-32-KiB", "too-many-headers", "bad-request-line"],
)
def test_gunicorn_refusals_are_problems_with_security_headers_and_log_no_query(served, request_bytes, status):
    answer = raw(served.url, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"Content-Type: application/problem+json" in head
    assert b"X-Content-Type-Options: nosniff" in head and b"Content-Security-Policy: default-src 'none'" in head
    assert json.loads(body)["status"] == status
    time.sleep(0.2)  # the log line is written by now
    assert f"({status})" in served.log()
    assert SECRET not in served.log()


@pytest.mark.security
def test_a_request_head_not_whole_in_time_is_closed(served):
    started = time.monotonic()
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz?q=" + SECRET.encode())
        assert sock.recv(100) == b""  # closed by the server, answering nothing
    assert time.monotonic() - started < 5  # the 1 s deadline, checked at least every second
    assert SECRET not in served.log()


@pytest.mark.security
def test_a_kept_alive_connection_is_held_to_the_same_deadline(served):
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:  # the whole first answer, however the bytes arrive
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next head, never finished
        assert sock.recv(100) == b""
    assert time.monotonic() - started < 5


@pytest.mark.security
def test_instances_open_no_shared_control_socket(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    with serve(env=env) as first, serve(env=env) as second:
        assert (
            requests.get(f"{first.url}/healthz", timeout=5).ok and requests.get(f"{second.url}/healthz", timeout=5).ok
        )
    assert not list(tmp_path.rglob("*.ctl"))  # gunicorn's default: $HOME/.gunicorn/gunicorn.ctl for every instance


@pytest.mark.security
def test_a_worker_timeout_is_counted_and_logged_without_the_query_of_the_request_in_flight():
    stop = threading.Event()
    with (
        trickling_fhir_server(stop) as (fhir, calls),
        serve("--workers", "1", env={"SPASMDX_CDS_FHIR_SERVERS": fhir[: -len("/fhir")]}) as running,
    ):
        # A CDS Hooks call held by the trickling FHIR server, with a query string, is in flight when the worker dies.
        url = f"{running.url}/cds-services/spasm-differential?q={SECRET}"
        call = threading.Thread(target=_post_quietly, args=(url, hook_request(None, fhirServer=fhir)), daemon=True)
        call.start()
        for _ in range(50):
            if calls:
                break
            time.sleep(0.1)
        assert calls  # in flight
        os.kill(running.worker_pids()[0], signal.SIGABRT)  # what gunicorn's arbiter sends a worker past its timeout
        for _ in range(150):
            if len(running.worker_pids()) >= 2:
                break
            time.sleep(0.2)  # the replacement boots
        scrape = requests.get(f"{running.url}/metrics", timeout=5).text
        stop.set()
        call.join(timeout=10)
        log = running.log()
    assert "spasmdx_worker_timeouts_total 1.0" in scrape, log
    assert "timed out after 30 s and is being replaced" in log
    assert SECRET not in log


def _post_quietly(url: str, body: dict) -> None:
    with contextlib.suppress(requests.RequestException):
        requests.post(url, json=body, timeout=(2, 30))


@pytest.mark.security
def test_a_body_sent_too_slowly_frees_its_thread(served):
    host, port = served.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /v1/differential HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: 100\r\n\r\n{")  # and the other 99 bytes never come
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert time.monotonic() - started < 6  # the 2 s body deadline
    assert not answer or b"application/problem+json" in answer  # a problem (400), or closed: never a wait


def test_a_port_in_use_is_one_line_saying_how_to_choose_another(capsys, monkeypatch, tmp_path):
    from spasmdx.cli.main import main

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port} is already in use" in err and f"PORT={port + 1} make run" in err
