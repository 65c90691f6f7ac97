"""Code systems and words: from what an EHR sends to the knowledge base's own ids."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .codesystems import ATC, ICD10CM, LOINC, RXNORM, SNOMED, spellings
from .drug_sense import drug_context, drug_context_anywhere
from .lab_text import LabText
from .matching import Hit, Matcher, Span, Words, normalise, stem_phrase
from .model import Concept, DrugClass, Ingredient, Lab
from .spelling import Speller

# Code system URIs (and the short names people type) mapped to one name each.
SYSTEMS: Mapping[str, str] = spellings()
SYSTEMS_BY_SECTION: Mapping[str, tuple[str, ...]] = {
    "medications": (RXNORM, ATC),
    "findings": (SNOMED, ICD10CM),
    "conditions": (SNOMED, ICD10CM),
    "labs": (LOINC,),
}


def system_name(system: str) -> str | None:
    """Return the short name of a code system URI, or None if it is not understood."""
    return SYSTEMS.get(system.strip().rstrip("/").lower())


def icd10_key(code: str) -> str:
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True, slots=True)
class DrugHit:
    drug: str  # ingredient or class id
    negated: bool


class Terminology:
    """Indexes built once from the vocabulary; every lookup is a dict hit or one regex scan."""

    def __init__(
        self,
        concepts: Iterable[Concept],
        labs: Iterable[Lab],
        classes: Iterable[DrugClass],
        ingredients: Iterable[Ingredient],
    ) -> None:
        concepts, labs, ingredients = list(concepts), list(labs), list(ingredients)  # each read twice
        self.concept_codes: dict[tuple[str, str], str] = {}
        concept_words: dict[str, list[str]] = {}
        patterns: list[tuple[str, str]] = []
        for concept in concepts:
            for code in concept.snomed:
                self.concept_codes[(SNOMED, code)] = concept.id
            for code in concept.icd10cm:
                self.concept_codes[(ICD10CM, icd10_key(code))] = concept.id
            for phrase in (concept.name, *concept.synonyms):
                for form in _written_forms(phrase):
                    concept_words.setdefault(form, []).append(concept.id)
            patterns.extend((p, concept.id) for p in concept.patterns)
        self.concept_text = Matcher(concept_words, patterns)

        self.lab_codes = {code: lab.id for lab in labs for code in lab.loinc}
        self.lab_results = LabText(labs)  # results written inside findings and conditions
        self.lab_text = Matcher(_phrases((lab.id, (lab.name, *lab.synonyms)) for lab in labs))

        self.drug_codes: dict[tuple[str, str], str] = {}
        drug_words: list[tuple[str, Iterable[str]]] = []
        for drug_class in classes:
            for code in drug_class.atc:
                self.drug_codes[(ATC, code.upper())] = drug_class.id
            drug_words.append((drug_class.id, drug_class.synonyms))
        for ingredient in ingredients:
            for code in (*ingredient.rxnorm, *ingredient.products):
                self.drug_codes[(RXNORM, code)] = ingredient.id
            for code in ingredient.atc:
                self.drug_codes[(ATC, code.upper())] = ingredient.id
            names = (ingredient.name, ingredient.id.replace("_", " "), *ingredient.brands, *ingredient.synonyms)
            drug_words.append((ingredient.id, names))
        self.drug_text = Matcher(_phrases(drug_words))
        # Class words with another sense: named only beside a word of drug use (rules/drug_sense.py).
        self.ambiguous_drugs = frozenset(
            stem_phrase(normalise(word).split()) for drug_class in classes for word in drug_class.ambiguous
        )
        # For an item nothing matched: the names it may have meant (rules/spelling.py).
        self.spellers = {
            "medications": Speller((i.name, (*i.brands, *i.synonyms)) for i in ingredients),
            "findings": Speller((c.name, c.synonyms) for c in concepts),
            "labs": Speller((lab.name, lab.synonyms) for lab in labs),
        }
        self.spellers["conditions"] = self.spellers["findings"]

    def concept_by_code(self, system: str, code: str) -> str | None:
        """Resolve a SNOMED or ICD-10-CM code; ICD-10-CM walks up to its parents."""
        if system == ICD10CM:
            key = icd10_key(code)
            while len(key) >= 3:
                found = self.concept_codes.get((ICD10CM, key))
                if found:
                    return found
                key = key[:-1]
            return None
        return self.concept_codes.get((system, code.strip()))

    def drug_by_code(self, system: str, code: str) -> str | None:
        """Resolve an RxNorm or ATC code; an ATC code walks up to its group."""
        key = code.strip().upper() if system == ATC else code.strip()
        while key:
            found = self.drug_codes.get((system, key))
            if found or system != ATC:
                return found
            key = key[:-1]
        return None

    def lab_by_code(self, code: str) -> str | None:
        return self.lab_codes.get(code.strip())

    def concepts_in(self, text: str) -> tuple[Hit, ...]:
        return self.concept_text.find(text)

    def drugs_in(self, text: str) -> tuple[Hit, ...]:
        return self.drug_text.find(text)

    def drugs_said(self, text: str) -> tuple[Hit, ...]:
        """The drugs a free text (a finding, not a medication list) names, ambiguous words only in a drug context."""
        hits = self.drug_text.find(text)
        if not self.ambiguous_drugs or not any(hit.phrase in self.ambiguous_drugs for hit in hits):
            return hits
        return tuple(h for h in hits if h.phrase not in self.ambiguous_drugs or drug_context_anywhere(text, h.phrase))

    def drug_spans(self, text: str, words: Words | None = None) -> tuple[Span, ...]:
        """The drugs a note names, with their offsets; ambiguous words only in a drug context."""
        spans = self.drug_text.spans(words or Words(text))
        return tuple(s for s in spans if s.phrase not in self.ambiguous_drugs or drug_context(text, s.start, s.end))

    def lab_in(self, text: str) -> str | None:
        """Return the lab a display names: the whole text first, then its longest mention.

        The longest, so that "albumin-corrected calcium" is corrected calcium, not albumin.
        """
        exact = self.lab_text.exact(text)
        if exact:
            return exact[0]
        hits = [h for h in self.lab_text.find(text) if not h.negated]
        return max(hits, key=lambda h: len(h.phrase.split())).id if hits else None


# Abbreviations clinicians write for a word inside a test's name ("VGKC Ab positive", "anti-SRP Abs").
_ANTIBODY = re.compile(r"\bantibod(?:y|ies)\b", re.IGNORECASE)


def _written_forms(phrase: str) -> tuple[str, ...]:
    """Return a phrase and its abbreviated forms."""
    if not _ANTIBODY.search(phrase):
        return (phrase,)
    return (phrase, _ANTIBODY.sub("ab", phrase), _ANTIBODY.sub("abs", phrase))


def _phrases(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ident, phrases in entries:
        for phrase in phrases:
            out.setdefault(phrase, []).append(ident)
    return out
