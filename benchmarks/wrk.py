"""Run wrk against a URL (GET, or POST of a JSON body) and read its figures."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from typing import Any

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
"""


def run(url: str, body: Any = None, seconds: int = 10, connections: int = 4, threads: int = 1) -> dict[str, float]:
    """Return requests per second, p50/p99 latency (ms), and the count of errors of any kind."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if body is not None:
            script.write(LUA % json.dumps(body))
            script.flush()
            command[1:1] = ["-s", script.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["errors"] = float(non_2xx.group(1) if non_2xx else 0) + (
        sum(float(n) for n in socket_errors.groups()) if socket_errors else 0
    )
    return figures


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
