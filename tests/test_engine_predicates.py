"""The predicate vocabulary: one class per type, one table, one key analysis, and what each promises."""

from __future__ import annotations

import pytest

from spasmdx import native
from spasmdx.batch.synth import Synthesizer
from spasmdx.rules import loader
from spasmdx.rules.composites import leaves
from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.facts import ConceptFact, Facts, LabResult, Mention
from spasmdx.rules.parsing import PREDICATE_TYPES, TYPES, parse
from spasmdx.rules.resolve import resolve
from spasmdx.schemas.request import ContextSchema

KB = loader.load()

# One valid example per head: every type of the table, written as the knowledge base writes it.
EXAMPLES = {
    "medication": {"medication": "statin", "exposure": "past"},
    "finding": {"finding": "muscle_cramp"},
    "condition": {"condition": "hypothyroidism"},
    "lab": {"lab": "potassium", "value": {"max": 3.5}, "unit": "mmol/L"},
    "score": {"score": "dechallenge", "min": 1},
    "age": {"age": {"min": 50}},
    "sex": {"sex": "female"},
    "pregnant": {"pregnant": True},
    "cause": {"cause": "als", "min_probability": 0.2},
    "all": {"all": [{"finding": "muscle_cramp"}, {"age": {"min": 50}}]},
    "any": {"any": [{"finding": "muscle_cramp"}, {"finding": "fasciculations"}]},
    "at_least": {"at_least": 2, "of": [{"finding": "muscle_cramp"}, {"measured": "ck"}, {"sex": "male"}]},
    "not": {"not": {"finding": "muscle_cramp"}},
    "none_of": {"none_of": [{"finding": "muscle_cramp"}, {"measured": "ck"}]},
    "measured": {"measured": "ck"},
}


def read(data):
    return parse(data, "causes/x.yaml: x.evidence[0].when", KB.units)


def test_the_table_names_every_head_of_every_type_once():
    assert set(EXAMPLES) == set(PREDICATE_TYPES)
    assert list(PREDICATE_TYPES) == [head for kind in TYPES for head in kind.HEADS]
    for head, kind in PREDICATE_TYPES.items():
        assert head in kind.HEADS[head], f"a '{head}' predicate must accept its own head"


def test_every_predicate_type_is_compiled_with_the_scoring_path():
    # They subclass the compiled Predicate, and an interpreted class cannot subclass a compiled one.
    assert {kind.__module__ for kind in TYPES} <= set(native.COMPILED)


@pytest.mark.parametrize("head", sorted(EXAMPLES))
def test_each_type_says_everything_about_itself(head):
    predicate = read(EXAMPLES[head])
    assert type(predicate) is PREDICATE_TYPES[head]
    facts = resolve(KB, ContextSchema().load({"findings": ["muscle cramps"], "patient": {"age": 60}})).facts
    assert predicate.compile()(facts) == predicate.evaluate(facts)
    reach = predicate.reach()
    assert reach.needs is None or reach.needs <= reach.keys
    assert predicate.describe(KB.name_of)
    assert isinstance(predicate.references(), set)
    asked = predicate.asks()
    assert asked is None or asked[0] in ("concept", "lab", "drug", "patient")
    context = {"patient": {"age": 40, "sex": "male"}, "findings": [], "conditions": [], "medications": [], "labs": []}
    Synthesizer(KB, 1).realise(predicate, context)  # writes what makes it hold, or leaves it to chance


@pytest.mark.parametrize(
    "data,where,message",
    [
        pytest.param([], "", "a predicate is a mapping such as {finding: muscle_cramp}", id="not-a-mapping"),
        pytest.param(
            {"symptom": "x"},
            "",
            "unknown predicate ['symptom']; known: ['age', 'all', 'any', 'at_least', "
            "'cause', 'condition', 'finding', 'lab', 'measured', 'medication', 'none_of', 'not', 'pregnant', "
            "'score', 'sex']",
            id="unknown-head",
        ),
        pytest.param(
            {"lab": "ck", "measured": "ck"},
            "",
            "unknown key(s) ['measured'] for a 'lab' predicate",
            id="first-head-in-table-order-wins",
        ),
        pytest.param(
            {"medication": "statin", "exposure": "x"},
            ".exposure",
            "must be one of ['current', 'ever', 'past']",
            id="bad-exposure",
        ),
        pytest.param(
            {"lab": "potassium"}, "", "a lab predicate takes exactly one of value, uln, status", id="lab-no-test"
        ),
        pytest.param(
            {"lab": "potassium", "value": {"max": 3}}, ".unit", "a lab threshold needs its unit", id="lab-no-unit"
        ),
        pytest.param(
            {"lab": "potassium", "value": {"max": 3}, "unit": "furlong"},
            ".unit",
            "unit 'furlong' is not in the conversions of lab 'potassium'",
            id="lab-bad-unit",
        ),
        pytest.param({"lab": "potassium", "uln": {"min": "a"}}, ".uln.min", "must be a number", id="bounds-not-number"),
        pytest.param(
            {"score": "x", "other": 2}, "", "unknown key(s) ['other'] for a 'score' predicate", id="score-key"
        ),
        pytest.param({"sex": "robot"}, ".sex", "must be female, male, other or unknown", id="bad-sex"),
        pytest.param(
            {"cause": "als", "min_probability": 1.5},
            ".min_probability",
            "must be a probability in (0, 1]",
            id="bad-probability",
        ),
        pytest.param({"all": []}, ".all", "must be a non-empty list of predicates", id="empty-all"),
        pytest.param(
            {"at_least": 3, "of": [{"finding": "a"}, {"finding": "b"}]},
            ".at_least",
            "must be a whole number between 1 and the number of parts",
            id="at-least-too-many",
        ),
        pytest.param(
            {"all": [{"any": [{"not": {"lab": "ck", "uln": {"min": "x"}}}]}]},
            ".all[0].any[0].not.uln.min",
            "must be a number",
            id="nested-path",
        ),
    ],
)
def test_a_bad_predicate_is_refused_naming_file_and_key(data, where, message):
    with pytest.raises(KnowledgeError) as caught:
        read(data)
    assert caught.value.where == "causes/x.yaml: x.evidence[0].when" + where
    assert caught.value.message == message


