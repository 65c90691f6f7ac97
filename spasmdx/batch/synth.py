"""Synthetic case files for benchmarks and load tests, drawn from the knowledge base itself.

Each case picks a cause (weighted by its prior tier), satisfies its defining requirement and
a few of its supporting rules, and adds a little noise; the same seed gives the same cases.
What satisfies a predicate is the predicate's own business (its `realise`); this module turns
what it asks for (a concept, a drug, a lab value, a patient attribute) into request items.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from spasmdx.rules.codesystems import ICD10CM, SNOMED, URI
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.model import PRIOR_TIERS
from spasmdx.rules.predicates import Predicate

DOSES = ("10 mg daily", "20 mg daily", "40 mg at night", "5 mg twice daily", "as directed")


class Synthesizer:
    def __init__(self, kb: KnowledgeBase, seed: int) -> None:
        self.kb = kb
        self.rng = random.Random(seed)
        self.causes = sorted(kb.causes.values(), key=lambda c: c.id)
        self.weights = [PRIOR_TIERS[c.prior] for c in self.causes]
        self.members = {cls: sorted(i.id for i in kb.ingredients.values() if cls in i.classes) for cls in kb.classes}
        self.findings = sorted(c.id for c in kb.concepts.values() if c.kind == "finding")

    def case(self, number: int) -> dict[str, Any]:
        cause = self.rng.choices(self.causes, self.weights)[0]
        context: dict[str, Any] = {
            "patient": {"age": self.rng.randint(18, 90), "sex": self.rng.choice(("female", "male"))}
        }
        for section in ("findings", "medications", "conditions", "labs"):
            context[section] = []
        if cause.requires:
            self.realise(self.rng.choice(cause.requires), context)
        supporting = [r for r in cause.evidence if r.lr > 1]
        for rule in self.rng.sample(supporting, min(len(supporting), self.rng.randint(2, 5))):
            self.realise(rule.when, context)
        for concept in self.rng.sample(self.findings, self.rng.randint(0, 2)):
            context["findings"].append({"display": self._words(concept), "present": self.rng.random() < 0.6})
        return {"case_id": f"S{number:07d}", "context": {k: v for k, v in context.items() if v}}

    def realise(self, predicate: Predicate, context: dict[str, Any]) -> None:
        """Add to `context` the items that make `predicate` hold, as far as a synthetic case can."""
        predicate.realise(_Draft(self, context))

    def _words(self, concept_id: str) -> str:
        concept = self.kb.concepts[concept_id]
        return self.rng.choice((concept.name, *concept.synonyms[:3]))

    def _concept_item(self, concept_id: str) -> Any:
        concept = self.kb.concepts[concept_id]
        codes = [(URI[SNOMED], c) for c in concept.snomed]
        codes += [(URI[ICD10CM], c) for c in concept.icd10cm]
        if codes and self.rng.random() < 0.5:
            system, code = self.rng.choice(codes)
            return {"code": {"system": system, "code": code}, "display": concept.name}
        return self._words(concept_id)

    def _medication(self, drug: str, exposure: str) -> dict[str, Any]:
        if drug in self.members:
            drug = self.rng.choice(self.members[drug] or [drug])
        name = self.kb.ingredients[drug].name if drug in self.kb.ingredients else self.kb.classes[drug].name
        status = "stopped" if exposure == "past" else "active"
        return {"display": f"{name} {self.rng.choice(DOSES)}", "status": status}

    def _lab(
        self, lab_id: str, value_of: Callable[[float, float, random.Random], float], sex: str
    ) -> dict[str, Any] | None:
        lab = self.kb.labs[lab_id]
        if not lab.conversions:  # a derived value (eGFR, corrected calcium): no unit a request could use
            return None
        reference = lab.default_range(sex)
        low, high = reference.low or 0.0, reference.high or (reference.low or 1.0) * 2
        value = value_of(low, high, self.rng)
        unit, factor = self.rng.choice(sorted(lab.conversions.items()))
        canonical = max(value, 0) - lab.offsets.get(unit, 0.0)
        return {"display": lab.name, "value": round(canonical / factor, 3), "unit": unit}


class _Draft:
    """One synthetic case being written: where predicates put the facts that satisfy them (a CaseWriter)."""

    def __init__(self, synthesizer: Synthesizer, context: dict[str, Any]) -> None:
        self.synthesizer = synthesizer
        self.context = context
        self.rng = synthesizer.rng

    def add_concept(self, concept: str, kind: str) -> None:
        section = "conditions" if kind == "condition" else "findings"
        self.context[section].append(self.synthesizer._concept_item(concept))

    def add_medication(self, drug: str, exposure: str) -> None:
        self.context["medications"].append(self.synthesizer._medication(drug, exposure))

    def add_lab(self, lab: str, value: Callable[[float, float, random.Random], float]) -> None:
        item = self.synthesizer._lab(lab, value, self.context["patient"]["sex"])
        if item is not None:
            self.context["labs"].append(item)

    def set_patient(self, attribute: str, value: Any) -> None:
        self.context["patient"][attribute] = value


def synthesize(kb: KnowledgeBase, n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Yield n wrapped cases {"case_id", "context"}, repeatably for a seed."""
    synthesizer = Synthesizer(kb, seed)
    for number in range(1, n + 1):
        yield synthesizer.case(number)
