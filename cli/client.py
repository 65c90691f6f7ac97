"""spasmdx client: post a case to a running service and print the answer for a person or a script."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from spasmdx.display import (
    INDEPENDENCE_NOTE,
    also_considered,
    clinical_text,
    percent,
    split_minor,
    summary,
)

from .terminal import Cell, cells, paragraph, row, terminal_width

EXIT_UNREACHABLE = 5  # no answer, or an HTTP error (the problem's detail is printed)
EXIT_BAD_CASE = 6  # the case file is missing or not JSON
EXIT_CRITICAL = 10  # the answer raised a critical alert: scripts can act on it


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("client", help="send a case to a running spasmdx service")
    parser.add_argument(
        "case", nargs="?", default="-", help="a JSON case file (a context, or {context: ...}); - for stdin"
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service's base URL")
    parser.add_argument(
        "--format",
        choices=("table", "json", "text"),
        default="table",
        help="how the answer is printed: a table, the raw JSON, or text for a clinical note (the page's Copy summary)",
    )
    parser.add_argument("--limit", type=int, default=10, choices=range(1, 51), metavar="1-50", help="causes to list")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per attempt")
    parser.add_argument("--retries", type=int, default=3, help="retries on connection errors and 503")
    parser.set_defaults(run=run)


def session(retries: int) -> requests.Session:
    """A session that retries connection errors and 503 with exponential back-off (honouring Retry-After)."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        status_forcelist=(503,),
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=0.5,
        raise_on_status=False,
    )
    http = requests.Session()
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.mount("https://", HTTPAdapter(max_retries=retry))
    return http


def read_case(source: str) -> dict[str, Any]:
    text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    data = json.loads(text)
    # A worked case ({"context": ..., "expect": ...}) or a batch line is sent as its context.
    return data["context"] if isinstance(data, dict) and isinstance(data.get("context"), dict) else data


