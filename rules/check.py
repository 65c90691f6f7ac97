"""Cross-checks of a loaded knowledge base: every name a rule uses must exist, every reference be followable."""

from __future__ import annotations

import re

from . import layout
from .composites import leaves
from .knowledge import KnowledgeBase
from .model import HAEMOLYSED_SAMPLE, Cause, Reference
from .predicates import Predicate
from .scores import SCORES

# What a clinician reads in a next step holds no rule syntax and no UCUM braces ("{1.73_m2}").
RULE_SYNTAX = re.compile(r"[{}<>=]|\bLR\b|\[IU\]")

# A citation that names a file instead of the work: a file name, "source article 3", or a
# hexadecimal file id such as 4835f79c0c25ce1d (letters and digits both, so no DOI or ISBN part).
_NAMES_A_FILE = re.compile(
    r"\.(?:txt|py|ya?ml|json|md|html?|pdf)\b"
    r"|\bsource article \d"
    r"|(?<![0-9a-f])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}(?![0-9a-f])",
    re.IGNORECASE,
)


def check(kb: KnowledgeBase) -> list[str]:
    """Return one line per problem; an empty list means the knowledge base is sound."""
    problems: list[str] = []
    worded: set[tuple[str, str]] = set()  # concepts and labs already checked for their words (each named once)
    for reference in kb.references.values():
        problems += _citation_problems(reference)
    for cause in kb.causes.values():
        problems += _missing_refs(kb, f"cause {cause.id}", cause.references)
        for i, predicate in enumerate(cause.requires):
            problems += _unknown_names(kb, f"cause {cause.id}.requires[{i}]", predicate)
        for i, rule in enumerate(cause.evidence):
            where = f"cause {cause.id}.evidence[{i}]"
            problems += _missing_refs(kb, where, rule.sources)
            problems += _unknown_names(kb, where, rule.when)
            if rule.lr_false is not None and not rule.reason_false:
                problems.append(f"{where}: lr_false needs reason_false, the words shown when it applies")
            problems += _unworded(kb, where, rule.when, worded)
        for i, definition in enumerate(cause.established):
            where = f"cause {cause.id}.established[{i}]"
            problems += _missing_refs(kb, where, definition.sources)
            problems += _unknown_names(kb, where, definition.when)
        problems += _next_steps(kb, cause)
    for kind, flags in (("alert", kb.alerts), ("pitfall", kb.pitfalls)):
        for flag in flags.values():
            where = f"{kind} {flag.id}"
            problems += _missing_refs(kb, where, flag.sources)
            problems += _unknown_names(kb, where, flag.when)
            problems += [f"{where}: unknown cause '{c}'" for c in flag.cause_ids if c not in kb.causes]
    for ingredient in kb.ingredients.values():
        problems += [f"drug {ingredient.id}: unknown class '{c}'" for c in ingredient.classes if c not in kb.classes]
    problems += [f"drug id '{i}' is both a class and an ingredient" for i in kb.classes if i in kb.ingredients]
    for concept in kb.concepts.values():
        unknown = [i for i in concept.answered_by if i not in kb.labs]
        problems += [f"{concept.kind} {concept.id}: answered_by names unknown lab '{i}'" for i in unknown]
        if concept.history not in ("current", "past") and concept.history not in kb.concepts:
            problems.append(f"{concept.kind} {concept.id}: history names unknown concept '{concept.history}'")
        if concept.family and concept.family not in kb.concepts:
            problems.append(f"{concept.kind} {concept.id}: family names unknown concept '{concept.family}'")
    for drug_class in kb.classes.values():
        unlisted = [w for w in drug_class.ambiguous if w not in drug_class.synonyms]
        problems += [f"drug class {drug_class.id}: ambiguous '{w}' is not one of its synonyms" for w in unlisted]
    for lab in kb.labs.values():
        problems += [f"lab {lab.id}: answered_by names unknown lab '{i}'" for i in lab.answered_by if i not in kb.labs]
    held = {"causes": kb.causes, "pitfalls": kb.pitfalls, "alerts": kb.alerts}
    for kind, ids in kb.catalogue.items():
        problems += [
            f"catalogue {kind[:-1]} '{i}' is missing from the knowledge base" for i in ids if i not in held[kind]
        ]
    if any(lab.if_haemolysed for lab in kb.labs.values()) and HAEMOLYSED_SAMPLE not in kb.concepts:
        problems.append(f"labs use if_haemolysed, but the finding '{HAEMOLYSED_SAMPLE}' that marks a sample is missing")
    for lab in kb.labs.values():
        if lab.if_haemolysed and kb.concepts.get(lab.if_haemolysed, None) is None:
            problems.append(f"lab {lab.id}.if_haemolysed: unknown finding '{lab.if_haemolysed}'")
        if lab.conversions and kb.units.factor(lab.id, lab.unit) != 1:
            problems.append(f"lab {lab.id}: conversions must map its canonical unit '{lab.unit}' to 1")
        for name, bounds in [("reference", lab.reference), *lab.reference_by_sex.items()]:
            if bounds.low is not None and bounds.high is not None and bounds.low >= bounds.high:
                problems.append(f"lab {lab.id}: {name} range low must be below high")
    return problems


