"""The knowledge base is data, validated when it loads: a bad rule stops start-up, naming where."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys

import pytest
import yaml

from spasmdx.rules import layout, loader, schema
from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.model import CATEGORIES, LR_MAX, LR_MIN, PRIOR_TIERS, SEVERITIES, URGENCIES

CATALOGUE_SLICE = {
    "statin_myopathy",
    "statin_imnm",
    "steroid_myopathy",
    "checkpoint_inhibitor_myositis",
    "hypokalemia",
    "hypomagnesemia",
    "hypocalcemia",
    "hypothyroid_myopathy",
    "ms_spasticity",
    "als",
    "benign_fasciculation_syndrome",
    "peripheral_artery_disease",
}


@pytest.fixture()
def kb_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    return target


def edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_knowledge_base_loads_with_the_first_slice(kb):
    assert set(kb.causes) >= CATALOGUE_SLICE
    assert {c.category for c in kb.causes.values()} == {
        "drug-induced",
        "metabolic",
        "neurological",
        "rheumatological",
        "vascular",
        "benign",
    }


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


@pytest.mark.parametrize(
    "change,where,message",
    [
        pytest.param(
            lambda d: d[0]["evidence"][0].update(when={"finding": "no_such_finding"}),
            "evidence[0]",
            "unknown finding 'no_such_finding'",
            id="unknown-fact",
        ),
        pytest.param(
            lambda d: d[0]["evidence"][0].pop("source"),
            "evidence[0].source",
            "Missing data",
            id="weight-without-source",
        ),
        pytest.param(
            lambda d: d[0]["evidence"][0].update(source=["nobody_2099"]),
            "evidence[0]",
            "unknown reference 'nobody_2099'",
            id="unknown-reference",
        ),
        pytest.param(lambda d: d.append(dict(d[0])), "", "duplicate cause id", id="duplicate-id"),
        pytest.param(
            lambda d: d[0]["evidence"][0].update(when={"lab": "potassium", "value": {"max": 3}}),
            "evidence[0].when.unit",
            "needs its unit",
            id="threshold-without-unit",
        ),
        pytest.param(
            lambda d: d[0]["evidence"][0].update(when={"lab": "potassium", "value": {"max": 3}, "unit": "furlong"}),
            "evidence[0].when.unit",
            "not in the conversions",
            id="threshold-unit-unknown",
        ),
        pytest.param(
            lambda d: d[0]["evidence"][0].update(lr=500), "evidence[0].lr", "likelihood ratio", id="lr-out-of-range"
        ),
        pytest.param(
            lambda d: d[0]["evidence"][0].update(when={"symptom": "x"}),
            "evidence[0].when",
            "unknown predicate",
            id="unknown-predicate",
        ),
    ],
)
def test_a_bad_rule_stops_loading_and_names_file_and_key(kb_copy, change, where, message):
    path = first_cause_file(kb_copy)
    edit(path, change)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    text = str(caught.value)
    assert message in text and where in text
    assert path.name in text or "cause " in text


def test_a_flag_naming_an_unknown_cause_is_refused(kb_copy):
    edit(kb_copy / "alerts.yaml", lambda d: d[0].update(cause_ids=["no_such_cause"]))
    with pytest.raises(KnowledgeError, match="unknown cause 'no_such_cause'"):
        loader.load(kb_copy)


def test_a_missing_file_is_named(kb_copy):
    (kb_copy / "pitfalls.yaml").unlink()
    with pytest.raises(KnowledgeError, match="pitfalls.yaml: file is missing"):
        loader.load(kb_copy)


def test_a_lab_without_its_canonical_unit_is_refused(kb_copy):
    edit(kb_copy / "vocabulary" / "derived_labs.yaml", lambda d: d[0]["conversions"].update({d[0]["unit"]: 2}))
    with pytest.raises(KnowledgeError, match="bun_creatinine_ratio: conversions must map its canonical unit"):
        loader.load(kb_copy)


def test_loading_the_knowledge_base_imports_neither_flask_nor_marshmallow():
    code = (
        "import sys; from spasmdx.rules import loader; loader.load(); "
        "print(sorted(m for m in ('flask', 'marshmallow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_schema_repeats_the_models_enumerations_and_likelihood_ratio_range():
    files, defs = schema.document()["files"], schema.document()["$defs"]
    cause = files["causes"]["items"]["properties"]
    assert tuple(cause["category"]["enum"]) == CATEGORIES
    assert tuple(cause["urgency"]["enum"]) == URGENCIES
    assert tuple(cause["prior"]["enum"]) == tuple(PRIOR_TIERS)
    assert tuple(files["alerts"]["items"]["properties"]["severity"]["enum"]) == SEVERITIES
    assert (defs["lr"]["minimum"], defs["lr"]["maximum"]) == (LR_MIN, LR_MAX)
    assert defs["lr"]["errorMessage"] == f"a likelihood ratio must lie in [{LR_MIN}, {LR_MAX}]"


def test_optional_keys_take_their_defaults(kb_copy):
    edit(kb_copy / layout.FINDINGS, lambda d: d.append({"id": "bare_finding", "kind": "finding", "name": "Bare"}))
    edit(kb_copy / layout.PITFALLS, lambda d: d[0].pop("cause_ids"))
    kb = loader.load(kb_copy)
    assert kb.concepts["bare_finding"].synonyms == () and kb.concepts["bare_finding"].snomed == ()
    assert next(iter(kb.pitfalls.values())).cause_ids == ()


@pytest.mark.parametrize(
    "file,change,where,message",
    [
        pytest.param(
            layout.REFERENCES, lambda d: d[0].update(colour="red"), "[0].colour", "Unknown field", id="unknown-key"
        ),
        pytest.param(
            layout.REFERENCES,
            lambda d: d[0].update(url="not a web address"),
            "[0].url",
            "not a valid URL",
            id="bad-url",
        ),
        pytest.param(
            layout.FINDINGS, lambda d: d[0].update(id="Muscle Cramp"), "[0].id", "lower_snake_case", id="bad-id"
        ),
        pytest.param(
            layout.FINDINGS,
            lambda d: d[0].update(patterns=["(unclosed"]),
            "[0] muscle_cramp.patterns[0]",
            "does not compile",
            id="bad-pattern",
        ),
        pytest.param(
            layout.LABS,
            lambda d: d[0]["conversions"].update({"mg/dL": 0}),
            "[0].conversions.mg/dL",
            "less than or equal to the minimum",
            id="zero-conversion-factor",
        ),
        pytest.param(
            layout.ALERTS, lambda d: d[0].update(severity="loud"), "[0].severity", "loud", id="unknown-severity"
        ),
        pytest.param(
            layout.PITFALLS,
            lambda d: d[0].update(severity="critical"),
            "[0].severity",
            "Unknown field",
            id="pitfall-with-severity",
        ),
        pytest.param(layout.KNOWLEDGE, lambda d: d.update(version="next"), "version", "YEAR.MONTH.N", id="bad-version"),
        pytest.param(
            layout.REFERENCES,
            lambda d: d[1].update(url=datetime.date(2026, 11, 1)),
            "[1].url",
            "not plain data",
            id="yaml-date",
        ),
    ],
)
def test_a_file_of_the_wrong_shape_stops_loading_and_names_file_and_key(kb_copy, file, change, where, message):
    edit(kb_copy / file, change)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    text = str(caught.value)
    assert text.startswith(f"{file}: ") and f"{where}: " in text and message in text


def move(root, source, target, ident):
    """Move the entry `ident` from one knowledge-base file to the end of another."""
    rows = yaml.safe_load((root / source).read_text())
    entry = next(row for row in rows if row["id"] == ident)
    rows.remove(entry)
    (root / source).write_text(yaml.safe_dump(rows, sort_keys=False))
    path = root / target
    path.write_text((path.read_text() if path.exists() else "") + yaml.safe_dump([entry], sort_keys=False))


@pytest.mark.parametrize(
    "source,target,ident,key,message",
    [
        pytest.param(
            "causes/metabolic.yaml",
            "causes/vascular.yaml",
            "hypokalemia",
            "category",
            "only vascular causes belong here; this metabolic cause goes in causes/metabolic.yaml",
            id="cause-under-another-category",
        ),
        pytest.param(
            layout.CONDITIONS,
            layout.FINDINGS,
            "cerebral_palsy",
            "kind",
            "only findings belong here; this condition goes in vocabulary/conditions.yaml",
            id="condition-among-findings",
        ),
        pytest.param(
            layout.FINDINGS,
            layout.CONDITIONS,
            "muscle_cramp",
            "kind",
            "only conditions belong here; this finding goes in vocabulary/findings.yaml",
            id="finding-among-conditions",
        ),
        pytest.param(
            layout.LABS,
            layout.DERIVED_LABS,
            "potassium",
            "loinc",
            "a derived lab is computed, never sent",
            id="sent-lab-among-derived-labs",
        ),
    ],
)
def test_a_misplaced_entry_stops_loading_and_names_file_and_key(kb_copy, source, target, ident, key, message):
    move(kb_copy, source, target, ident)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    assert caught.value.where.startswith(f"{target}: [") and caught.value.where.endswith(f"] {ident}.{key}")
    assert message in caught.value.message


@pytest.mark.parametrize(
    "name", ["causes/metabolic_2.yaml", "causes/infectious.yaml", "references_neuro.yaml", "vocabulary/clinical.yaml"]
)
def test_a_file_the_layout_has_no_place_for_is_refused(kb_copy, name):
    move(kb_copy, "causes/metabolic.yaml", name, "hypokalemia")
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    assert caught.value.where == name and "not a knowledge-base file" in caught.value.message


def test_every_file_holds_only_what_its_name_says(kb):
    root = loader.default_path()
    for name, category in layout.CAUSE_FILES.items():
        ids = [row["id"] for row in yaml.safe_load((root / name).read_text())]
        assert ids and all(kb.causes[i].category == category for i in ids), name
    for name, kind in ((layout.FINDINGS, "finding"), (layout.CONDITIONS, "condition")):
        assert all(row["kind"] == kind for row in yaml.safe_load((root / name).read_text())), name
    assert {c.category for c in kb.causes.values()} == set(CATEGORIES)
