"""Properties of the engine on generated contexts: bounded, deterministic, order-free, monotone."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spasmdx.rules.engine import assess
from spasmdx.rules.composites import leaves
from spasmdx.rules.predicates import ConceptIs
from spasmdx.schemas import knowledge
from spasmdx.schemas.request import ContextSchema

KB = knowledge.load()
SCHEMA = ContextSchema()
FINDINGS = sorted(c.name for c in KB.concepts.values() if c.kind == "finding")
CONDITIONS = sorted(c.name for c in KB.concepts.values() if c.kind == "condition")
DRUGS = sorted(i.name for i in KB.ingredients.values())
LABS = sorted((lab.name, lab.unit) for lab in KB.labs.values() if lab.conversions)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finding = st.one_of(st.sampled_from(FINDINGS),
                    st.builds(lambda name, present: {"display": name, "present": present},
                              st.sampled_from(FINDINGS), st.booleans()))
medication = st.builds(lambda name, status: {"display": name, "status": status},
                       st.sampled_from(DRUGS), st.sampled_from(["active", "stopped"]))
lab = st.builds(lambda named, value: {"display": named[0], "value": value, "unit": named[1]},
                st.sampled_from(LABS), st.floats(0, 5000, allow_nan=False))
contexts = st.fixed_dictionaries({}, optional={
    "patient": st.fixed_dictionaries({}, optional={"age": st.integers(18, 95), "sex": st.sampled_from(["female", "male"])}),
    "findings": st.lists(finding, max_size=6),
    "medications": st.lists(medication, max_size=3),
    "conditions": st.lists(st.sampled_from(CONDITIONS), max_size=2),
    "labs": st.lists(lab, max_size=4),
})


def run(context):
    return assess(KB, SCHEMA.load(context), limit=50)


def summary(result):
    return ([(c["id"], c["probability"]) for c in result["differential"]],
            sorted(a["id"] for a in result["alerts"]), sorted(p["id"] for p in result["pitfalls"]))


@SETTINGS
@given(contexts)
def test_every_probability_lies_in_0_1_and_ranks_follow_it(context):
    result = run(context)
    probabilities = [c["probability"] for c in result["differential"]]
    assert all(0 <= p <= 1 for p in probabilities)
    assert probabilities == sorted(probabilities, reverse=True)


@SETTINGS
@given(contexts)
def test_the_same_input_gives_the_same_output(context):
    assert json.dumps(run(context), sort_keys=True) == json.dumps(run(context), sort_keys=True)


@SETTINGS
@given(contexts, st.randoms(use_true_random=False))
def test_the_order_of_the_inputs_does_not_matter(context, rng):
    shuffled = {key: (rng.sample(value, len(value)) if isinstance(value, list) else value)
                for key, value in context.items()}
    assert summary(run(shuffled)) == summary(run(context))


def supporting_findings(cause_id):
    """Findings that appear in a cause only in rules that raise it when present."""
    uses: dict[str, list[float]] = {}
    for rule in KB.causes[cause_id].evidence:
        for leaf in leaves(rule.when):
            if isinstance(leaf, ConceptIs):
                uses.setdefault(leaf.concept, []).append(rule.lr)
    return sorted(KB.concepts[c].name for c, lrs in uses.items() if min(lrs) > 1 and KB.concepts[c].kind == "finding")


PAIRS = [(cause, finding) for cause in sorted(KB.causes) for finding in supporting_findings(cause)]


@pytest.mark.parametrize("cause_id", sorted(KB.causes))
def test_some_findings_support_each_cause(cause_id):
    assert supporting_findings(cause_id) or any(
        not any(isinstance(leaf, ConceptIs) for leaf in leaves(r.when)) for r in KB.causes[cause_id].evidence)


@SETTINGS
@given(contexts, st.sampled_from(PAIRS))
def test_adding_a_supporting_finding_never_lowers_its_cause(context, pair):
    cause_id, name = pair
    before = {c["id"]: c["probability"] for c in run(context)["differential"]}
    more = {**context, "findings": [*context.get("findings", []), name]}
    after = {c["id"]: c["probability"] for c in run(more)["differential"]}
    if cause_id in before:
        assert after.get(cause_id, 0) >= before[cause_id]
