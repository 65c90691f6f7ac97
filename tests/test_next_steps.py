"""Next steps read as a clinician writes them and never ask for what the case already answers."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from spasmdx.batch.synth import Synthesizer
from spasmdx.rules import loader
from spasmdx.rules.composites import leaves
from spasmdx.rules.concept_is import ConceptIs
from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.model import IN_PLAY_LR
from spasmdx.rules.resolve import resolve
from spasmdx.rules.suggest import Ask, Step
from spasmdx.schemas.request import ContextSchema

RULE_SYNTAX = re.compile(r"[{}<>=]|\bLR\b|\b(yes|no)$|_|\[IU\]|\bug/L")  # predicate text, UCUM, ids
PATIENT = {"age": 50, "sex": "female"}


def by_id(result: dict, cause_id: str) -> dict | None:
    return next((c for c in result["differential"] if c["id"] == cause_id), None)


def in_play(kb, assess, cause) -> dict[str, Any]:
    """The fewest facts that put a cause in play: its defining requirement and one pointing rule."""
    synthesizer = Synthesizer(kb, seed=7)
    pointing = [r for r in cause.evidence if r.lr >= IN_PLAY_LR]
    for requirement in [*cause.requires, None] if cause.requires else [None]:
        for rule in pointing:
            context: dict[str, Any] = {"patient": dict(PATIENT), "findings": [], "medications": [], "conditions": []}
            context["labs"] = []
            if requirement is not None:
                synthesizer.realise(requirement, context)
            synthesizer.realise(rule.when, context)
            context = {k: v for k, v in context.items() if v}
            if by_id(assess(context, limit=50), cause.id):
                return context
    raise AssertionError(f"no context puts {cause.id} in play")


def rich(kb, context: dict[str, Any], cause) -> dict[str, Any]:
    """The same case with a medication list, every lab measured and every finding of the cause stated."""
    out = {k: (list(v) if isinstance(v, list) else dict(v)) for k, v in context.items()}
    out.setdefault("medications", [])  # a list sent: every drug it lacks is answered
    stated = {c.concept for r in cause.evidence for c in leaves(r.when) if isinstance(c, ConceptIs)}
    words = " ".join(str(item) for section in ("findings", "conditions") for item in out.get(section, []))
    words += " ".join(kb.concepts[c].name for c in resolve(kb, ContextSchema().load(context)).facts.concepts)
    for concept_id in sorted(stated):
        concept = kb.concepts[concept_id]
        if concept.name in words:
            continue
        section = "conditions" if concept.kind == "condition" else "findings"
        synonym = concept.synonyms[0] if concept.synonyms else concept.name
        out.setdefault(section, []).append({"display": synonym, "present": False})
    given = {str(lab.get("display")) for lab in out.get("labs", [])}
    for lab in kb.labs.values():
        if lab.conversions and lab.name not in given and lab.reference.high is not None:
            low = lab.reference.low or 0.0
            # A value outside every rule's band still answers "measure it".
            out.setdefault("labs", []).append(
                {"display": lab.name, "value": round((low + lab.reference.high) / 2, 3), "unit": lab.unit}
            )
    return out


def check_step(kb, step: str, context: dict[str, Any]) -> None:
    assert not RULE_SYNTAX.search(step), step
    # At most two alternatives: "A or B", never "A or B or C", in any clause.
    for clause in re.split(r"[;.?]", step):
        assert len(re.findall(r"\bor\b", clause)) <= 1, step
    # Nothing said twice: "troponin or troponin", the same question in one step.
    assert not re.search(r"^Check (.+) or \1$", step), step
    sentences = [x for x in re.split(r"(?<=[?.]) ", step) if x]
    assert len(sentences) == len(set(sentences)), step
    # What the case answers, as the engine reads the case.
    facts = resolve(kb, ContextSchema().load(context)).facts
    for lab_id in facts.labs:
        test = kb.labs[lab_id].test
        if test and step.startswith("Check "):
            listed = rf"(^Check |, | and | or ){re.escape(test)}(,| and | or |\.|$| if| to| only| \()"
            assert not re.search(listed, step), (lab_id, step)
    for concept in kb.concepts.values():
        if concept.ask and (concept.id in facts.concepts or any(i in facts.labs for i in concept.answered_by)):
            assert concept.ask not in step, (concept.id, step)
    if facts.medications_given:
        assert "Is the patient taking" not in step, step
    if facts.sex == "male" or facts.pregnant is not None:
        assert "pregnant" not in step, step


@pytest.fixture(scope="module")
def cases(kb, assess):
    return {cause.id: in_play(kb, assess, cause) for cause in kb.causes.values()}


@pytest.mark.parametrize("richness", ["empty", "rich"])
def test_every_cause_reads_its_next_steps_in_clinical_words(kb, assess, cases, richness):
    for cause in kb.causes.values():
        context = cases[cause.id] if richness == "empty" else rich(kb, cases[cause.id], cause)
        entry = by_id(assess(context, limit=50), cause.id)
        if entry is None:  # the rich case may argue a cause out of play; the empty one never does
            assert richness == "rich", cause.id
            continue
        assert entry["next_steps"], cause.id
        for step in entry["next_steps"]:
            check_step(kb, step, context)


def test_an_empty_case_is_offered_questions_and_a_rich_one_fewer(kb, assess, cases):
    shorter = 0
    for cause in kb.causes.values():
        empty = by_id(assess(cases[cause.id], limit=50), cause.id)
        full = by_id(assess(rich(kb, cases[cause.id], cause), limit=50), cause.id)
        if full is not None and len(full["next_steps"]) < len(empty["next_steps"]):
            shorter += 1
    assert shorter >= len(kb.causes) // 2


def test_a_given_tsh_answers_whether_hypothyroidism_is_known(kb, assess):
    context = {
        "patient": {"age": 60, "sex": "female"},
        "findings": ["muscle cramps", "muscle stiffness", "cold intolerance"],
        "labs": [{"display": "TSH", "value": 9.8, "unit": "mIU/L"}],
    }
    steps = [s for c in assess(context)["differential"] for s in c["next_steps"]]
    assert steps
    assert not any(kb.concepts["hypothyroidism"].ask in s for s in steps)
    assert not any(re.search(r"\bTSH\b", s) for s in steps if s.startswith("Check"))


def test_a_fixed_step_checks_only_the_tests_not_given(assess):
    statin = {"display": "atorvastatin 40 mg daily", "status": "active"}
    base = {"patient": {"age": 64, "sex": "female"}, "findings": ["myalgia"], "medications": [statin]}
    before = by_id(assess(base), "statin_myopathy")["next_steps"]
    assert "Check CK, TSH, creatinine and 25-OH vitamin D" in before
    labs = [
        {"display": "CK", "value": 400, "unit": "U/L", "reference_range": {"high": 192}},
        {"display": "TSH", "value": 2.1, "unit": "mIU/L"},
    ]
    after = by_id(assess({**base, "labs": labs}), "statin_myopathy")["next_steps"]
    assert "Check creatinine and 25-OH vitamin D" in after
    everything = labs + [
        {"display": "creatinine", "value": 80, "unit": "umol/L"},
        {"display": "25-OH vitamin D", "value": 70, "unit": "nmol/L"},
    ]
    done = by_id(assess({**base, "labs": everything}), "statin_myopathy")["next_steps"]
    assert not any(s.startswith("Check CK") or s.startswith("Check creatinine") for s in done)


def test_a_lab_outside_every_band_is_still_answered(assess):
    context = {
        "medications": ["furosemide 40 mg daily"],
        "labs": [{"display": "potassium", "value": 4.2, "unit": "mmol/L"}],
    }
    cause = by_id(assess(context), "hypokalemia")
    assert cause is not None
    assert not any(re.search(r"(Check|, | and | or )potassium", s) for s in cause["next_steps"])
    without = by_id(assess({"medications": ["furosemide 40 mg daily"]}), "hypokalemia")
    assert "Check potassium" in without["next_steps"]


def test_egfr_is_asked_for_in_clinical_words(kb):
    steps = [s.text for c in kb.causes for s in kb.next_steps(c).suggested]
    assert steps
    assert not any("{" in s or "m[IU]" in s or "1.73_m2" in s for s in steps)
    assert kb.labs["egfr"].test == "eGFR"


def test_a_male_patient_is_not_asked_about_pregnancy(assess):
    context = {"patient": {"age": 30, "sex": "male"}, "findings": ["muscle cramps", "calf cramps at night"]}
    steps = [s for c in assess(context, limit=50)["differential"] for s in c["next_steps"]]
    assert not any("pregnant" in s for s in steps)


def test_a_step_shows_at_most_two_alternatives():
    asks = tuple(Ask((f"lab:{i}",), "test", name) for i, name in enumerate(["potassium", "magnesium", "calcium"]))
    step = Step(asks, "Check potassium or magnesium", slot="s")
    assert step.render(frozenset()) == "Check potassium or magnesium"
    assert step.render(frozenset({"lab:0"})) == "Check magnesium or calcium"
    assert step.render(frozenset({"lab:0", "lab:1", "lab:2"})) is None


def test_kb_check_names_the_file_and_concept_without_words(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(loader.default_path(), root)
    findings = root / "vocabulary" / "findings.yaml"
    text = findings.read_text()
    question = '  ask: "Is there muscle aching or pain?"\n'
    assert question in text
    findings.write_text(text.replace(question, "", 1))
    with pytest.raises(KnowledgeError) as error:
        loader.load(root)
    assert "vocabulary/findings.yaml: finding myalgia has no `ask:`" in str(error.value)


def test_a_question_with_rule_syntax_is_refused(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(loader.default_path(), root)
    labs = root / "vocabulary" / "labs.yaml"
    labs.write_text(labs.read_text().replace('test: "eGFR"', 'test: "eGFR < 30 mL/min/{1.73_m2}"', 1))
    with pytest.raises(KnowledgeError) as error:
        loader.load(root)
    assert "vocabulary/labs.yaml" in str(error.value)


@pytest.mark.parametrize(
    "old,new,message",
    [
        pytest.param(
            "    - check: [ck, tsh, creatinine, vitamin_d_25oh]",
            "    - check: [ck, myalgia]",
            "cause statin_myopathy.next_steps[0]: check names 'myalgia', which is not a lab",
            id="check-names-a-finding",
        ),
        pytest.param(
            "      asks: [gemfibrozil, cyclosporine, colchicine, strong_cyp3a4_inhibitor]",
            "      asks: [gemfibrozil, no_such_drug]",
            "cause statin_myopathy.next_steps[1]: asks for 'no_such_drug'",
            id="asks-for-an-unknown-id",
        ),
        pytest.param(
            "    - Exercise and physiotherapy",
            "    - Exercise if CK < 500",
            "cause steroid_myopathy.next_steps[2]: rule syntax",
            id="rule-syntax-in-a-step",
        ),
    ],
)
def test_kb_check_refuses_a_step_it_cannot_read(tmp_path, old, new, message):
    root = tmp_path / "data"
    shutil.copytree(loader.default_path(), root)
    causes = root / "causes" / "drug_induced.yaml"
    text = causes.read_text()
    assert old in text
    causes.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as error:
        loader.load(root)
    assert message in str(error.value)
