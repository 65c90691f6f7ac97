"""The knowledge base holds the whole catalogue, and catalogue.yaml says what the contract says."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml
from conftest import ROOT

from spasmdx.rules import layout, loader
from spasmdx.rules.errors import KnowledgeError

CATALOGUE_MD = ROOT / "docs" / "knowledge-catalogue.md"
KINDS = ("causes", "pitfalls", "alerts")


def section(title: str) -> str:
    text = CATALOGUE_MD.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def ids_in(text: str) -> list[str]:
    return re.findall(r"^\| `([a-z0-9_]+)` \|", text, re.M)


def catalogue_yaml() -> dict[str, list[str]]:
    return yaml.safe_load((loader.default_path() / layout.CATALOGUE).read_text())


def test_catalogue_yaml_matches_the_catalogue_document():
    ours = catalogue_yaml()
    assert ours["causes"] == ids_in(section("Causes"))
    assert ours["pitfalls"] == ids_in(section("Pitfalls"))
    assert ours["alerts"] == ids_in(section("Alerts"))


def test_every_catalogue_id_is_in_the_knowledge_base(kb):
    ours = catalogue_yaml()
    for kind in KINDS:
        assert kb.catalogue[kind] == tuple(ours[kind])
        assert ours[kind] and len(set(ours[kind])) == len(ours[kind]), kind
    assert set(kb.catalogue["causes"]) <= set(kb.causes)
    assert set(kb.catalogue["pitfalls"]) <= set(kb.pitfalls)
    assert set(kb.catalogue["alerts"]) <= set(kb.alerts)


def test_each_cause_is_filed_under_the_category_its_catalogue_heading_names(kb):
    # "### Drug-induced", "### Metabolic, endocrine, nutritional": the first word is the category.
    headings = re.split(r"^### ", section("Causes"), flags=re.M)[1:]
    assert len(headings) == len(layout.CAUSE_FILES)
    for heading in headings:
        category = heading.split()[0].strip(",").lower()
        assert layout.cause_file(category) in layout.CAUSE_FILES, heading
        assert {kb.causes[i].category for i in ids_in(heading)} == {category}, heading


def test_a_missing_catalogue_id_fails_loading(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    path = target / layout.CATALOGUE
    path.write_text(path.read_text().replace("  - tetanus\n", "  - tetanus\n  - scurvy_cramps\n"))
    with pytest.raises(KnowledgeError, match="catalogue cause 'scurvy_cramps' is missing"):
        loader.load(target)


def test_every_cause_has_next_steps_references_and_evidence_against(kb):
    for cause in kb.causes.values():
        assert cause.next_steps and cause.references, cause.id
        against = [r for r in cause.evidence if r.lr < 1 or (r.lr_false is not None and r.lr_false < 1)]
        assert against, f"{cause.id} has nothing that argues against it"
