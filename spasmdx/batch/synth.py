"""Synthetic case files for benchmarks and load tests, drawn from the knowledge base itself.

Each case picks a cause (weighted by its prior tier), satisfies its defining requirement and
a few of its supporting rules, and adds a little noise; the same seed gives the same cases.
"""
from __future__ import annotations

import random
from typing import Any, Iterator

from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.model import PRIOR_TIERS
from spasmdx.rules.composites import AllOf, AtLeast
from spasmdx.rules.predicates import ConceptIs, LabIs, MedicationIs, PatientIs, Predicate

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
        context: dict[str, Any] = {"patient": {"age": self.rng.randint(18, 90),
                                               "sex": self.rng.choice(("female", "male"))}}
        for section in ("findings", "medications", "conditions", "labs"):
            context[section] = []
        if cause.requires:
            self._realise(self.rng.choice(cause.requires), context)
        supporting = [r for r in cause.evidence if r.lr > 1]
        for rule in self.rng.sample(supporting, min(len(supporting), self.rng.randint(2, 5))):
            self._realise(rule.when, context)
        for concept in self.rng.sample(self.findings, self.rng.randint(0, 2)):
            context["findings"].append({"display": self._words(concept), "present": self.rng.random() < 0.6})
        return {"case_id": f"S{number:07d}", "context": {k: v for k, v in context.items() if v}}

    def _realise(self, predicate: Predicate, context: dict[str, Any]) -> None:
        if isinstance(predicate, AllOf):
            for part in predicate.parts:
                self._realise(part, context)
        elif isinstance(predicate, AtLeast):
            for part in self.rng.sample(predicate.parts, predicate.count):
                self._realise(part, context)
        elif isinstance(predicate, ConceptIs):
            section = "conditions" if predicate.kind == "condition" else "findings"
            context[section].append(self._concept_item(predicate.concept))
        elif isinstance(predicate, MedicationIs):
            context["medications"].append(self._medication(predicate))
        elif isinstance(predicate, LabIs) and self.kb.labs[predicate.lab].conversions:
            context["labs"].append(self._lab(predicate, context["patient"]["sex"]))
        elif isinstance(predicate, PatientIs):
            self._patient(predicate, context["patient"])
        # Not, NoneOf, Measured, scores and differential predicates are left to chance.

    def _words(self, concept_id: str) -> str:
        concept = self.kb.concepts[concept_id]
        return self.rng.choice((concept.name, *concept.synonyms[:3]))

    def _concept_item(self, concept_id: str) -> Any:
        concept = self.kb.concepts[concept_id]
        codes = [("http://snomed.info/sct", c) for c in concept.snomed]
        codes += [("http://hl7.org/fhir/sid/icd-10-cm", c) for c in concept.icd10cm]
        if codes and self.rng.random() < 0.5:
            system, code = self.rng.choice(codes)
            return {"code": {"system": system, "code": code}, "display": concept.name}
        return self._words(concept_id)

    def _medication(self, predicate: MedicationIs) -> dict[str, Any]:
        drug = predicate.drug
        if drug in self.members:
            drug = self.rng.choice(self.members[drug] or [drug])
        name = self.kb.ingredients[drug].name if drug in self.kb.ingredients else self.kb.classes[drug].name
        status = "stopped" if predicate.exposure == "past" else "active"
        return {"display": f"{name} {self.rng.choice(DOSES)}", "status": status}

    def _lab(self, predicate: LabIs, sex: str) -> dict[str, Any]:
        lab = self.kb.labs[predicate.lab]
        reference = lab.default_range(sex)
        low, high = reference.low or 0.0, reference.high or (reference.low or 1.0) * 2
        if predicate.bounds is not None:
            lo = predicate.bounds.min if predicate.bounds.min is not None else low * 0.5
            hi = predicate.bounds.max if predicate.bounds.max is not None else max(lo * 1.5, high * 1.5)
            value = self.rng.uniform(lo, hi)
        elif predicate.uln is not None:
            lo = predicate.uln.min if predicate.uln.min is not None else 0.3
            hi = predicate.uln.max if predicate.uln.max is not None else lo * 3
            value = self.rng.uniform(lo, hi) * high
        else:
            value = {"low": low * 0.8, "high": high * 1.3}.get(predicate.status or "", (low + high) / 2)
        unit, factor = self.rng.choice(sorted(lab.conversions.items()))
        return {"display": lab.name, "value": round(max(value, 0) / factor, 3), "unit": unit}

    def _patient(self, predicate: PatientIs, patient: dict[str, Any]) -> None:
        if predicate.bounds is not None:
            lo = predicate.bounds.min if predicate.bounds.min is not None else 18
            hi = predicate.bounds.max - 1 if predicate.bounds.max is not None else 90
            patient["age"] = self.rng.randint(int(lo), max(int(lo), int(hi)))
        elif predicate.attribute == "pregnant":
            patient["pregnant"] = predicate.value
            if predicate.value:
                patient["sex"] = "female"
        else:
            patient[predicate.attribute] = predicate.value


def synthesize(kb: KnowledgeBase, n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Yield n wrapped cases {"case_id", "context"}, repeatably for a seed."""
    synthesizer = Synthesizer(kb, seed)
    for number in range(1, n + 1):
        yield synthesizer.case(number)
