"""make load: gunicorn with production settings under load, a worker killed, SIGTERM, a timeout.

Loopback only, bounded in time (about a minute); prints its figures and fails loudly
(exit 1) when a promise does not hold.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import requests

from . import wrk
from .server import serving, workers_of

ROOT = Path(__file__).resolve().parent.parent
TYPICAL = json.loads((ROOT / "tests/data/vignettes/public.jsonl").read_text().splitlines()[9])["context"]
failures: list[str] = []
CONNECTIONS = 4  # wrk's, while a worker is killed


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def sustained(url: str) -> None:
    stats = wrk.run(f"{url}/v1/differential", TYPICAL, seconds=15, connections=8)
    print(f"sustained: {stats['rps']:.0f} requests/s for 15 s, p50 {stats['p50']:.1f} ms, p99 {stats['p99']:.1f} ms")
    check(stats["errors"] == 0, f"zero errors under sustained load ({stats['errors']:.0f})")


def worker_killed(url: str, master: int) -> None:
    before = workers_of(master)
    result: dict = {}
    load = threading.Thread(
        target=lambda: result.update(wrk.run(f"{url}/v1/differential", TYPICAL, seconds=8, connections=CONNECTIONS))
    )
    load.start()
    time.sleep(3)
    os.kill(before[0], signal.SIGKILL)
    load.join()
    time.sleep(1)
    after = workers_of(master)
    print(f"worker killed mid-load: {result['requests']:.0f} requests, {result['errors']:.0f} failed")
    # A worker answers several connections at once (threads): each may have had a request in flight on it.
    check(
        result["errors"] <= CONNECTIONS,
        f"no failed request beyond those in flight on the killed worker (<= {CONNECTIONS})",
    )
    check(len(after) == len(before) and before[0] not in after, "the killed worker was replaced")


def drains_on_sigterm(url: str, master: int) -> None:
    batch = {"cases": [{"case_id": str(i), "context": TYPICAL} for i in range(1000)]}
    result: dict = {}

    def slow() -> None:
        response = requests.post(f"{url}/v1/differential/batch", json=batch, timeout=60)
        result["status"] = response.status_code
        result["cases"] = len(response.json().get("results", []))

    call = threading.Thread(target=slow)
    call.start()
    time.sleep(0.3)  # the batch is in flight
    os.kill(master, signal.SIGTERM)
    call.join()
    print(f"SIGTERM during a 1,000-case batch: answered {result.get('status')} with {result.get('cases')} results")
    check(result.get("status") == 200 and result.get("cases") == 1000, "the in-flight request finished")
    try:
        requests.get(f"{url}/healthz", timeout=2)
        check(False, "no new requests after SIGTERM")
    except requests.ConnectionError:
        check(True, "no new requests after SIGTERM")


def times_out_cleanly() -> None:
    batch = {"cases": [{"case_id": str(i), "context": TYPICAL} for i in range(1000)]}
    with serving(workers=1, env={"SPASMDX_BATCH_DEADLINE_SECONDS": "0.05"}) as (url, _):
        response = requests.post(f"{url}/v1/differential/batch", json=batch, timeout=60)
        problem = response.json()
    print(f"a batch past its deadline: {response.status_code} {problem.get('title')}: {problem.get('detail')}")
    check(
        response.status_code == 503
        and response.headers.get("Content-Type") == "application/problem+json"
        and response.headers.get("Retry-After") == "1",
        "a clean 503 problem with Retry-After, not a cut connection",
    )


def main() -> int:
    with serving(workers=2) as (url, master):
        sustained(url)
        worker_killed(url, master.pid)
    with serving(workers=2) as (url, master):
        drains_on_sigterm(url, master.pid)
        master.wait(timeout=60)
        check(master.returncode == 0, f"gunicorn exited cleanly after SIGTERM (code {master.returncode})")
    times_out_cleanly()
    print("load and fault checks: " + ("all held" if not failures else f"{len(failures)} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
