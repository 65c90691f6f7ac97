"""The order checks' knowledge (rules/data/orders.yaml): interaction, dose and record rules, and the
alternative orders suggestions create. Built when the knowledge base loads; cross-checked by check.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .composites import leaves
from .errors import KnowledgeError
from .parsing import parse
from .predicates import Predicate, UnitConverter

INDICATORS = ("critical", "warning", "info")  # most severe first
SUGGESTIONS = ("switch", "lower", "cancel_drug", "cancel_other")
PLACEHOLDERS = frozenset({"drug", "other", "dose", "cap"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Alternative:
    """An order a suggestion may create instead of the one flagged (a statin at a dose)."""

    id: str
    drug: str
    dose_mg: float
    rxnorm: str
    display: str


@dataclass(frozen=True)
class OrderRule:
    """`drug` (ingredients or classes), optionally with a `with` drug, a dose over `dose_above` mg a day,
    and a `record` predicate over the chart."""

    id: str
    drug: tuple[str, ...]
    partners: tuple[str, ...]
    excluded: tuple[str, ...]
    dose_above: float | None
    record: Predicate | None
    indicator: str
    message: str
    advice: str
    suggest: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def severity(self) -> int:
        """0 for critical: lower is more severe."""
        return INDICATORS.index(self.indicator)


@dataclass(frozen=True)
class OrderBook:
    rules: tuple[OrderRule, ...] = ()
    alternatives: tuple[Alternative, ...] = field(default_factory=tuple)


def build(data: Mapping[str, Any], name: str, units: UnitConverter) -> OrderBook:
    """Build the order book from a file's data (already checked against its schema); raise KnowledgeError."""
    rules = []
    seen: set[str] = set()
    for i, row in enumerate(data["rules"]):
        where = f"{name}: rules[{i}] {row['id']}"
        if row["id"] in seen:
            raise KnowledgeError(where, "duplicate rule id")
        seen.add(row["id"])
        unknown = set(_PLACEHOLDER.findall(row["message"])) - PLACEHOLDERS
        if unknown:
            raise KnowledgeError(
                f"{where}.message", f"unknown placeholder(s) {sorted(unknown)}: use {sorted(PLACEHOLDERS)}"
            )
        used = set(_PLACEHOLDER.findall(row["message"]))
        if ({"dose", "cap"} & used and row["dose_above"] is None) or ("other" in used and not row["with"]):
            raise KnowledgeError(f"{where}.message", "{dose} and {cap} need dose_above; {other} needs with")
        if "lower" in row["suggest"] and row["dose_above"] is None:
            raise KnowledgeError(f"{where}.suggest", "lower needs dose_above, the dose to lower to")
        if not row["with"] and row["record"] is None:
            raise KnowledgeError(where, "a rule needs a `with` drug or a `record` predicate")
        record = parse(row["record"], f"{where}.record", units) if row["record"] is not None else None
        rules.append(
            OrderRule(
                row["id"],
                tuple(row["drug"]),
                tuple(row["with"]),
                tuple(row["except"]),
                None if row["dose_above"] is None else float(row["dose_above"]),
                record,
                row["indicator"],
                row["message"],
                row["advice"],
                tuple(row["suggest"]),
                tuple(row["source"]),
            )
        )
    alternatives = tuple(
        Alternative(a["id"], a["drug"], float(a["dose_mg"]), a["rxnorm"], a["display"]) for a in data["alternatives"]
    )
    return OrderBook(tuple(rules), alternatives)


def problems(book: OrderBook, known: Callable[[str, str], bool], references: Mapping[str, object]) -> list[str]:
    """Return one line per name the order book uses that the knowledge base does not define."""
    found: list[str] = []
    for rule in book.rules:
        where = f"orders.yaml: rule {rule.id}"
        for ident in (*rule.drug, *rule.partners, *rule.excluded):
            if not known("drug", ident):
                found.append(f"{where}: unknown drug '{ident}'")
        found += [f"{where}: unknown reference '{r}'" for r in rule.sources if r not in references]
        if rule.record is not None:
            for part in leaves(rule.record):
                found += [f"{where}.record: unknown {ns} '{i}'" for ns, i in part.references() if not known(ns, i)]
    for alternative in book.alternatives:
        if not known("drug", alternative.drug):
            found.append(f"orders.yaml: alternative {alternative.id}: unknown drug '{alternative.drug}'")
    return found
