"""Check medication orders against the order book (rules/data/orders.yaml): a pure function, no I/O.

The drugs in play are the draft orders and the current medications on the chart; a rule holds
for a drug (and the drug it meets, for an interaction) when at least one of them is an order the
hook is about, the dose is over the rule's cap (or cannot be read), and the chart meets its
record predicate.  One finding per pair of drugs: the most severe rule that holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .facts import Facts
from .knowledge import KnowledgeBase
from .order_book import Alternative, OrderRule
from .resolve import resolve

MAX_SWITCHES = 2
MAX_FINDINGS = 20  # cards a clinician can read at one signing; the rest are counted, never silently dropped


class Order(Protocol):
    """A draft order as the FHIR reading gives it (spasmdx.fhir.orders.Draft)."""

    @property
    def reference(self) -> str: ...
    @property
    def item(self) -> dict[str, Any]: ...
    @property
    def mg_per_day(self) -> float | None: ...
    @property
    def units_per_day(self) -> float | None: ...


@dataclass(frozen=True)
class Taking:
    """One drug in play: an ingredient of a draft order, or a current medication on the chart."""

    key: str
    drug: str
    drugs: frozenset[str]  # the ingredient and its classes
    dose_mg: float | None
    shown: str
    draft: str | None  # MedicationRequest/<id> for a draft order
    focus: bool  # an order this hook is about (order-select: the selections)


@dataclass(frozen=True)
class Finding:
    rule: OrderRule
    drug: Taking
    other: Taking | None
    record: tuple[str, ...]  # the chart entries that met the rule's record predicate
    dose_unknown: bool  # a capped rule held because the dose could not be read
    switches: tuple[Alternative, ...]  # alternatives no rule flags for this patient

    @property
    def key(self) -> str:
        return f"{self.rule.id}/{self.drug.key}/{self.other.key if self.other else '-'}"


def check(
    kb: KnowledgeBase, record: Facts, orders: Sequence[Order], focus: Iterable[str], limit: int = MAX_FINDINGS
) -> tuple[list[Finding], int, list[dict[str, Any]]]:
    """Return the most severe findings (at most `limit`), how many more held, and the draft items not
    understood (paths medications[i])."""
    wanted = set(focus)
    resolution = resolve(kb, {"medications": [o.item for o in orders]})
    drafts = list(_draft_takings(kb, resolution.facts, orders, wanted))
    on_order = {t.drug for t in drafts}
    chart = [t for t in _chart_takings(kb, record) if t.drug not in on_order]  # a draft supersedes its drug's entry
    takings = drafts + chart
    best: dict[tuple[str, str], Finding] = {}
    for rule in kb.orders.rules:
        for finding in _holding(rule, takings, record):
            pair = (finding.drug.key, finding.other.key if finding.other else "")
            if pair not in best or rule.severity < best[pair].rule.severity:
                best[pair] = finding
    ranked = sorted(best.values(), key=lambda f: (f.rule.severity, f.key))
    shown = ranked[:limit]
    conflicts = _alternative_conflicts(kb, takings, record) if any(_switchable(f) for f in shown) else {}
    findings = [_with_switches(kb, f, conflicts) for f in shown]
    return findings, len(ranked) - len(shown), resolution.unrecognized


def _holding(rule: OrderRule, takings: Sequence[Taking], record: Facts) -> Iterable[Finding]:
    chart_entries: tuple[str, ...] = ()
    if rule.record is not None:
        truth, mentions = rule.record.evaluate(record)
        if truth is not True:
            return
        chart_entries = tuple(dict.fromkeys(m.input for m in mentions))
    drugs, partners, excluded = set(rule.drug), set(rule.partners), set(rule.excluded)
    others = [t for t in takings if t.drugs & partners and not t.drugs & excluded]
    for drug in takings:
        if not drug.drugs & drugs:
            continue
        unknown = rule.dose_above is not None and drug.dose_mg is None
        if rule.dose_above is not None and drug.dose_mg is not None and drug.dose_mg <= rule.dose_above:
            continue
        if not rule.partners:
            if drug.focus:
                yield Finding(rule, drug, None, chart_entries, unknown, ())
            continue
        for other in others:
            if other.drug != drug.drug and (drug.focus or other.focus):
                yield Finding(rule, drug, other, chart_entries, unknown, ())


def _switchable(finding: Finding) -> bool:
    return "switch" in finding.rule.suggest and finding.drug.draft is not None


def _alternative_conflicts(kb: KnowledgeBase, takings: Sequence[Taking], record: Facts) -> dict[str, set[str] | None]:
    """For each alternative, the keys of the drugs in play some rule flags it with (None: the chart alone does)."""
    found: dict[str, set[str] | None] = {}
    for alternative in kb.orders.alternatives:
        taking = _alternative_taking(kb, alternative)
        keys: set[str] | None = set()
        for rule in kb.orders.rules:
            for f in _holding(rule, [taking, *takings], record):
                if f.drug is taking and f.other is None:
                    keys = None  # a record rule: flagged whatever it replaces
                elif keys is not None and f.other is not None and (f.drug is taking or f.other is taking):
                    keys.add((f.other if f.drug is taking else f.drug).key)
        found[alternative.id] = keys
    return found


def _with_switches(kb: KnowledgeBase, finding: Finding, conflicts: Mapping[str, set[str] | None]) -> Finding:
    """Add the alternatives to the flagged draft that no rule flags with the other drugs and the chart."""
    if not _switchable(finding):
        return finding
    safe = []
    for alternative in kb.orders.alternatives:
        flagged_with = conflicts.get(alternative.id)
        # The alternative replaces the flagged draft: a flag with that draft itself does not count.
        if alternative.drug != finding.drug.drug and flagged_with is not None and flagged_with <= {finding.drug.key}:
            safe.append(alternative)
    return Finding(
        finding.rule, finding.drug, finding.other, finding.record, finding.dose_unknown, tuple(safe[:MAX_SWITCHES])
    )


def _alternative_taking(kb: KnowledgeBase, alternative: Alternative) -> Taking:
    drugs = frozenset({alternative.drug, *kb.drug_classes_of(alternative.drug)})
    return Taking(
        f"alternative:{alternative.id}", alternative.drug, drugs, alternative.dose_mg, alternative.display, "new", True
    )


def _draft_takings(kb: KnowledgeBase, facts: Facts, orders: Sequence[Order], focus: set[str]) -> Iterable[Taking]:
    by_path = _facts_by_path(facts)
    for index, order in enumerate(orders):
        found = by_path.get(f"medications[{index}]", {})
        for drug, strength in found.items():
            dose = _dose(order, strength, single=len(found) == 1)
            drugs = frozenset({drug, *kb.drug_classes_of(drug)})
            shown = order.item.get("display") or kb.name_of(drug)
            yield Taking(
                f"{order.reference}#{drug}", drug, drugs, dose, shown, order.reference, order.reference in focus
            )


def _dose(order: Order, strength: float | None, single: bool) -> float | None:
    if order.mg_per_day is not None and single:
        return order.mg_per_day
    if order.units_per_day is not None and strength is not None:
        return strength * order.units_per_day
    return strength


def _chart_takings(kb: KnowledgeBase, record: Facts) -> Iterable[Taking]:
    seen: set[tuple[str, str]] = set()
    for facts in record.medications.values():
        for fact in facts:
            ident = (fact.mention.path, fact.drug)
            if fact.exposure != "current" or ident in seen:
                continue
            seen.add(ident)
            drugs = frozenset({fact.drug, *kb.drug_classes_of(fact.drug)})
            yield Taking(
                f"chart:{fact.mention.path}#{fact.drug}",
                fact.drug,
                drugs,
                fact.dose_mg,
                fact.mention.input,
                None,
                False,
            )


def _facts_by_path(facts: Facts) -> Mapping[str, dict[str, float | None]]:
    """medications[i] -> {ingredient: dose read from its name or product}, ingredients only (not classes)."""
    found: dict[str, dict[str, float | None]] = {}
    for entries in facts.medications.values():
        for fact in entries:
            if fact.exposure == "current":
                found.setdefault(fact.mention.path, {})[fact.drug] = fact.dose_mg
    return found
