"""The clinician's test page at GET /, and the vocabulary its form suggests from."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, render_template, url_for

from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.model import Range
from spasmdx.rules.terminology import ATC, ICD10CM, LOINC, RXNORM, SNOMED
from spasmdx.schemas.vocabulary import VocabularySchema

from .cached import built_once

bp = Blueprint("page", __name__)
_vocabulary = VocabularySchema()

# The URI a client sends for each code system the knowledge base names (api-contract.md).
SYSTEM_URIS = {
    SNOMED: "http://snomed.info/sct",
    ICD10CM: "http://hl7.org/fhir/sid/icd-10-cm",
    RXNORM: "http://www.nlm.nih.gov/research/umls/rxnorm",
    ATC: "http://www.whocc.no/atc",
    LOINC: "http://loinc.org",
}


@bp.get("/")
def index():
    # URLs go to the page as a JSON data block, so it works behind a path prefix and runs no inline code.
    endpoints = {
        "differential": url_for("api.differential"),
        "vocabulary": url_for("page.vocabulary"),
        "knowledge_base": url_for("api.knowledge_base"),
        "examples": url_for("static", filename="examples.json"),
    }
    return render_template("index.html", endpoints=endpoints)


@bp.get("/v1/vocabulary")
def vocabulary():
    return built_once("spasmdx.vocabulary", lambda kb: _vocabulary.dump(vocabulary_of(kb)))


def vocabulary_of(kb: KnowledgeBase) -> dict[str, Any]:
    """Return the names and codes the knowledge base understands, section by section."""
    ingredients = [
        {"id": i.id, "name": i.name, "brands": list(i.brands), "classes": list(i.classes),
         "codes": _codes((RXNORM, i.rxnorm), (ATC, i.atc)),
         "products": [{"system": SYSTEM_URIS[RXNORM], "code": code, "display": display}
                      for code, display in i.products.items()]}
        for i in kb.ingredients.values()
    ]
    classes = [{"id": c.id, "name": c.name, "codes": _codes((ATC, c.atc))} for c in kb.classes.values()]
    labs = []
    for lab in kb.labs.values():
        entry = {"id": lab.id, "name": lab.name, "unit": lab.unit, "units": list(lab.conversions),
                 "codes": _codes((LOINC, lab.loinc)), "synonyms": list(lab.synonyms)}
        if _bounds(lab.reference):
            entry["reference_range"] = _bounds(lab.reference)
        by_sex = {sex: _bounds(limits) for sex, limits in lab.reference_by_sex.items() if _bounds(limits)}
        if by_sex:  # the engine uses these when the patient's sex is known (CK, creatinine, ...)
            entry["reference_range_by_sex"] = by_sex
        labs.append(entry)
    return {"version": kb.version, "findings": _concepts(kb, "finding"), "conditions": _concepts(kb, "condition"),
            "medications": {"ingredients": ingredients, "classes": classes}, "labs": labs}


def _concepts(kb: KnowledgeBase, kind: str) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name, "codes": _codes((SNOMED, c.snomed), (ICD10CM, c.icd10cm))}
            for c in kb.concepts.values() if c.kind == kind]


def _bounds(limits: Range) -> dict[str, float]:
    return {name: value for name, value in (("low", limits.low), ("high", limits.high)) if value is not None}


def _codes(*groups: tuple[str, Iterable[str]]) -> list[dict[str, str]]:
    return [{"system": SYSTEM_URIS[system], "code": code} for system, codes in groups for code in codes]
