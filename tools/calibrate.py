"""Fit the knowledge base's calibration (slope and intercept) over every worked case, and check it.

    python tools/calibrate.py [--write] CASES.jsonl ...

Each cause the engine lists is one observation: its uncalibrated log-odds (prior tier plus the
cited log-likelihood ratios, as if independent) against whether the case accepts it. A logistic
fit of two numbers (Platt scaling) maps those log-odds to probabilities that mean what they say;
nothing is fitted to a single case or cause. Leave-one-file-out cross-validation shows how well
the map holds on cases it was not fitted on. --write puts the fit in rules/data/knowledge.yaml.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
from datetime import date
from pathlib import Path

from spasmdx.calibration import calibration, render
from spasmdx.evaluation import CaseResult, evaluate, read_cases
from spasmdx.rules import loader
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.model import Calibration

Point = tuple[float, bool]  # uncalibrated log-odds, accepted


def observations(kb: KnowledgeBase, files: list[Path]) -> dict[Path, list[CaseResult]]:
    """Score every file's cases conditioned as the knowledge base says, before the logistic map."""
    raw = dataclasses.replace(kb, calibration=Calibration(unlisted=kb.calibration.unlisted))
    return {path: evaluate(raw, read_cases([path])).cases for path in files}


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)  # the engine rounds to 4 decimals
    return math.log(p / (1 - p))


def points(cases: list[CaseResult]) -> list[Point]:
    return [(_logit(p), accepted) for case in cases for _, p, accepted in case.listed]


def fit(data: list[Point]) -> Calibration:
    """Maximum-likelihood logistic regression of accepted on log-odds (Newton's method)."""
    a, b = 1.0, 0.0
    for _ in range(50):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in data:
            q = 1 / (1 + math.exp(-(a * x + b)))
            r = (1.0 if y else 0.0) - q
            w = q * (1 - q)
            ga, gb = ga + r * x, gb + r
            haa, hab, hbb = haa + w * x * x, hab + w * x, hbb + w
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a + da, b + db
        if abs(da) < 1e-9 and abs(db) < 1e-9:
            break
    return Calibration(round(a, 2), round(b, 2))


def apply(cases: list[CaseResult], fitted: Calibration) -> list[CaseResult]:
    """The cases with each listed probability mapped through a calibration."""

    def mapped(p: float) -> float:
        return round(1 / (1 + math.exp(-(fitted.slope * _logit(p) + fitted.intercept))), 4)

    return [
        dataclasses.replace(case, listed=[(i, mapped(p), a) for i, p, a in sorted(case.listed, key=lambda x: -x[1])])
        for case in cases
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help="store the fit in rules/data/knowledge.yaml")
    args = parser.parse_args(argv)
    kb = loader.load()
    by_file = observations(kb, args.files)
    every = [case for cases in by_file.values() for case in cases]
    unlisted = kb.calibration.unlisted
    print(f"Conditioned on an explanation (unlisted {unlisted}), before the logistic map:")
    print(render(calibration(every)))
    fitted = fit(points(every))
    print(f"\nFitted over {len(every)} cases: slope {fitted.slope}, intercept {fitted.intercept}")
    print(render(calibration(apply(every, fitted))))
    print("\nLeave one file out (fitted on the other files, measured on this one):")
    held: list[CaseResult] = []
    for path, cases in by_file.items():
        others = [point for other, rest in by_file.items() if other != path for point in points(rest)]
        part = fit(others)
        result = calibration(apply(cases, part))
        held.extend(apply(cases, part))
        print(f"  {path.name:<22} slope {part.slope:<5} intercept {part.intercept:<5} ECE {result.ece:.3f}")
    print(render(calibration(held)))
    if args.write:
        path = loader.default_path() / "knowledge.yaml"
        text = path.read_text(encoding="utf-8")
        block = (
            f"calibration:\n  slope: {fitted.slope}\n  intercept: {fitted.intercept}\n  unlisted: {unlisted}\n"
            f'  fitted: "tools/calibrate.py over {len(every)} worked cases, {date.today().isoformat()}"\n'
        )
        fitted = Calibration(fitted.slope, fitted.intercept, unlisted)
        text = re.sub(r"(?ms)^calibration:\n(?:  .*\n)*", "", text).rstrip("\n") + "\n" + block
        path.write_text(text, encoding="utf-8")
        print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
