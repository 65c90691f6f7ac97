"""What an EHR sends resolves to the knowledge base's ids, or is reported."""

from __future__ import annotations

import pytest

from spasmdx.rules.resolve import resolve
from spasmdx.schemas.request import ContextSchema

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


@pytest.fixture()
def facts_of(kb):
    schema = ContextSchema()
    return lambda context: resolve(kb, schema.load(context))


@pytest.mark.parametrize(
    "medication",
    [
        pytest.param({"code": {"system": RXNORM, "code": "617310"}}, id="rxnorm-clinical-drug"),
        pytest.param({"code": {"system": RXNORM, "code": "83367"}}, id="rxnorm-ingredient"),
        pytest.param({"code": {"system": "http://www.whocc.no/atc", "code": "C10AA05"}}, id="atc"),
        pytest.param("atorvastatin 20 MG Oral Tablet", id="clinical-drug-text"),
        pytest.param("Lipitor", id="brand"),
        pytest.param("ATORVASTATIN", id="case-insensitive"),
    ],
)
def test_atorvastatin_resolves_to_ingredient_and_class(facts_of, medication):
    facts = facts_of({"medications": [medication]}).facts
    assert "atorvastatin" in facts.medications and "statin" in facts.medications


def test_free_text_with_a_dose_resolves(facts_of):
    facts = facts_of({"medications": ["prednisone 40 mg daily"]}).facts
    assert {"prednisone", "glucocorticoid"} <= set(facts.medications)


def test_stopped_medication_is_past_exposure(facts_of):
    facts = facts_of({"medications": [{"display": "simvastatin 40 mg", "status": "stopped"}]}).facts
    assert {f.exposure for f in facts.medications["statin"]} == {"past"}


@pytest.mark.parametrize(
    "code,concept",
    [
        pytest.param("G35", "multiple_sclerosis", id="category"),
        pytest.param("G35.C0", "multiple_sclerosis", id="child-of-category"),
        pytest.param("E11.9", "diabetes_mellitus", id="diabetes-child"),
        pytest.param("e119", "diabetes_mellitus", id="no-dot-lowercase"),
    ],
)
def test_icd10cm_child_codes_resolve_through_their_parent(facts_of, code, concept):
    facts = facts_of({"conditions": [{"code": {"system": ICD10, "code": code}}]}).facts
    assert concept in facts.concepts


def test_snomed_finding_resolves(facts_of):
    facts = facts_of({"findings": [{"code": {"system": SNOMED, "code": "55300003"}}]}).facts
    assert "muscle_cramp" in facts.concepts


@pytest.mark.parametrize(
    "text,concept,present",
    [
        pytest.param("no calf swelling", "calf_swelling", False, id="pre-negation"),
        pytest.param("denies dark urine", "dark_urine", False, id="denies"),
        pytest.param("fasciculations in both calves", "fasciculations", True, id="affirmed"),
        pytest.param("CRAMPS at night", "nocturnal_cramps", True, id="case"),
        pytest.param("DOE: none", "dyspnea", False, id="review-of-systems-answer"),
        pytest.param("chest pain: none, dysuria: denied", "dysuria", False, id="answers-in-a-row"),
        pytest.param("ROS: no fever", "fever", False, id="colon-then-negated-list"),
        pytest.param("standing still does not relieve it", "relief_standing_still", False, id="not-relieved"),
        pytest.param("weak pulses in the left foot", "muscle_weakness", None, id="weak-pulse-is-not-weakness"),
        pytest.param(
            "family history of DVT in her mother", "dvt_history", None, id="family-history-is-not-the-patient"
        ),
        pytest.param("FHx: DVT in her mother", "dvt", None, id="family-history-abbreviated"),
        pytest.param("history of DVT in 2019", "dvt_history", True, id="own-history-still-counts"),
        pytest.param("mother had multiple sclerosis", "multiple_sclerosis", None, id="relative-is-not-the-patient"),
        pytest.param("calf cramps; father had a stroke", "muscle_cramp", True, id="own-symptom-beside-family-history"),
        pytest.param(
            "son reports her calf cramps at night", "muscle_cramp", True, id="reported-by-a-relative-is-still-hers"
        ),
    ],
)
def test_free_text_findings_and_negation(facts_of, text, concept, present):
    facts = facts_of({"findings": [text]}).facts
    if present is None:
        assert concept not in facts.concepts
    else:
        assert [f.present for f in facts.concepts[concept]] == [present]


