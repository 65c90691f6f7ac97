"""The knowledge base is data, validated when it loads: a bad rule stops start-up, naming where."""
from __future__ import annotations

import shutil

import pytest
import yaml

from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.model import LR_MAX, LR_MIN
from spasmdx.schemas import knowledge

CATALOGUE_SLICE = {
    "statin_myopathy", "statin_imnm", "steroid_myopathy", "checkpoint_inhibitor_myositis", "hypokalemia",
    "hypomagnesemia", "hypocalcemia", "hypothyroid_myopathy", "ms_spasticity", "als",
    "benign_fasciculation_syndrome", "peripheral_artery_disease",
}


@pytest.fixture()
def kb_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(knowledge.default_path(), target)
    return target


def edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_knowledge_base_loads_with_the_first_slice(kb):
    assert CATALOGUE_SLICE <= set(kb.causes)
    assert {c.category for c in kb.causes.values()} == {
        "drug-induced", "metabolic", "neurological", "rheumatological", "vascular", "benign"}


def test_every_weight_threshold_and_flag_carries_a_known_source(kb):
    for cause in kb.causes.values():
        assert cause.references
        for rule in cause.evidence:
            assert rule.sources and all(s in kb.references for s in rule.sources)
            assert LR_MIN <= rule.lr <= LR_MAX
    for flag in [*kb.alerts.values(), *kb.pitfalls.values()]:
        assert flag.sources and all(s in kb.references for s in flag.sources)


def first_cause_file(root):
    return sorted((root / "causes").glob("*.yaml"))[0]


@pytest.mark.parametrize("change,where,message", [
    pytest.param(lambda d: d[0]["evidence"][0].update(when={"finding": "no_such_finding"}),
                 "evidence[0]", "unknown finding 'no_such_finding'", id="unknown-fact"),
    pytest.param(lambda d: d[0]["evidence"][0].pop("source"), "evidence[0].source", "Missing data",
                 id="weight-without-source"),
    pytest.param(lambda d: d[0]["evidence"][0].update(source=["nobody_2099"]), "evidence[0]",
                 "unknown reference 'nobody_2099'", id="unknown-reference"),
    pytest.param(lambda d: d.append(dict(d[0])), "", "duplicate cause id", id="duplicate-id"),
    pytest.param(lambda d: d[0]["evidence"][0].update(when={"lab": "potassium", "value": {"max": 3}}),
                 "evidence[0].when.unit", "needs its unit", id="threshold-without-unit"),
    pytest.param(lambda d: d[0]["evidence"][0].update(when={"lab": "potassium", "value": {"max": 3}, "unit": "furlong"}),
                 "evidence[0].when.unit", "not in the conversions", id="threshold-unit-unknown"),
    pytest.param(lambda d: d[0]["evidence"][0].update(lr=500), "evidence[0].lr", "likelihood ratio", id="lr-out-of-range"),
    pytest.param(lambda d: d[0]["evidence"][0].update(when={"symptom": "x"}), "evidence[0].when", "unknown predicate",
                 id="unknown-predicate"),
])
def test_a_bad_rule_stops_loading_and_names_file_and_key(kb_copy, change, where, message):
    path = first_cause_file(kb_copy)
    edit(path, change)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.load(kb_copy)
    text = str(caught.value)
    assert message in text and where in text
    assert path.name in text or "cause " in text


def test_a_flag_naming_an_unknown_cause_is_refused(kb_copy):
    edit(kb_copy / "alerts.yaml", lambda d: d[0].update(cause_ids=["no_such_cause"]))
    with pytest.raises(KnowledgeError, match="unknown cause 'no_such_cause'"):
        knowledge.load(kb_copy)


def test_a_missing_file_is_named(kb_copy):
    (kb_copy / "pitfalls.yaml").unlink()
    with pytest.raises(KnowledgeError, match="pitfalls.yaml: file is missing"):
        knowledge.load(kb_copy)


def test_a_lab_without_its_canonical_unit_is_refused(kb_copy):
    edit(kb_copy / "vocabulary" / "labs_derived.yaml", lambda d: d[0]["conversions"].update({"mmol/L": 2}))
    with pytest.raises(KnowledgeError, match="calcium_corrected: conversions must map its canonical unit"):
        knowledge.load(kb_copy)
