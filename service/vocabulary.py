"""GET /v1/vocabulary: the names and codes the knowledge base understands, for clients and the test page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint

from spasmdx.rules.codesystems import ATC, ICD10CM, LOINC, RXNORM, SNOMED, URI
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.model import Range
from spasmdx.schemas.vocabulary import VocabularySchema

from .cached import built_once

bp = Blueprint("vocabulary", __name__, url_prefix="/v1")
_vocabulary = VocabularySchema()


@bp.get("/vocabulary")
def vocabulary():
    return built_once("spasmdx.vocabulary", lambda kb: _vocabulary.dump(vocabulary_of(kb)))


def vocabulary_of(kb: KnowledgeBase) -> dict[str, Any]:
    """Return the names and codes the knowledge base understands, section by section."""
    ingredients = [
        {
            "id": i.id,
            "name": i.name,
            "brands": list(i.brands),
            "classes": list(i.classes),
            "codes": _codes((RXNORM, i.rxnorm), (ATC, i.atc)),
            "products": [
                {"system": URI[RXNORM], "code": code, "display": display} for code, display in i.products.items()
            ],
        }
        for i in kb.ingredients.values()
    ]
    classes = [{"id": c.id, "name": c.name, "codes": _codes((ATC, c.atc))} for c in kb.classes.values()]
    labs = []
    for lab in kb.labs.values():
        entry = {
            "id": lab.id,
            "name": lab.name,
            "unit": lab.unit,
            "units": list(lab.conversions),
            "codes": _codes((LOINC, lab.loinc)),
            "synonyms": list(lab.synonyms),
        }
        if _bounds(lab.reference):
            entry["reference_range"] = _bounds(lab.reference)
        by_sex = {sex: _bounds(limits) for sex, limits in lab.reference_by_sex.items() if _bounds(limits)}
        if by_sex:  # the engine uses these when the patient's sex is known (CK, creatinine, ...)
            entry["reference_range_by_sex"] = by_sex
        labs.append(entry)
    return {
        "version": kb.version,
        "findings": _concepts(kb, "finding"),
        "conditions": _concepts(kb, "condition"),
        "medications": {"ingredients": ingredients, "classes": classes},
        "labs": labs,
    }


def _concepts(kb: KnowledgeBase, kind: str) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "name": c.name, "codes": _codes((SNOMED, c.snomed), (ICD10CM, c.icd10cm))}
        for c in kb.concepts.values()
        if c.kind == kind
    ]


def _bounds(limits: Range) -> dict[str, float]:
    return {name: value for name, value in (("low", limits.low), ("high", limits.high)) if value is not None}


def _codes(*groups: tuple[str, Iterable[str]]) -> list[dict[str, str]]:
    return [{"system": URI[system], "code": code} for system, codes in groups for code in codes]
