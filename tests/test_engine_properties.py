"""Properties of the engine on generated contexts: bounded, deterministic, order-free, monotone."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spasmdx.batch.synth import Synthesizer, synthesize
from spasmdx.rules import loader
from spasmdx.rules.composites import leaves
from spasmdx.rules.concept_is import ConceptIs
from spasmdx.rules.engine import assess
from spasmdx.rules.model import Calibration
from spasmdx.rules.resolve import resolve
from spasmdx.schemas.request import ContextSchema

KB = loader.load()
# The naive score, before calibration: evidence for a cause never lowers that score.  The displayed
# probability is conditioned on the complaint having an explanation, so evidence that also brings in a
# stronger cause can lower another's shown share (explaining away), as it should.
NAIVE = dataclasses.replace(KB, calibration=Calibration())
SCHEMA = ContextSchema()
FINDINGS = sorted(c.name for c in KB.concepts.values() if c.kind == "finding")
CONDITIONS = sorted(c.name for c in KB.concepts.values() if c.kind == "condition")
DRUGS = sorted(i.name for i in KB.ingredients.values())
LABS = sorted((lab.name, lab.unit) for lab in KB.labs.values() if lab.conversions)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finding = st.one_of(
    st.sampled_from(FINDINGS),
    st.builds(lambda name, present: {"display": name, "present": present}, st.sampled_from(FINDINGS), st.booleans()),
)
medication = st.builds(
    lambda name, status: {"display": name, "status": status},
    st.sampled_from(DRUGS),
    st.sampled_from(["active", "stopped"]),
)
lab = st.builds(
    lambda named, value: {"display": named[0], "value": value, "unit": named[1]},
    st.sampled_from(LABS),
    st.floats(0, 5000, allow_nan=False),
)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "patient": st.fixed_dictionaries(
            {}, optional={"age": st.integers(18, 95), "sex": st.sampled_from(["female", "male"])}
        ),
        "findings": st.lists(finding, max_size=6),
        "medications": st.lists(medication, max_size=3),
        "conditions": st.lists(st.sampled_from(CONDITIONS), max_size=2),
        "labs": st.lists(lab, max_size=4),
    },
)


def run(context):
    return assess(KB, SCHEMA.load(context), limit=50)


def summary(result):
    return (
        [(c["id"], c["probability"]) for c in result["differential"]],
        sorted(a["id"] for a in result["alerts"]),
        sorted(p["id"] for p in result["pitfalls"]),
    )


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
    shuffled = {
        key: (rng.sample(value, len(value)) if isinstance(value, list) else value) for key, value in context.items()
    }
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
        not any(isinstance(leaf, ConceptIs) for leaf in leaves(r.when)) for r in KB.causes[cause_id].evidence
    )


@SETTINGS
@given(contexts, st.sampled_from(PAIRS))
def test_adding_a_supporting_finding_never_lowers_its_cause(context, pair):
    cause_id, name = pair
    before = {c["id"]: c["probability"] for c in assess(NAIVE, SCHEMA.load(context), limit=50)["differential"]}
    more = {**context, "findings": [*context.get("findings", []), name]}
    after = {c["id"]: c["probability"] for c in assess(NAIVE, SCHEMA.load(more), limit=50)["differential"]}
    if cause_id in before:
        assert after.get(cause_id, 0) >= before[cause_id]


# The compiled predicates (rules/program.py) must answer exactly as the predicates themselves:
# every rule, requirement and flag of the knowledge base, on generated and synthetic contexts.


def _all_predicates():
    for cause in KB.causes.values():
        yield from (rule.when for rule in cause.evidence)
        yield from cause.requires
    yield from (flag.when for flag in (*KB.alerts.values(), *KB.pitfalls.values()))


PREDICATES = list(_all_predicates())
COMPILED = [(p, p.compile(), p.reach()) for p in PREDICATES]


def _check_reach(predicate, reach, answer, present):
    """What the key analysis promises: quiet means unknown without its keys; needs, not True without them."""
    if reach.quiet and present.isdisjoint(reach.keys):
        assert answer == (None, ()), predicate
    if reach.needs is not None and present.isdisjoint(reach.needs):
        assert answer[0] is not True, predicate


def _check_compiled(context):
    facts = resolve(KB, SCHEMA.load(context)).facts
    present = facts.present
    for predicate, compiled, reach in COMPILED:
        answer = predicate.evaluate(facts)
        assert compiled(facts) == answer, predicate
        assert type(answer[0]) in (bool, type(None)), predicate
        _check_reach(predicate, reach, answer, present)


@SETTINGS
@given(contexts)
def test_compiled_predicates_answer_as_the_predicates_do(context):
    _check_compiled(context)


def test_compiled_predicates_on_synthetic_cases_with_repeated_facts():
    # Synthetic cases reach deep into the rules; doubling their items with the opposite presence
    # and status exercises the paths where a concept, drug or lab is stated more than once.
    flipped_status = {"active": "stopped", "stopped": "active"}
    for case in synthesize(KB, 300, seed=7):
        context = case["context"]
        _check_compiled(context)
        doubled = dict(context)
        for section in ("findings", "conditions"):
            items = [i if isinstance(i, dict) else {"display": i} for i in context.get(section, [])]
            doubled[section] = items + [{**i, "present": not i.get("present", True)} for i in items]
        meds = context.get("medications", [])
        doubled["medications"] = meds + [
            {**m, "status": flipped_status.get(m.get("status", "active"), "active")}
            for m in meds
            if isinstance(m, dict)
        ]
        doubled["labs"] = [*context.get("labs", []), *context.get("labs", [])]
        _check_compiled(doubled)


def _leaf_contexts(predicate, rng, synthesizer, count):
    """Contexts that state each leaf of `predicate` not at all, once or twice, present or absent."""
    for _ in range(count):
        context = {
            "patient": {"age": rng.randint(18, 90), "sex": rng.choice(("female", "male"))},
            "findings": [],
            "conditions": [],
            "medications": [],
            "labs": [],
        }
        for leaf in leaves(predicate):
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                synthesizer.realise(leaf, context)
        for section in ("findings", "conditions"):
            context[section] = [
                {"display": i if isinstance(i, str) else i["display"], "present": rng.random() < 0.5}
                for i in context[section]
            ]
        for item in context["medications"]:
            item["status"] = rng.choice(("active", "stopped", "not-taken"))
        for item in context["labs"]:
            item["value"] = round(item["value"] * rng.choice((0.3, 0.9, 1.0, 1.1, 3.0)), 3)
        if not context["medications"] and rng.random() < 0.5:
            del context["medications"]  # no list at all: a drug's absence is then unknown
        yield context


def test_compiled_predicates_on_every_combination_of_their_own_facts():
    rng = random.Random(11)
    synthesizer = Synthesizer(KB, 11)
    for predicate, compiled, reach in COMPILED:
        for context in _leaf_contexts(predicate, rng, synthesizer, 12):
            facts = resolve(KB, SCHEMA.load(context)).facts
            answer = predicate.evaluate(facts)
            assert compiled(facts) == answer, (predicate, context)
            _check_reach(predicate, reach, answer, facts.present)
