"""A replayed JWT under `spasmdx serve`: refused by every gunicorn worker, by a restarted worker and after a restart."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from cds import CK_40_ULN, SERVICE, STATIN, hook_request, prefetch
from conftest import SPASMDX, _healthy, _read_log
from prometheus_client.mmap_dict import MmapedDict
from test_cds_hooks_jwt import BASE, ISSUER, bearer, settings, token

pytestmark = pytest.mark.security
BODY = hook_request(prefetch(medications=[STATIN], labs=[CK_40_ULN]))


@pytest.fixture()
def env(tmp_path):
    """The environment of a JWT-checking `spasmdx serve`, with its replay file and metric files in tmp_path."""
    config = settings(tmp_path)
    (tmp_path / "metrics").mkdir()
    return {k: v for k, v in os.environ.items() if not k.startswith("SPASMDX_")} | {
        "SPASMDX_CDS_JWT_ISSUERS": ISSUER,
        "SPASMDX_CDS_JWKS_FILE": config["CDS_JWKS_FILE"],
        "SPASMDX_CDS_BASE_URL": BASE,
        "SPASMDX_JTI_DB": config["JTI_DB"],
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen, list[str]]]:
    """Start `spasmdx serve --workers 2` on 127.0.0.1 (a port the kernel picks); yield its URL, process and log."""
    command = [str(SPASMDX), "serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    bound: queue.Queue = queue.Queue()
    threading.Thread(target=_read_log, args=(process, lines, bound), daemon=True).start()
    try:
        port = bound.get(timeout=60)
        assert port, "".join(lines)[-2000:]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _healthy(url):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)[-2000:]
            time.sleep(0.2)
        yield url, process, lines
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def workers(process: subprocess.Popen) -> set[int]:
    """The pids of gunicorn's workers: the master's children."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def hook_calls_by_worker(metrics: Path) -> dict[int, float]:
    """How many hook calls each worker counted, from prometheus-client's per-process files."""
    counted: dict[int, float] = {}
    for path in metrics.glob("counter_*.db"):
        calls = sum(value for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)) if SERVICE in key)
        if calls:
            counted[int(path.stem.split("_")[-1])] = calls
    return counted


def call(url: str, once: str) -> requests.Response:
    return requests.post(url + SERVICE, json=BODY, headers=bearer(once), timeout=10)


def test_a_replayed_token_passes_once_across_both_workers_and_a_restarted_worker(env):
    # The finding: each worker kept its own cache, so a token replayed to the other worker passed.
    metrics = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    once = token()
    with serving(env) as (url, process, lines):
        answers = [call(url, once)]
        for _ in range(40):  # until both workers have answered it (the kernel chooses which accepts)
            answers.append(call(url, once))
            if len(hook_calls_by_worker(metrics)) == 2 and len(answers) >= 6:
                break
        assert len(hook_calls_by_worker(metrics)) == 2  # both workers saw the token
        assert [a.status_code for a in answers] == [200] + [401] * (len(answers) - 1)
        assert all("replayed" in a.json()["detail"] for a in answers[1:])

        before = workers(process)
        os.kill(min(before), signal.SIGKILL)  # a worker of the server this test started
        deadline = time.monotonic() + 30
        while len(workers(process) - before) < 1 or len(workers(process)) < 2:
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.2)
        (fresh,) = workers(process) - before
        for _ in range(40):  # until the fresh worker has answered it
            assert call(url, once).status_code == 401
            if fresh in hook_calls_by_worker(metrics):
                break
        assert fresh in hook_calls_by_worker(metrics)
    assert not any(once.split(".")[2] in line for line in lines)  # the token is never logged


def test_a_replayed_token_is_refused_after_the_service_restarts(env):
    once = token()
    with serving(env) as (url, _, _):
        assert call(url, once).status_code == 200
    with serving(env) as (url, _, _):  # a new process, the same SQLite file
        replayed = call(url, once)
        assert replayed.status_code == 401 and "replayed" in replayed.json()["detail"]
        assert call(url, token()).status_code == 200


def test_serve_refuses_to_start_with_jwts_on_and_no_base_url(env):
    # The finding: with the base URL unset, aud followed the Host header. Now the service does not start.
    del env["SPASMDX_CDS_BASE_URL"]
    command = [str(SPASMDX), "serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "SPASMDX_CDS_BASE_URL must be set" in done.stderr
    assert "Listening at" not in done.stderr and "Traceback" not in done.stderr  # one line naming the setting
