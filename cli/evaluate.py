"""spasmdx eval: run the engine over worked cases and print how it did."""

from __future__ import annotations

import argparse
from pathlib import Path

from spasmdx.calibration import calibration, render
from spasmdx.evaluation import evaluate, read_cases
from spasmdx.rules import loader


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("eval", help="score worked cases (JSON Lines in the vignette format)")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--failures", action="store_true", help="list only the cases that miss something")
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="also print the reliability table, ECE, Brier score and top-1 confidence",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = evaluate(loader.load(), read_cases(args.files))
    print(f"{'case':<6} {'ok':<4} {'expected in top 3':<44} {'actual top 3':<70} alerts / pitfalls")
    for case in report.cases:
        if args.failures and case.passed:
            continue
        notes = [
            *(f"-{a}" for a in case.missing_alerts),
            *(f"!{a}" for a in case.forbidden_alerts),
            *(f"-{p}" for p in case.missing_pitfalls),
        ]
        flags = ",".join(case.alerts + case.pitfalls) or "-"
        print(
            f"{case.id:<6} {'ok' if case.passed else 'XX':<4} {','.join(case.expected_top3)[:43]:<44} "
            f"{','.join(case.top3)[:69]:<70} {flags} {' '.join(notes)}".rstrip()
        )
    summary = report.summary()
    print(
        f"\n{summary['cases']} cases, {summary['passed']} fully right; top-1 {summary['top1']:.0%}, "
        f"top-3 {summary['top3']:.0%}, alert recall {summary['alert_recall']:.0%}, "
        f"pitfall recall {summary['pitfall_recall']:.0%}, forbidden alerts {summary['forbidden_alerts']}, "
        f"unexpected critical alerts {summary['false_critical_alerts']}"
    )
    print("(-x: expected but not raised; !x: raised though it must not be)")
    if args.calibration:
        print("\nCalibration: each listed cause's displayed probability against whether the case accepts it")
        print(render(calibration(report.cases)))
    return 0
