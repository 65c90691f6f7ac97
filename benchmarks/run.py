"""make bench: the engine's time per case and the service's requests per second.

Figures, not assertions: tests assert behaviour, this measures speed.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from spasmdx.rules.engine import assess
from spasmdx.schemas import knowledge
from spasmdx.schemas.request import ContextSchema

from .load import serve_and_load

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = ROOT.parent / "shared" / "vignettes" / "public.jsonl"
TYPICAL = json.loads(VIGNETTES.read_text().splitlines()[9])["context"]  # statin, 5 labs, 3 findings


def engine_per_case(kb, contexts: list[dict], rounds: int = 200) -> tuple[float, float]:
    """Return (median, p99) microseconds for validation plus scoring of one case."""
    schema = ContextSchema()
    times = []
    for _ in range(rounds):
        for context in contexts:
            start = time.perf_counter()
            assess(kb, schema.load(context))
            times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main() -> None:
    start = time.perf_counter()
    kb = knowledge.load()
    print(f"knowledge base load: {(time.perf_counter() - start) * 1000:.0f} ms ({len(kb.causes)} causes)")
    contexts = [json.loads(line)["context"] for line in VIGNETTES.read_text().splitlines() if line.strip()]
    median, p99 = engine_per_case(kb, contexts)
    print(f"engine (validate + resolve + score), {len(contexts)} vignettes: median {median:.0f} us, p99 {p99:.0f} us per case")
    for name, path, body in (("POST /v1/differential (typical case)", "/v1/differential", TYPICAL),
                             ("GET /healthz", "/healthz", None)):
        stats = serve_and_load(path, body)
        print(f"service {name}: {stats['rps']:.0f} requests/s, p50 {stats['p50']:.1f} ms, "
              f"p99 {stats['p99']:.1f} ms, errors {stats['errors']} ({stats['workers']} gunicorn workers, "
              f"{stats['clients']} client processes, {stats['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
