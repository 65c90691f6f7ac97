"""make bench: engine time per case, service throughput (wrk), batch throughput and memory.

Figures, not assertions: tests assert behaviour, this measures speed.  About six minutes on
the 2-core machine; `make bench QUICK=1` skips the million-case memory run.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spasmdx.rules.engine import assess
from spasmdx.schemas import knowledge
from spasmdx.schemas.fastpath import load_context

from . import wrk
from .server import serving

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = ROOT.parent / "shared" / "vignettes" / "public.jsonl"
TYPICAL = json.loads(VIGNETTES.read_text().splitlines()[9])["context"]  # statin, 5 labs, 3 findings
SPASMDX = Path(sys.executable).parent / "spasmdx"


def engine_per_case(kb, contexts: list[dict], rounds: int = 200) -> tuple[float, float]:
    """Return (median, p99) microseconds for validation plus scoring of one case."""
    times = []
    for _ in range(rounds):
        for context in contexts:
            start = time.perf_counter()
            assess(kb, load_context(context))
            times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def service() -> None:
    with serving(workers=2) as (url, _):
        wrk.run(f"{url}/v1/differential", TYPICAL, seconds=2)  # warm up
        differential = wrk.run(f"{url}/v1/differential", TYPICAL, seconds=10, connections=2)
        health = wrk.run(f"{url}/healthz", seconds=10, connections=2)
    for name, stats in (("POST /v1/differential (typical case)", differential), ("GET /healthz", health)):
        print(f"service {name}: {stats['rps']:.0f} requests/s, p50 {stats['p50']:.2f} ms, p99 {stats['p99']:.2f} ms "
              f"(p99/p50 {stats['p99'] / stats['p50']:.1f}), errors {stats['errors']:.0f}")
    print(f"differential/healthz throughput: {differential['rps'] / health['rps']:.2f} "
          "(2 sync gunicorn workers; wrk, 2 connections, same server, one run)")


def batch_run(cases: Path, workers: int) -> tuple[float, float]:
    """Run spasmdx batch in a child; return (cases per second, the child's peak RSS in MB)."""
    output = cases.with_suffix(f".out{workers}.jsonl")
    start = time.perf_counter()
    subprocess.run([str(SPASMDX), "batch", str(cases), "-o", str(output), "--workers", str(workers), "--no-progress"],
                   check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    lines = sum(1 for _ in open(cases, "rb"))
    output.unlink()
    return lines / seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def synth(n: int, folder: Path) -> Path:
    path = folder / f"synth-{n}.jsonl"
    subprocess.run([str(SPASMDX), "synth", "--n", str(n), "--seed", "1", "-o", str(path)], check=True)
    return path


def parse_and_validate_only(cases: Path) -> float:
    """Cases per second for reading, parsing and validating alone (the floor of a full run)."""
    start = time.perf_counter()
    count = 0
    with open(cases, "rb") as handle:
        for line in handle:
            load_context(json.loads(line)["context"])
            count += 1
    return count / (time.perf_counter() - start)


def batch(quick: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        hundred_k = synth(100_000, Path(folder))
        one, rss_100k = batch_run(hundred_k, 1)
        two, _ = batch_run(hundred_k, 2)
        floor = parse_and_validate_only(hundred_k)
        print(f"batch, 100,000 synthetic cases: {one:.0f} cases/s with 1 worker, {two:.0f} with 2; "
              f"parse+validate alone {floor:.0f}/s (full run at {one / floor:.2f} of it)")
        print(f"batch peak memory (1 worker): {rss_100k:.0f} MB for 100,000 cases")
        if not quick:
            million = synth(1_000_000, Path(folder))
            _, rss_1m = batch_run(million, 1)
            print(f"batch peak memory (1 worker): {rss_1m:.0f} MB for 1,000,000 cases (flat: the input streams)")


def main() -> None:
    start = time.perf_counter()
    kb = knowledge.load()
    print(f"knowledge base load: {(time.perf_counter() - start) * 1000:.0f} ms ({len(kb.causes)} causes)")
    contexts = [json.loads(line)["context"] for line in VIGNETTES.read_text().splitlines() if line.strip()]
    median, p99 = engine_per_case(kb, contexts)
    print(f"engine (validate + resolve + score), {len(contexts)} vignettes: median {median:.0f} us, p99 {p99:.0f} us per case")
    service()
    batch(quick=bool(os.environ.get("QUICK")))


if __name__ == "__main__":
    main()
