"""Write results as JSON Lines or CSV, atomically, so a killed run never looks complete."""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from .formats import Outcome, header, outcome


@dataclass
class Summary:
    cases: int = 0
    errors: int = 0
    alerts: Counter = field(default_factory=Counter)
    top_causes: Counter = field(default_factory=Counter)

    def add(self, case: Outcome) -> None:
        self.cases += 1
        self.errors += case.error
        self.alerts.update(case.alerts)
        if case.top1:
            self.top_causes[case.top1] += 1

    def text(self) -> str:
        lines = [f"{self.cases} cases, {self.errors} errors"]
        if self.alerts:
            lines.append("alerts: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts.items())))
        if self.top_causes:
            top = sorted(self.top_causes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            lines.append("top causes: " + ", ".join(f"{k} {v}" for k, v in top))
        return "\n".join(lines)


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial")


def resume_point(partial: Path, fmt: str, summary: Summary) -> int:
    """Count the complete records already written, cut a torn last line, and re-count the summary."""
    data = partial.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) != len(data):
        with open(partial, "r+b") as handle:
            handle.truncate(len(complete))
    rows = complete.splitlines()
    if fmt == "csv":
        rows = rows[1:]
        for row in csv.reader(line.decode("utf-8") for line in rows):
            summary.add(Outcome(row[2] == "error", row[3] or None, tuple(a for a in row[9].split(";") if a)))
    else:
        for line in rows:
            summary.add(outcome(orjson.loads(line)))
    return len(rows)


def open_output(output: Path | None, fmt: str, resume: bool) -> tuple[IO[bytes], int, Summary]:
    """Open where results go: (handle, records already done, summary so far)."""
    summary = Summary()
    if output is None:
        import sys

        handle = sys.stdout.buffer
        handle.write(header(fmt))
        return handle, 0, summary
    partial = partial_path(output)
    if resume and partial.exists():
        done = resume_point(partial, fmt, summary)
        return open(partial, "ab"), done, summary
    handle = open(partial, "wb")
    handle.write(header(fmt))
    return handle, 0, summary


def finish(handle: IO[bytes], output: Path | None) -> None:
    """Flush, sync and move the finished file into place."""
    handle.flush()
    if output is None:
        return
    os.fsync(handle.fileno())
    handle.close()
    os.replace(partial_path(output), output)