def _unworded(kb: KnowledgeBase, where: str, predicate: Predicate, seen: set[tuple[str, str]]) -> list[str]:
    """A concept or lab a cause's evidence reads may be suggested as a next step: it needs its words.

    Each is named once, with its file, so that whoever merges new entries knows where to write them.
    """
    problems = []
    for part in leaves(predicate):
        asked = part.asks()
        if asked is None or asked in seen:
            continue
        seen.add(asked)
        namespace, ident = asked
        concept = kb.concepts.get(ident) if namespace == "concept" else None
        if concept is not None and not concept.ask:
            home = layout.FINDINGS if concept.kind == "finding" else layout.CONDITIONS
            problems.append(
                f"{home}: {concept.kind} {concept.id} has no `ask:` (the question a next step asks, "
                f"such as 'Is the calf swollen on one side?'); {where} may suggest it"
            )
        lab = kb.labs.get(ident) if namespace == "lab" else None
        if lab is not None and not lab.test:
            home = layout.LABS if lab.loinc else f"{layout.LABS} or {layout.DERIVED_LABS}"
            problems.append(
                f"{home}: lab {lab.id} has no `test:` (the test as a clinician orders it, such as "
                f"'TSH'); {where} may suggest it"
            )
    return problems


def _next_steps(kb: KnowledgeBase, cause: Cause) -> list[str]:
    problems = []
    for i, step in enumerate(cause.next_steps):
        where = f"cause {cause.id}.next_steps[{i}]"
        for ident in step.asks:
            if step.check:
                lab = kb.labs.get(ident)
                if lab is None:
                    problems.append(f"{where}: check names '{ident}', which is not a lab")
                elif not lab.test:
                    problems.append(f"{where}: lab {ident} has no `test:` to name it by")
            elif kb.asker.ask(ident) is None:
                problems.append(f"{where}: asks for '{ident}', not a lab, finding, condition or drug with its words")
        text = step.then if step.check else step.text
        if RULE_SYNTAX.search(text):
            problems.append(f"{where}: rule syntax or UCUM braces in {text!r}: write it as a clinician reads it")
    return problems


def _citation_problems(reference: Reference) -> list[str]:
    """A reference a clinician cannot follow: no address, or a citation of a file rather than a work."""
    where = f"{layout.REFERENCES}: {reference.id}"
    problems = []
    if not reference.url:
        problems.append(
            f"{where}.url: no DOI, PMID or URL; give https://doi.org/<doi>, "
            "https://pubmed.ncbi.nlm.nih.gov/<pmid>/ or the publisher's page"
        )
    named = _NAMES_A_FILE.search(reference.citation)
    if named:
        problems.append(
            f"{where}.citation: names a file ({named.group(0)!r}); cite the work by its authors or publisher, "
            "title and date"
        )
    return problems


def _missing_refs(kb: KnowledgeBase, where: str, ids: tuple[str, ...]) -> list[str]:
    return [f"{where}: unknown reference '{r}' (add it to references.yaml)" for r in ids if r not in kb.references]


def _unknown_names(kb: KnowledgeBase, where: str, predicate: object) -> list[str]:
    problems = []
    for part in leaves(predicate):  # type: ignore[arg-type]
        for namespace, ident in part.references():
            if not _known(kb, namespace, ident):
                problems.append(f"{where}: unknown {namespace} '{ident}'")
    return problems


def _known(kb: KnowledgeBase, namespace: str, ident: str) -> bool:
    if namespace == "drug":
        return ident in kb.ingredients or ident in kb.classes
    if namespace in ("finding", "condition"):
        concept = kb.concepts.get(ident)
        return concept is not None and concept.kind == namespace
    if namespace == "lab":
        return ident in kb.labs
    if namespace == "cause":
        return ident in kb.causes
    if namespace == "score":
        return ident in SCORES
    return False
