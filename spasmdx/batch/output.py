"""Write results as JSON Lines or CSV, atomically, so a killed run never looks complete."""
from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .worker import dump

CSV_COLUMNS = ["line", "case_id", "status", "top1", "p1", "top2", "p2", "top3", "p3", "alerts", "pitfalls",
               "unrecognized", "error"]


@dataclass
class Summary:
    cases: int = 0
    errors: int = 0
    alerts: Counter = field(default_factory=Counter)
    top_causes: Counter = field(default_factory=Counter)

    def add(self, out: dict[str, Any]) -> None:
        self.cases += 1
        result = out.get("result")
        if result is None:
            self.errors += 1
            return
        self.alerts.update(alert["id"] for alert in result["alerts"])
        if result["differential"]:
            self.top_causes[result["differential"][0]["id"]] += 1

    def text(self) -> str:
        lines = [f"{self.cases} cases, {self.errors} errors"]
        if self.alerts:
            lines.append("alerts: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts.items())))
        if self.top_causes:
            top = sorted(self.top_causes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            lines.append("top causes: " + ", ".join(f"{k} {v}" for k, v in top))
        return "\n".join(lines)


def csv_row(out: dict[str, Any]) -> list[Any]:
    result = out.get("result")
    row: list[Any] = [out["line"], out.get("case_id") or "", "ok" if result else "error"]
    ranked = result["differential"][:3] if result else []
    for i in range(3):
        row += [ranked[i]["id"], ranked[i]["probability"]] if i < len(ranked) else ["", ""]
    if result:
        row += [";".join(a["id"] for a in result["alerts"]), ";".join(p["id"] for p in result["pitfalls"]),
                len(result["unrecognized"]), ""]
    else:
        row += ["", "", "", out["error"]["detail"]]
    return row


def encode(out: dict[str, Any], fmt: str) -> bytes:
    if fmt == "jsonl":
        return dump(out)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(csv_row(out))
    return buffer.getvalue().encode("utf-8")


def header(fmt: str) -> bytes:
    if fmt != "csv":
        return b""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(CSV_COLUMNS)
    return buffer.getvalue().encode("utf-8")


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
            summary.cases += 1
            summary.errors += row[2] == "error"
            summary.alerts.update(a for a in row[9].split(";") if a)
            if row[3]:
                summary.top_causes[row[3]] += 1
    else:
        for line in rows:
            summary.add(orjson.loads(line))
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
