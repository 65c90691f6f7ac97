"""The clinician's test page at GET /, and the vocabulary its form suggests from."""
from __future__ import annotations

from typing import Any, Iterable

from flask import Blueprint, current_app, render_template, url_for

from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.rules.terminology import ATC, ICD10CM, LOINC, RXNORM, SNOMED
from spasmdx.schemas.vocabulary import VocabularySchema

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
    # The knowledge base is read-only while the process lives: build the listing once.
    cached = current_app.extensions.get("spasmdx.vocabulary")
    if cached is None:
        cached = _vocabulary.dump(vocabulary_of(current_app.extensions["spasmdx.kb"]))
        current_app.extensions["spasmdx.vocabulary"] = cached
    return cached


def vocabulary_of(kb: KnowledgeBase) -> dict[str, Any]:
    """Return the names and codes the knowledge base understands, section by section."""
    concepts = lambda kind: [  # noqa: E731
        {"id": c.id, "name": c.name, "codes": _codes((SNOMED, c.snomed), (ICD10CM, c.icd10cm))}
        for c in kb.concepts.values() if c.kind == kind
    ]
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
        entry = {"id": lab.id, "name": lab.name, "unit": lab.unit,
                 "units": list(lab.conversions), "codes": _codes((LOINC, lab.loinc))}
        bounds = {k: v for k, v in (("low", lab.reference.low), ("high", lab.reference.high)) if v is not None}
        if bounds:
            entry["reference_range"] = bounds
        labs.append(entry)
    return {"version": kb.version, "findings": concepts("finding"), "conditions": concepts("condition"),
            "medications": {"ingredients": ingredients, "classes": classes}, "labs": labs}


def _codes(*groups: tuple[str, Iterable[str]]) -> list[dict[str, str]]:
    return [{"system": SYSTEM_URIS[system], "code": code} for system, codes in groups for code in codes]
