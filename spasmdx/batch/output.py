"""Write results as JSON Lines or CSV, atomically, so a killed run never looks complete.

An unfinished run is `OUTPUT.partial` beside `OUTPUT.partial.run`, which records what shapes the
records (format, causes per case, the inputs, the knowledge-base version): --resume continues
only a run made the same way, and refuses any other without touching the file.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from .formats import CSV_COLUMNS, Outcome, header, outcome


class ResumeRefused(Exception):
    """--resume would mix records made another way into the unfinished file (left untouched)."""


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


def references_path(output: Path) -> Path:
    """Where a compact JSON Lines run puts the citations its records name by id."""
    return output.with_name(output.name + ".references.json")


def write_references(path: Path) -> None:
    """The knowledge base's version, every reference's citation, and each cause's name and summary."""
    from .worker import knowledge_base

    kb = knowledge_base()
    body = {
        "knowledge_base": kb.version,
        "references": {ident: kb.reference_dict(ident) for ident in kb.references},
        "causes": {cause.id: {"name": cause.name, "summary": cause.summary} for cause in kb.causes.values()},
    }
    path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


def run_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.run")


def _check_resumable(partial: Path, run: dict[str, object]) -> None:
    """Raise ResumeRefused unless the unfinished run was made exactly as this one would be."""
    recorded_path = partial.with_name(partial.name + ".run")
    try:
        recorded = json.loads(recorded_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {"format": _sniff_format(partial)}
    differ = [key for key in run if key in recorded and recorded[key] != run[key]]
    if "format" not in recorded or differ or set(recorded) - set(run):
        said = ", ".join(f"{key} {recorded.get(key)!r} (now {run[key]!r})" for key in differ)
        raise ResumeRefused(
            f"{partial} was written differently ({said or 'by another run'}); it is left as it is. "
            "Rerun with the same options, or without --resume to start again."
        )


def _sniff_format(partial: Path) -> str | None:
    """What an unfinished file without its run record holds, from its first line."""
    with open(partial, "rb") as handle:
        first = handle.readline()
    if first.startswith(b"{"):
        return "jsonl"
    if first.rstrip(b"\n") == ",".join(CSV_COLUMNS).encode():
        return "csv"
    return None


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
        for row in csv.DictReader((line.decode("utf-8") for line in rows), fieldnames=CSV_COLUMNS):
            alerts = tuple(a for a in row["alerts"].split(";") if a)
            summary.add(Outcome(row["status"] == "error", row["top1"] or None, alerts))
    else:
        for line in rows:
            summary.add(outcome(orjson.loads(line)))
    return len(rows)


def open_output(
    output: Path | None, fmt: str, resume: bool, run: dict[str, object] | None = None
) -> tuple[IO[bytes], int, Summary]:
    """Open where results go: (handle, records already done, summary so far).

    `run` is what shapes the records (format, limit, inputs, version); it is kept beside an
    unfinished file, and a resume over a file made another way raises ResumeRefused.
    """
    run = {"format": fmt, **(run or {})}
    summary = Summary()
    if output is None:
        import sys

        handle = sys.stdout.buffer
        handle.write(header(fmt))
        return handle, 0, summary
    partial = partial_path(output)
    if resume and partial.exists():
        _check_resumable(partial, run)
        done = resume_point(partial, fmt, summary)
        return open(partial, "ab"), done, summary
    run_path(output).write_text(json.dumps(run, sort_keys=True), encoding="utf-8")
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
    run_path(output).unlink(missing_ok=True)
