"""Where each part of the knowledge base lives, and what each file may hold.

Files go by topic: causes by category, vocabulary by kind, references in one place.  A file's
name says what is in it, and `belongs` holds every entry to that, so that a cause filed under
the wrong category or a condition among the findings stops loading, naming file and key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import KnowledgeError
from .model import CATEGORIES

KNOWLEDGE = "knowledge.yaml"
CATALOGUE = "catalogue.yaml"
REFERENCES = "references.yaml"
ALERTS = "alerts.yaml"
PITFALLS = "pitfalls.yaml"
FINDINGS = "vocabulary/findings.yaml"
CONDITIONS = "vocabulary/conditions.yaml"
LABS = "vocabulary/labs.yaml"
DERIVED_LABS = "vocabulary/derived_labs.yaml"
DRUGS = "vocabulary/drugs.yaml"
CONTEXT = "context.yaml"  # the cue lexicon of notes (rules/context.py)
CAUSES = "causes"

# Findings and conditions share one id namespace, read in this order.
CONCEPT_FILES = (FINDINGS, CONDITIONS)
LAB_FILES = (LABS, DERIVED_LABS)
FIXED_FILES = (KNOWLEDGE, CATALOGUE, REFERENCES, ALERTS, PITFALLS, *CONCEPT_FILES, *LAB_FILES, DRUGS, CONTEXT)


def cause_file(category: str) -> str:
    """The file that holds the causes of a category: causes/drug_induced.yaml for drug-induced."""
    return f"{CAUSES}/{category.replace('-', '_')}.yaml"


CAUSE_FILES: Mapping[str, str] = {cause_file(category): category for category in CATEGORIES}


def cause_files(root: Path) -> list[str]:
    """The cause files present, in the order causes are read: by file name, which is by category.

    That order, and each file's from top to bottom, is the knowledge base's order of causes: it
    breaks ties between equal probabilities and orders GET /v1/knowledge-base.
    """
    return sorted(f"{CAUSES}/{path.name}" for path in (root / CAUSES).glob("*.yaml"))


def check_files(root: Path) -> None:
    """Refuse a YAML file the layout has no place for (a slice such as causes/metabolic_2.yaml)."""
    known = {*FIXED_FILES, *CAUSE_FILES}
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).as_posix()
        if name not in known:
            raise KnowledgeError(
                name,
                "not a knowledge-base file: causes go in causes/<category>.yaml "
                f"({', '.join(sorted(CAUSE_FILES))}); the other files are "
                f"{', '.join(FIXED_FILES)} (rules/data/FORMAT.md)",
            )


def _concept_of(kind: str) -> Callable[[Mapping[str, Any]], tuple[str, str] | None]:
    def rule(entry: Mapping[str, Any]) -> tuple[str, str] | None:
        if entry["kind"] != kind:
            other = CONDITIONS if entry["kind"] == "condition" else FINDINGS
            return "kind", f"only {kind}s belong here; this {entry['kind']} goes in {other}"
        return None

    return rule


def _derived_lab(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    if entry["loinc"]:
        return "loinc", f"a derived lab is computed, never sent, so it has no LOINC code; a sent one goes in {LABS}"
    return None


def _cause_of(category: str) -> Callable[[Mapping[str, Any]], tuple[str, str] | None]:
    def rule(entry: Mapping[str, Any]) -> tuple[str, str] | None:
        if entry["category"] != category:
            return "category", (
                f"only {category} causes belong here; this {entry['category']} cause goes in "
                f"{cause_file(entry['category'])}"
            )
        return None

    return rule


# file -> what each of its entries must be: None if it belongs, else (key, why not).
_RULES: Mapping[str, Callable[[Mapping[str, Any]], tuple[str, str] | None]] = {
    FINDINGS: _concept_of("finding"),
    CONDITIONS: _concept_of("condition"),
    DERIVED_LABS: _derived_lab,
    **{name: _cause_of(category) for name, category in CAUSE_FILES.items()},
}


def belongs(name: str, entries: Sequence[Mapping[str, Any]]) -> None:
    """Raise KnowledgeError naming file and key for the first entry that does not belong in `name`."""
    rule = _RULES.get(name)
    if rule is None:
        return
    for i, entry in enumerate(entries):
        wrong = rule(entry)
        if wrong:
            key, why = wrong
            raise KnowledgeError(f"{name}: [{i}] {entry['id']}.{key}", why)