def run(args: argparse.Namespace) -> int:
    try:
        case = read_case(args.case)
    except (OSError, ValueError) as error:
        print(f"spasmdx client: cannot read the case: {error}", file=sys.stderr)
        return EXIT_BAD_CASE
    if "://" not in args.url:
        print(f"spasmdx client: --url needs a scheme: did you mean http://{args.url} ?", file=sys.stderr)
        return EXIT_UNREACHABLE
    url = f"{args.url.rstrip('/')}/v1/differential"
    try:
        response = session(args.retries).post(url, json=case, params={"limit": args.limit}, timeout=args.timeout)
    except requests.ConnectionError:
        print(
            f"spasmdx client: no answer from {url}: is the service running at {args.url}? "
            "(start it with `make run`, or give --url)",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    except requests.RequestException as error:
        print(f"spasmdx client: no answer from {url}: {error.__class__.__name__}", file=sys.stderr)
        return EXIT_UNREACHABLE
    body = _json(response)
    if response.status_code != 200:
        print(
            f"spasmdx client: {response.status_code} {body.get('title', response.reason)}: "
            f"{body.get('detail', response.text[:200])}",
            file=sys.stderr,
        )
        for error in body.get("errors", []):
            print(f"  {error['path']}: {error['message']}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.format == "json":
        print(json.dumps(body, indent=2))
    else:
        # What the note was read as is named as the knowledge base names it: one more request, only then.
        names = concept_names(args.url, args.timeout) if body.get("understood") else {}
        print(summary(body, names) if args.format == "text" else table(body, names=names))
    return EXIT_CRITICAL if any(a["severity"] == "critical" for a in body["alerts"]) else 0


def concept_names(base_url: str, timeout: float) -> dict[str, str]:
    """Concept id to name, from GET /v1/vocabulary; empty when it cannot be had (ids are shown instead)."""
    try:
        response = requests.get(f"{base_url.rstrip('/')}/v1/vocabulary", timeout=timeout)
        listing = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return {}
    medications = listing.get("medications") or {}
    entries = [
        *listing.get("findings", []),
        *listing.get("conditions", []),
        *medications.get("ingredients", []),
        *medications.get("classes", []),
        *listing.get("labs", []),
    ]
    return {entry["id"]: entry["name"] for entry in entries if "id" in entry and "name" in entry}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


def table(body: dict[str, Any], columns: int | None = None, names: Mapping[str, str] | None = None) -> str:
    """Render an answer for a terminal `columns` wide (the terminal's own width when not given).

    Alerts first, then the ranked causes, pitfalls, what the note was read as, unrecognised inputs.
    A long cause name wraps within its cell, so the percentages and urgencies stay in their columns.
    """
    width = columns or terminal_width()
    out = [
        paragraph(
            f"spasmdx knowledge base {body['knowledge_base']['version']}, request {body['request_id']}", width, ""
        )
    ]
    ranked = {cause["id"]: cause for cause in body["differential"]}
    if body["alerts"]:
        out.append("\nALERTS")
        for alert in body["alerts"]:
            out.append(
                paragraph(
                    f"[{alert['severity'].upper()}] {alert['id']}: {clinical_text(alert['message'])}", width, "  "
                )
            )
            if alert["cause_ids"]:
                concerns = "Concerns: " + ", ".join(_named(c, ranked) for c in alert["cause_ids"])
                out.append(paragraph(concerns, width, "    "))
    out.append("\nDIFFERENTIAL")
    if not body["differential"]:
        out.append("  (nothing in the context points at a cause)")
    else:
        out.append(paragraph(INDEPENDENCE_NOTE, width, "  "))
    shown, minor = split_minor(body["differential"])
    name_width = _name_width(shown, width)
    for cause in shown:
        out.append(
            row(
                [
                    Cell(f"{cause['rank']}.", 3, right=True),
                    Cell(cause["name"], name_width),
                    Cell(percent(cause["probability"]), 5, right=True),
                    Cell(cause["urgency"], len("emergent")),
                ],
                "  ",
            )
        )
        if "established" in cause:
            established = cause["established"]
            because = clinical_text("; ".join(established["because"]))
            out.append(paragraph(f"= Established: {established['criterion']} [{because}]", width, "      "))
        for alert_id in cause.get("alert_ids", []):
            out.append(paragraph(f"! see alert: {alert_id}", width, "      "))
        for item in cause["evidence"][:3]:
            sign = "+" if item["effect"] == "supports" else "-"
            said = f"{clinical_text(item['reason'])} [{clinical_text(item['input'])}]"
            line = f"{sign} {said} (LR {item['likelihood_ratio']:g})"
            out.append(paragraph(line, width, "      "))
    if minor:
        out.append(paragraph(also_considered(minor), width, "  "))
    if body["pitfalls"]:
        out.append("\nPITFALLS")
        out += [paragraph(f"{p['id']}: {p['message']}", width, "  ") for p in body["pitfalls"]]
    if body.get("understood"):
        out.append(f"\nREAD IN THE NOTE ({len(body['understood'])})")
        out += _understood(body["understood"], width, names or {})
    if body["unrecognized"]:
        out.append("\nNOT UNDERSTOOD")
        out += [paragraph(f"{u['path']}: {u['input']} ({u['reason']})", width, "  ") for u in body["unrecognized"]]
    out.append(f"\n{paragraph(body['disclaimer'], width, '')}")
    return "\n".join(out)


# Fixed columns of a cause's row: indent 2, rank 3, percentage 5, urgency 8, and three spaces between.
_CAUSE_FIXED = 2 + 3 + 5 + len("emergent") + 3


def _name_width(causes: list[Mapping[str, Any]], width: int) -> int:
    """As wide as the longest name, within what the terminal leaves after the other columns."""
    longest = max((cells(cause["name"]) for cause in causes), default=0)
    return max(12, min(longest, width - _CAUSE_FIXED - 1))


def _understood(items: list[Mapping[str, Any]], width: int, names: Mapping[str, str]) -> list[str]:
    """Each mention: its status, the concept it was read as, and the note's own words, quoted."""
    concepts = [names.get(item["concept"], item["concept"].replace("_", " ")) for item in items]
    status = max(cells(item["status"]) for item in items)
    room = width - 2 - status - 2  # indent, status column, two spaces between the three cells
    # As wide as the longest name, or two fifths of the room, but never so narrow that a word is cut.
    longest_word = max(cells(word) for name in concepts for word in name.split() or [""])
    concept_width = min(max(cells(name) for name in concepts), max(room * 2 // 5, longest_word), room - 10)
    quoted = room - concept_width
    return [
        row([Cell(item["status"], status), Cell(concept, concept_width), Cell(f"“{item['text']}”", quoted)], "  ")
        for item, concept in zip(items, concepts, strict=True)
    ]


def _named(cause_id: str, ranked: dict[str, Any]) -> str:
    """A cause an alert names, with its place in the differential."""
    cause = ranked.get(cause_id)
    if cause is None:
        return f"{cause_id} (not in the differential)"
    return f"{cause['name']} (ranked {cause['rank']}, {percent(cause['probability'])})"