def test_absent_flag_makes_every_concept_in_the_item_absent(facts_of):
    facts = facts_of({"findings": [{"display": "muscle weakness", "present": False}]}).facts
    assert all(not f.present for f in facts.concepts["muscle_weakness"])


def test_drug_named_in_a_finding_counts_as_exposure_or_denial(facts_of):
    facts = facts_of({"findings": ["no oral or inhaled glucocorticoid use"]}).facts
    assert {f.exposure for f in facts.medications["glucocorticoid"]} == {"denied"}


def test_lab_by_loinc_and_by_name(facts_of):
    facts = facts_of(
        {
            "labs": [
                {"code": {"system": LOINC, "code": "2157-6"}, "value": 300, "unit": "U/L"},
                {"display": "serum potassium", "value": 3.1, "unit": "mmol/L"},
            ]
        }
    ).facts
    assert facts.labs["ck"][0].value == 300 and facts.labs["potassium"][0].value == 3.1


@pytest.mark.parametrize(
    "section,item,path",
    [
        pytest.param("medications", "frobnicate 10 mg", "medications[0]", id="unknown-drug"),
        pytest.param("findings", "zzz qqq", "findings[0]", id="unknown-finding"),
        pytest.param("labs", {"display": "unobtainium", "value": 1, "unit": "mg/dL"}, "labs[0]", id="unknown-lab"),
        pytest.param("labs", {"display": "CK", "value": 1, "unit": "furlongs"}, "labs[0].unit", id="unknown-unit"),
        pytest.param(
            "conditions",
            {"code": {"system": "http://example.org/x", "code": "1"}, "display": "MS"},
            "conditions[0].code",
            id="unknown-system",
        ),
    ],
)
def test_unresolved_input_is_reported_with_its_path(facts_of, section, item, path):
    unrecognized = facts_of({section: [item]}).unrecognized
    assert path in [u["path"] for u in unrecognized]


def test_a_lab_display_is_read_by_its_longest_mention(kb):
    # "albumin-corrected calcium" names corrected calcium: albumin is only part of the name.
    assert kb.terminology.lab_in("Albumin-corrected calcium") == "calcium_corrected"
    assert kb.terminology.lab_in("serum albumin") == "albumin"


@pytest.mark.parametrize(
    "section, item, meant",
    [
        ("medications", "simvastatn 40mg", "Simvastatin"),
        ("medications", "Zocr 20 mg", "Simvastatin"),  # a misspelt brand
        ("findings", "msucle crmps at night", "Muscle cramp"),
        ("labs", {"display": "potasium", "value": 3.1, "unit": "mmol/L"}, "Potassium"),
    ],
)
def test_an_unrecognised_name_carries_the_names_it_may_have_meant(client, section, item, meant):
    body = client.post("/v1/differential", json={section: [item]}).get_json()
    (entry,) = body["unrecognized"]
    assert entry["did_you_mean"][0] == meant
    quoted = [e["input"] for cause in body["differential"] for e in cause["evidence"]]
    assert entry["input"] not in quoted  # a suggestion is not a reading: the item is not scored


def test_a_name_close_to_nothing_carries_no_suggestion(client):
    body = client.post("/v1/differential", json={"medications": ["metoprolol 50 mg"], "findings": ["xyzzy"]}).get_json()
    assert all("did_you_mean" not in entry for entry in body["unrecognized"])
