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

from spasmdx.rules import loader
from spasmdx.rules.engine import assess
from spasmdx.schemas.fastpath import load_context

from . import hook_notes, narrative, wrk
from .notes import notes
from .server import serving

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = ROOT / "tests" / "data" / "vignettes" / "public.jsonl"
TYPICAL = json.loads(VIGNETTES.read_text().splitlines()[9])["context"]  # statin, 5 labs, 3 findings
ORDER_SELECT = json.loads(
    (ROOT / "examples" / "cds-hooks" / "order-select.json").read_text()
)  # simvastatin 80 mg, clarithromycin
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
        order = wrk.run(f"{url}/cds-services/statin-myopathy-order-select", ORDER_SELECT, seconds=10, connections=2)
    for name, stats in (
        ("POST /v1/differential (typical case)", differential),
        ("GET /healthz", health),
        ("POST order-select hook (simvastatin 80 mg with clarithromycin: 1 critical card)", order),
    ):
        print(
            f"service {name}: {stats['rps']:.0f} requests/s, p50 {stats['p50']:.2f} ms, p99 {stats['p99']:.2f} ms "
            f"(p99/p50 {stats['p99'] / stats['p50']:.1f}), errors {stats['errors']:.0f}"
        )
    print(
        f"differential/healthz throughput: {differential['rps'] / health['rps']:.2f} "
        "(2 gunicorn workers of 8 threads; wrk, 2 connections, same server, one run)"
    )


RUNS = 3  # batch runs per setting: the VM is shared, and its speed varies from run to run


def batch_run(cases: Path, workers: int) -> tuple[float, float, float]:
    """Run spasmdx batch in a child; return (cases per second, cases per CPU second, the peak RSS in MB).

    Cases per CPU second (user + system time of every process of the run) is the per-core figure:
    it does not depend on how many cores the run had, only on how fast each one was.
    """
    output = cases.with_suffix(f".out{workers}.jsonl")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(SPASMDX), "batch", str(cases), "-o", str(output), "--workers", str(workers), "--no-progress"],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = sum(1 for _ in open(cases, "rb"))
    output.unlink()
    return lines / seconds, lines / cpu, after.ru_maxrss / 1024


def batch_runs(cases: Path, workers: int) -> str:
    runs = [batch_run(cases, workers) for _ in range(RUNS)]
    wall = sorted(run[0] for run in runs)
    per_cpu = sorted(run[1] for run in runs)
    return (
        f"{workers} worker{'s' if workers > 1 else ''}: {wall[-1]:.0f} cases/s best of {RUNS} "
        f"(range {wall[0]:.0f}-{wall[-1]:.0f}), {per_cpu[-1]:.0f} cases per CPU second best "
        f"(range {per_cpu[0]:.0f}-{per_cpu[-1]:.0f})"
    )


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
        one, _, rss_100k = batch_run(hundred_k, 1)  # memory: the first run's child alone
        floor = parse_and_validate_only(hundred_k)
        print(
            f"batch, 100,000 synthetic cases, parse+validate alone {floor:.0f}/s "
            f"(a full 1-worker run at {one / floor:.2f} of it)"
        )
        for workers in (1, 2):
            print(f"batch, 100,000 synthetic cases, {batch_runs(hundred_k, workers)}")
        print(f"batch peak memory (1 worker): {rss_100k:.0f} MB for 100,000 cases")
        if not quick:
            million = synth(1_000_000, Path(folder))
            _, _, rss_1m = batch_run(million, 1)
            print(f"batch peak memory (1 worker): {rss_1m:.0f} MB for 1,000,000 cases (flat: the input streams)")


def main() -> None:
    start = time.perf_counter()
    kb = loader.load()
    print(f"knowledge base load: {(time.perf_counter() - start) * 1000:.0f} ms ({len(kb.causes)} causes)")
    contexts = [json.loads(line)["context"] for line in VIGNETTES.read_text().splitlines() if line.strip()]
    median, p99 = engine_per_case(kb, contexts)
    print(
        f"engine (validate + resolve + score), {len(contexts)} vignettes: "
        f"median {median:.0f} us, p99 {p99:.0f} us per case"
    )
    notes(kb)
    narrative.added(lambda context: assess(kb, load_context(context)), TYPICAL)
    service()
    hook_notes.hook()
    batch(quick=bool(os.environ.get("QUICK")))


if __name__ == "__main__":
    main()
