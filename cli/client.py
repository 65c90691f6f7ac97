"""spasmdx client: post a case to a running service and print the answer for a person or a script."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from spasmdx.display import INDEPENDENCE_NOTE, also_considered, percent, split_minor, summary

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
    printers = {"json": lambda answer: json.dumps(answer, indent=2), "text": summary, "table": table}
    print(printers[args.format](body))
    return EXIT_CRITICAL if any(a["severity"] == "critical" for a in body["alerts"]) else 0


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


def table(body: dict[str, Any]) -> str:
    """Render an answer for a terminal: alerts first, then the ranked causes, pitfalls, unrecognised inputs."""
    out = [f"spasmdx knowledge base {body['knowledge_base']['version']}, request {body['request_id']}"]
    ranked = {cause["id"]: cause for cause in body["differential"]}
    if body["alerts"]:
        out.append("\nALERTS")
        for alert in body["alerts"]:
            out.append(_wrap(f"[{alert['severity'].upper()}] {alert['id']}: {alert['message']}", "  "))
            if alert["cause_ids"]:
                out.append(_wrap("Concerns: " + ", ".join(_named(c, ranked) for c in alert["cause_ids"]), "    "))
    out.append("\nDIFFERENTIAL")
    if not body["differential"]:
        out.append("  (nothing in the context points at a cause)")
    else:
        out.append(_wrap(INDEPENDENCE_NOTE, "  "))
    shown, minor = split_minor(body["differential"])
    for cause in shown:
        out.append(f"  {cause['rank']:>2}. {cause['name']:<52} {percent(cause['probability']):>5}  {cause['urgency']}")
        if "established" in cause:
            established = cause["established"]
            out.append(
                _wrap(f"= Established: {established['criterion']} [{'; '.join(established['because'])}]", "      ")
            )
        for alert_id in cause.get("alert_ids", []):
            out.append(f"      ! see alert: {alert_id}")
        for item in cause["evidence"][:3]:
            sign = "+" if item["effect"] == "supports" else "-"
            out.append(_wrap(f"{sign} {item['reason']} [{item['input']}] (LR {item['likelihood_ratio']:g})", "      "))
    if minor:
        out.append(_wrap(also_considered(minor), "  "))
    if body["pitfalls"]:
        out.append("\nPITFALLS")
        out += [_wrap(f"{p['id']}: {p['message']}", "  ") for p in body["pitfalls"]]
    if body["unrecognized"]:
        out.append("\nNOT UNDERSTOOD")
        out += [_wrap(f"{u['path']}: {u['input']} ({u['reason']})", "  ") for u in body["unrecognized"]]
    out.append(f"\n{body['disclaimer']}")
    return "\n".join(out)


def _named(cause_id: str, ranked: dict[str, Any]) -> str:
    """A cause an alert names, with its place in the differential."""
    cause = ranked.get(cause_id)
    if cause is None:
        return f"{cause_id} (not in the differential)"
    return f"{cause['name']} (ranked {cause['rank']}, {percent(cause['probability'])})"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")