def facts_with(**sections):
    facts = Facts()
    for concept, present in sections.get("concepts", {}).items():
        facts.concepts[concept] = [ConceptFact(concept, present, Mention(concept, "findings[0]"))]
    for lab in sections.get("labs", ()):
        facts.labs[lab] = [LabResult(lab, 1.0, 0.5, 2.0, Mention(lab, "labs[0]"))]
    facts.medications_given = sections.get("medications_given", False)
    return facts


# The one key analysis (Reach): what each field promises, and where the three differ.


def test_quiet_predicates_are_unknown_without_any_of_their_keys():
    for data in (
        EXAMPLES["finding"],
        EXAMPLES["lab"],
        EXAMPLES["medication"],
        EXAMPLES["age"],
        EXAMPLES["all"],
        EXAMPLES["any"],
        EXAMPLES["not"],
    ):
        predicate = read(data)
        assert predicate.reach().quiet, data
        assert predicate.evaluate(facts_with()) == (None, ()), data


@pytest.mark.parametrize("head,answer", [("measured", False), ("none_of", True), ("cause", False)])
def test_predicates_that_answer_on_absence_are_not_quiet(head, answer):
    predicate = read(EXAMPLES[head])
    assert not predicate.reach().quiet
    assert predicate.evaluate(facts_with())[0] is answer


def test_a_drug_reads_the_medication_section_but_needs_only_itself():
    reach = read({"medication": "statin"}).reach()
    assert reach.keys == {"medication:statin", "section:medications"}
    assert reach.needs == {"medication:statin"}
    assert read({"medication": "statin"}).evaluate(facts_with(medications_given=True))[0] is False


def test_measured_needs_its_lab_though_it_answers_without_it():
    reach = read({"measured": "ck"}).reach()
    assert (reach.quiet, reach.needs) == (False, frozenset({"lab:ck"}))


def test_all_needs_the_fewest_keys_of_one_part_and_any_needs_every_parts_keys():
    both = read(
        {
            "all": [
                {"any": [{"finding": "muscle_cramp"}, {"finding": "fasciculations"}]},
                {"lab": "ck", "status": "high"},
            ]
        }
    )
    assert both.reach().needs == {"lab:ck"}
    assert both.reach().keys == {"concept:muscle_cramp", "concept:fasciculations", "lab:ck"}
    assert read(EXAMPLES["any"]).reach().needs == {"concept:muscle_cramp", "concept:fasciculations"}
    assert read({"any": [{"finding": "muscle_cramp"}, {"not": {"finding": "fasciculations"}}]}).reach().needs is None


@pytest.mark.parametrize("head", ["age", "sex", "not", "none_of", "cause"])
def test_demographics_absence_and_the_differential_narrow_nothing(head):
    assert read(EXAMPLES[head]).reach().needs is None


def test_not_holds_on_absence_so_it_needs_nothing_though_it_is_quiet():
    predicate = read({"not": {"finding": "muscle_cramp"}})
    assert predicate.reach().quiet and predicate.reach().needs is None
    assert predicate.evaluate(facts_with(concepts={"muscle_cramp": False}))[0] is True


def test_compiled_predicates_need_no_preparation_of_the_facts():
    # Facts.present is worked out when first read: nothing has to be called before a compiled predicate.
    predicate = read({"any": [{"finding": "muscle_cramp"}, {"finding": "fasciculations"}]})
    facts = facts_with(concepts={"muscle_cramp": True})
    assert predicate.compile()(facts) == (True, (Mention("muscle_cramp", "findings[0]"),))
    assert facts.present == {"concept:muscle_cramp"}


def test_a_realised_leaf_writes_the_facts_it_reads():
    synthesizer = Synthesizer(KB, 5)
    schema = ContextSchema()
    written = 0
    for cause in KB.causes.values():
        for rule in cause.evidence:
            for leaf in leaves(rule.when):
                context = {
                    "patient": {"age": 40, "sex": "male"},
                    "findings": [],
                    "conditions": [],
                    "medications": [],
                    "labs": [],
                }
                synthesizer.realise(leaf, context)
                if any(context[section] for section in ("findings", "conditions", "medications", "labs")):
                    written += 1
                    present = resolve(KB, schema.load(context)).facts.present
                    assert not present.isdisjoint(leaf.reach().keys), (leaf, context)
    assert written > 500
