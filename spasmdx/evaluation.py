"""Score worked cases: top-1, top-3, alert and pitfall recall, false critical alerts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spasmdx.rules.engine import assess
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.schemas.request import ContextSchema


@dataclass
class CaseResult:
    id: str
    expected_top3: list[str]
    expected_top1: list[str]
    expected_alerts: set[str]
    expected_pitfalls: set[str]
    top3: list[str]
    alerts: list[str]
    critical: list[str]
    pitfalls: list[str]
    missing_alerts: list[str]
    forbidden_alerts: list[str]
    missing_pitfalls: list[str]
    # every cause listed, with its displayed probability and whether the case accepts it
    listed: list[tuple[str, float, bool]] = field(default_factory=list)

    @property
    def top3_ok(self) -> bool:
        return bool(set(self.top3) & set(self.expected_top3))

    @property
    def top1_ok(self) -> bool | None:
        return (self.top3[:1] != [] and self.top3[0] in self.expected_top1) if self.expected_top1 else None

    @property
    def passed(self) -> bool:
        return (
            self.top3_ok
            and self.top1_ok is not False
            and not self.missing_alerts
            and not self.forbidden_alerts
            and not self.missing_pitfalls
        )


@dataclass
class Report:
    cases: list[CaseResult] = field(default_factory=list)

    def rate(self, values: Iterable[bool | None]) -> float:
        counted = [v for v in values if v is not None]
        return sum(counted) / len(counted) if counted else 1.0

    def summary(self) -> dict[str, Any]:
        expected_alerts = sum(len(c.expected_alerts) for c in self.cases)
        raised_alerts = sum(len(set(c.alerts) & c.expected_alerts) for c in self.cases)
        expected_pitfalls = sum(len(c.expected_pitfalls) for c in self.cases)
        raised_pitfalls = sum(len(set(c.pitfalls) & c.expected_pitfalls) for c in self.cases)
        return {
            "cases": len(self.cases),
            "passed": sum(c.passed for c in self.cases),
            "top1": self.rate(c.top1_ok for c in self.cases),
            "top3": self.rate(c.top3_ok for c in self.cases),
            "alert_recall": raised_alerts / expected_alerts if expected_alerts else 1.0,
            "pitfall_recall": raised_pitfalls / expected_pitfalls if expected_pitfalls else 1.0,
            "forbidden_alerts": sum(len(c.forbidden_alerts) for c in self.cases),
            "false_critical_alerts": sum(len(set(c.critical) - c.expected_alerts) for c in self.cases),
        }


def read_cases(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Read cases, one JSON object a line, from every file given."""
    cases = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                cases.append(json.loads(line))
    return cases


def evaluate(kb: KnowledgeBase, cases: list[dict[str, Any]]) -> Report:
    schema = ContextSchema()
    report = Report()
    for case in cases:
        expect = case["expect"]
        result = assess(kb, schema.load(case["context"]))
        accepted = set(expect["top3_any"]) | set(expect.get("top1_any", []))
        alerts = [a["id"] for a in result["alerts"]]
        pitfalls = [p["id"] for p in result["pitfalls"]]
        report.cases.append(
            CaseResult(
                id=case["id"],
                expected_top3=expect["top3_any"],
                expected_top1=expect.get("top1_any", []),
                expected_alerts=set(expect["alerts"]),
                expected_pitfalls=set(expect["pitfalls"]),
                top3=[c["id"] for c in result["differential"][:3]],
                alerts=alerts,
                critical=[a["id"] for a in result["alerts"] if a["severity"] == "critical"],
                pitfalls=pitfalls,
                missing_alerts=sorted(set(expect["alerts"]) - set(alerts)),
                forbidden_alerts=sorted(set(expect.get("absent_alerts", [])) & set(alerts)),
                missing_pitfalls=sorted(set(expect["pitfalls"]) - set(pitfalls)),
                listed=[(c["id"], c["probability"], c["id"] in accepted) for c in result["differential"]],
            )
        )
    return report
