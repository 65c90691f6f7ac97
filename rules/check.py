"""Cross-checks of a loaded knowledge base: every name a rule uses must exist."""

from __future__ import annotations

from .composites import leaves
from .knowledge import KnowledgeBase
from .scores import SCORES


def check(kb: KnowledgeBase) -> list[str]:
    """Return one line per problem; an empty list means the knowledge base is sound."""
    problems: list[str] = []
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
        for i, definition in enumerate(cause.established):
            where = f"cause {cause.id}.established[{i}]"
            problems += _missing_refs(kb, where, definition.sources)
            problems += _unknown_names(kb, where, definition.when)
    for kind, flags in (("alert", kb.alerts), ("pitfall", kb.pitfalls)):
        for flag in flags.values():
            where = f"{kind} {flag.id}"
            problems += _missing_refs(kb, where, flag.sources)
            problems += _unknown_names(kb, where, flag.when)
            problems += [f"{where}: unknown cause '{c}'" for c in flag.cause_ids if c not in kb.causes]
    for ingredient in kb.ingredients.values():
        problems += [f"drug {ingredient.id}: unknown class '{c}'" for c in ingredient.classes if c not in kb.classes]
    problems += [f"drug id '{i}' is both a class and an ingredient" for i in kb.classes if i in kb.ingredients]
    held = {"causes": kb.causes, "pitfalls": kb.pitfalls, "alerts": kb.alerts}
    for kind, ids in kb.catalogue.items():
        problems += [
            f"catalogue {kind[:-1]} '{i}' is missing from the knowledge base" for i in ids if i not in held[kind]
        ]
    for lab in kb.labs.values():
        if lab.conversions and kb.units.factor(lab.id, lab.unit) != 1:
            problems.append(f"lab {lab.id}: conversions must map its canonical unit '{lab.unit}' to 1")
        for name, bounds in [("reference", lab.reference), *lab.reference_by_sex.items()]:
            if bounds.low is not None and bounds.high is not None and bounds.low >= bounds.high:
                problems.append(f"lab {lab.id}: {name} range low must be below high")
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
