"""The order checks' knowledge (rules/data/orders.yaml): validated at load, cited, and pure."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from spasmdx.rules import loader
from spasmdx.rules.errors import KnowledgeError


@pytest.fixture()
def orders_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    return target


def edit(root, change):
    path = root / "orders.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def first_rule(data):
    return data["rules"][0]


@pytest.mark.parametrize(
    "change,message",
    [
        pytest.param(lambda d: first_rule(d).update(drug=["no_such_drug"]), "unknown drug 'no_such_drug'", id="drug"),
        pytest.param(
            lambda d: first_rule(d).update(source=["no_such_ref"]), "unknown reference 'no_such_ref'", id="ref"
        ),
        pytest.param(lambda d: first_rule(d).update(indicator="urgent"), "indicator", id="indicator"),
        pytest.param(
            lambda d: first_rule(d).update(message="{drug} with {patient}: no"), "placeholder", id="placeholder"
        ),
        pytest.param(lambda d: first_rule(d).update(suggest=["lower"]), "lower needs dose_above", id="lower"),
        pytest.param(lambda d: first_rule(d).update(message="{drug} over {cap}: no"), "need dose_above", id="cap"),
        pytest.param(
            lambda d: first_rule(d).update(record={"condition": "no_such"}), "unknown condition 'no_such'", id="record"
        ),
        pytest.param(lambda d: first_rule(d).update(record={"lab": "ck"}), "record", id="bad-predicate"),
        pytest.param(lambda d: first_rule(d).update(colour="red"), "Unknown field", id="unknown-key"),
        pytest.param(lambda d: d["alternatives"][0].update(drug="nothing"), "unknown drug 'nothing'", id="alternative"),
        pytest.param(lambda d: d["rules"].append(dict(first_rule(d))), "duplicate rule id", id="duplicate"),
    ],
)
def test_a_bad_order_rule_stops_loading_naming_the_file_and_key(orders_copy, change, message):
    edit(orders_copy, change)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(orders_copy)
    assert "orders.yaml" in str(caught.value) and message in str(caught.value)


def test_every_order_rule_cites_labelling_or_a_guideline_with_a_url(kb):
    assert kb.orders.rules
    for rule in kb.orders.rules:
        assert rule.sources and all(kb.references[r].url for r in rule.sources), rule.id


def test_the_order_check_is_pure_python_with_no_web_framework():
    code = "import sys; import spasmdx.rules.orders; print('flask' in sys.modules or 'marshmallow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
