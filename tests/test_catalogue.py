"""The knowledge base holds the whole catalogue, and catalogue.yaml says what the contract says."""
from __future__ import annotations

import re

import pytest
import yaml
from conftest import SHARED

from spasmdx.rules import loader

CATALOGUE_MD = SHARED / "design" / "knowledge-catalogue.md"


def ids_in_markdown(section: str) -> list[str]:
    text = CATALOGUE_MD.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"^\| `([a-z0-9_]+)` \|", text[start:end if end > 0 else None], re.M)


@pytest.mark.skipif(not CATALOGUE_MD.exists(), reason="the shared design folder is not beside the checkout")
def test_catalogue_yaml_matches_the_shared_catalogue():
    ours = yaml.safe_load((loader.default_path() / "catalogue.yaml").read_text())
    assert ours["causes"] == ids_in_markdown("Causes")
    assert ours["pitfalls"] == ids_in_markdown("Pitfalls")
    assert ours["alerts"] == ids_in_markdown("Alerts")


def test_every_catalogue_id_is_in_the_knowledge_base(kb):
    assert len(kb.catalogue["causes"]) == 44 and len(kb.catalogue["pitfalls"]) == 15 and len(kb.catalogue["alerts"]) == 10
    assert set(kb.catalogue["causes"]) <= set(kb.causes)
    assert set(kb.catalogue["pitfalls"]) <= set(kb.pitfalls)
    assert set(kb.catalogue["alerts"]) <= set(kb.alerts)


def test_a_missing_catalogue_id_fails_loading(tmp_path):
    import shutil

    from spasmdx.rules.errors import KnowledgeError

    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    path = target / "catalogue.yaml"
    path.write_text(path.read_text().replace("  - tetanus\n", "  - tetanus\n  - scurvy_cramps\n"))
    with pytest.raises(KnowledgeError, match="catalogue cause 'scurvy_cramps' is missing"):
        loader.load(target)


def test_every_cause_has_next_steps_references_and_evidence_against(kb):
    for cause in kb.causes.values():
        assert cause.next_steps and cause.references, cause.id
        against = [r for r in cause.evidence if r.lr < 1 or (r.lr_false is not None and r.lr_false < 1)]
        assert against, f"{cause.id} has nothing that argues against it"
