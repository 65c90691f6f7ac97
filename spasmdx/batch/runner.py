"""Run a batch: stream cases through processes (or a Dask cluster) and write them in input order."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path

from tqdm import tqdm

from . import inputs
from .output import Summary, finish, open_output, partial_path, references_path, write_references
from .worker import Scored, knowledge_base, score_chunk, score_packed, score_part

CHUNK = 200  # cases sent to a worker at once: big enough to amortise the hand-over
WINDOW = 4  # chunks in flight per worker: memory stays flat whatever the input size
YOUNG_COLLECTION = 20_000  # allocations between collections of the youngest generation (Python's default: 700)
# For tests of --resume only, off when unset: the run kills itself (SIGKILL) after writing this many records,
# or, with KILL_SIGNAL set, sends SIGINT to its whole process group as a terminal's Ctrl-C does (INT), or
# SIGTERM to itself as `kill PID` and a container stop do (TERM).
KILL_AFTER = "SPASMDX_TEST_KILL_AFTER"
KILL_SIGNAL = "SPASMDX_TEST_KILL_SIGNAL"


def _silent(message: str) -> None:
    """The default notice: a library run says nothing."""


class Interrupted(Exception):
    """The run was stopped (Ctrl-C or SIGTERM) after `done` cases; what was written is kept."""

    def __init__(self, done: int, signal_number: int) -> None:
        super().__init__(done, signal_number)
        self.done = done
        self.signal_number = signal_number


@dataclass
class Options:
    sources: list[str]
    output: Path | None  # None: standard output
    fmt: str = "jsonl"
    workers: int = 1
    resume: bool = False
    limit: int = 10
    dask: str | None = None  # a scheduler address, or "local"
    progress: bool | None = None  # None: when stderr is a terminal
    full: bool = False  # the API's whole answer in each record; else compact (citations once, beside it)
    notice: Callable[[str], None] = _silent  # what the run tells its user (where a resume starts)


def run(options: Options) -> Summary:
    """Score every case; raise inputs.InputError or OSError when the run itself cannot proceed."""
    if options.dask and options.resume:
        raise inputs.InputError("--resume is for local runs; a cluster run is rerun whole")
    if (
        options.output is not None
        and options.resume
        and options.output.exists()
        and not options.output.with_name(options.output.name + ".partial").exists()
    ):
        raise inputs.InputError(f"{options.output} is already complete; nothing to resume")
    inputs.check(options.sources)
    # A CSV row always names its input (line numbers repeat across files); JSON Lines when there are several.
    with_source = len(options.sources) > 1 or options.fmt == "csv"
    handle, done, summary = open_output(options.output, options.fmt, options.resume, _shape(options))
    if done and options.output is not None:
        options.notice(f"resuming at case {done + 1} ({done} already in {partial_path(options.output)})")
    total = inputs.count(options.sources) if options.dask is None else None
    show = sys.stderr.isatty() if options.progress is None else options.progress
    bar = tqdm(total=total, initial=done, unit="case", disable=not show, file=sys.stderr, smoothing=0.1)
    try:
        with _terminate_as_interrupt():
            if options.dask:
                results = _on_dask(options, with_source)
            else:
                results = _locally(options, with_source, skip=done)
            if os.environ.get(KILL_AFTER):
                results = _killed_after(results, int(os.environ[KILL_AFTER]), os.environ.get(KILL_SIGNAL))
            with _collector_for_batch(local=options.dask is None):
                for line, case in results:
                    handle.write(line)
                    summary.add(case)
                    bar.update()
    except (KeyboardInterrupt, _Terminated) as stop:
        handle.flush()  # keep what is done for --resume; the .partial name says it is unfinished
        number = signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT
        raise Interrupted(summary.cases, number) from None
    except BaseException:
        handle.flush()
        raise
    finally:
        bar.close()
    finish(handle, options.output)
    if options.output is not None and options.fmt == "jsonl" and not options.full:
        write_references(references_path(options.output))
    return summary


def _shape(options: Options) -> dict[str, object]:
    """What makes one run's records differ from another's: a resume must match it."""
    sources = [source if source == inputs.STDIN else str(Path(source).resolve()) for source in options.sources]
    version = knowledge_base().version if options.dask is None else None
    return {"limit": options.limit, "full": options.full, "inputs": sources, "knowledge_base": version}


class _Terminated(Exception):
    """SIGTERM, turned into an exception in the main process so that the run stops like on Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated()


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quiet_worker() -> None:
    """A pool worker leaves Ctrl-C to the main process (which stops the pool) and dies on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _collector_for_batch(local: bool) -> Iterator[None]:
    """Keep the cycle collector to what a batch needs, for the length of a run.

    The knowledge base lives as long as the process, so it is loaded first (pool workers forked
    later share it) and frozen out of the collector's sight; a case's own garbage is freed by
    reference counting, so the youngest generation need not be scanned every 700 allocations.
    Cyclic garbage still triggers a collection once 20,000 objects are pending.  Collection
    was 8% of a run before; the previous settings are restored at the end.
    """
    threshold = gc.get_threshold()
    if local:
        knowledge_base()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _killed_after(results: Iterator[Scored], count: int, name: str | None = None) -> Iterator[Scored]:
    """Pass results through, then SIGKILL this process once `count` of them have been written.

    A test of --resume needs the kill at a known record, not at a moment that depends on the machine's
    speed; the kill itself is real (what the output buffer still held is lost, as in any kill).  INT goes
    to the process group, workers included, as a terminal's Ctrl-C does; TERM to this process.
    """
    for index, scored in enumerate(results):
        if index == count:  # asked for one more: the first `count` are written
            if name == "INT":
                os.killpg(os.getpgrp(), signal.SIGINT)
            else:
                os.kill(os.getpid(), signal.SIGTERM if name == "TERM" else signal.SIGKILL)
        yield scored


def _chunks(records: Iterable[inputs.Record]) -> Iterator[list[inputs.Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _locally(options: Options, with_source: bool, skip: int) -> Iterator[Scored]:
    chunks = _chunks(inputs.records(options.sources, skip=skip))
    work = partial(score_chunk, limit=options.limit, with_source=with_source, fmt=options.fmt, full=options.full)
    if options.workers <= 1:
        for chunk in chunks:
            yield from work(chunk)
        return
    packed_work = partial(
        score_packed, limit=options.limit, with_source=with_source, fmt=options.fmt, full=options.full
    )
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(options.workers, initializer=_quiet_worker) as pool:
        # A sliding window: a new chunk goes out as each finished one is written, so no worker
        # waits for a window to drain, and at most workers x WINDOW chunks are in memory
        # (Pool.imap would read the whole input ahead).
        pending: deque[AsyncResult] = deque()
        for chunk in chunks:
            packed = [(record.source, record.line, record.raw) for record in chunk]
            pending.append(pool.apply_async(packed_work, (packed,)))
            if len(pending) >= options.workers * WINDOW:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def _on_dask(options: Options, with_source: bool) -> Iterator[Scored]:
    from .cluster import client_for

    with client_for(options.dask, options.workers) as client:
        work = partial(score_part, limit=options.limit, with_source=with_source, fmt=options.fmt, full=options.full)
        futures = client.map(work, list(inputs.parts(options.sources)), pure=False)
        # Written in input order whatever order the tasks finish in; each is released once written.
        for future in futures:
            yield from future.result()
            future.release()
