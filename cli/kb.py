"""spasmdx kb check: load and cross-check the knowledge base, or say exactly what is wrong."""

from __future__ import annotations

import argparse
from pathlib import Path

from spasmdx.rules import loader


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("kb", help="knowledge-base tools")
    sub = parser.add_subparsers(dest="kb_command", required=True)
    check = sub.add_parser("check", help="validate the knowledge base")
    check.add_argument("--path", type=Path, default=None, help="knowledge-base folder (default: the packaged one)")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    kb = loader.load(args.path)
    rules = sum(len(c.evidence) for c in kb.causes.values())
    print(
        f"knowledge base {kb.version}: {len(kb.causes)} causes ({rules} evidence rules), "
        f"{len(kb.alerts)} alerts, {len(kb.pitfalls)} pitfalls, {len(kb.concepts)} concepts, "
        f"{len(kb.labs)} labs, {len(kb.ingredients)} drugs, {len(kb.references)} references: OK"
    )
    return 0
