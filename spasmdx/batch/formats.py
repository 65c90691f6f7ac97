"""One scored case as output bytes (JSON Lines or CSV), and the little the summary needs of it."""

from __future__ import annotations

import csv
import io
from typing import Any, NamedTuple

import orjson

CSV_COLUMNS = [
    "input",  # the file a case came from ("-": standard input), so that line numbers are unique with it
    "line",
    "case_id",
    "status",
    "top1",
    "p1",
    "top2",
    "p2",
    "top3",
    "p3",
    "alerts",
    "pitfalls",
    "unrecognized",
    "error",
]


class Outcome(NamedTuple):
    """What the run's summary counts of one case (small, so workers hand back little)."""

    error: bool
    top1: str | None
    alerts: tuple[str, ...]


def outcome(out: dict[str, Any]) -> Outcome:
    result = out.get("result")
    if result is None:
        return Outcome(True, None, ())
    top = result["differential"][0]["id"] if result["differential"] else None
    return Outcome(False, top, tuple(alert["id"] for alert in result["alerts"]))


def csv_row(out: dict[str, Any]) -> list[Any]:
    result = out.get("result")
    row: list[Any] = [out.get("input", ""), out["line"], out.get("case_id") or "", "ok" if result else "error"]
    ranked = result["differential"][:3] if result else []
    for i in range(3):
        row += [ranked[i]["id"], ranked[i]["probability"]] if i < len(ranked) else ["", ""]
    if result:
        row += [
            ";".join(a["id"] for a in result["alerts"]),
            ";".join(p["id"] for p in result["pitfalls"]),
            len(result["unrecognized"]),
            "",
        ]
    else:
        row += ["", "", "", out["error"]["detail"]]
    return row


def encode(out: dict[str, Any], fmt: str) -> bytes:
    """One output line: compact JSON or a CSV row, the same bytes wherever it is made."""
    if fmt == "jsonl":
        return orjson.dumps(out, option=orjson.OPT_APPEND_NEWLINE)
    return _csv_line(csv_row(out))


def header(fmt: str) -> bytes:
    return _csv_line(CSV_COLUMNS) if fmt == "csv" else b""


def _csv_line(row: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue().encode("utf-8")
