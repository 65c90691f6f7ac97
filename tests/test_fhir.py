"""FHIR R4 to patient context: every resource mapped or reported, none raising."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cds import CK_40_ULN, STATIN, condition, lab, medication_request, patient, searchset

from spasmdx.fhir import age_on, to_context

ON = date(2026, 11, 20)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(os.environ.get("SPASMDX_FHIR_EXAMPLES", ROOT / ".cache" / "fhir-examples" / "package"))
EXAMPLE_TYPES = (
    "Patient",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Medication",
    "Bundle",
    "DocumentReference",
)


def mapped(*resources, **kwargs):
    return to_context({"data": searchset(*resources)}, ON, **kwargs)


def reasons(result):
    return [n["reason"] for n in result.notes]


@pytest.mark.parametrize(
    "birth,age",
    [
        pytest.param("1962-11-20", 64.0, id="birthday-today"),
        pytest.param("1962-11-21", 63.0, id="birthday-tomorrow"),
        pytest.param("1962", 64.0, id="year-only-taken-mid-year"),
        pytest.param("2025-11-20", 1.0, id="infant-in-fractions"),
        pytest.param("2026-11-21", None, id="born-after-the-reference-date"),
        pytest.param("1850-01-01", None, id="older-than-130"),
        pytest.param("yesterday", None, id="not-a-date"),
    ],
)
def test_age_is_counted_to_the_reference_date_given(birth, age):
    assert age_on(birth, ON) == age


def test_patient_gives_age_and_sex_and_an_odd_birth_date_is_reported():
    assert mapped(patient(gender="female", birth="1960-01-01")).context == {"patient": {"age": 66.0, "sex": "female"}}
    result = mapped({"resourceType": "Patient", "gender": "robot", "birthDate": "2030-01-01"})
    assert result.context == {} and len(result.notes) == 2


@pytest.mark.parametrize(
    "evidence,pregnant",
    [
        pytest.param(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]},
            },
            True,
            id="pregnancy-status-observation",
        ),
        pytest.param(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "60001007"}]},
            },
            False,
            id="not-pregnant-observation",
        ),
        pytest.param(
            {
                "resourceType": "Condition",
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z34.90"}]},
            },
            True,
            id="pregnancy-condition",
        ),
    ],
)
def test_pregnancy_is_read_where_it_is_recorded(evidence, pregnant):
    result = mapped(patient(gender="female", birth="1995-01-01"), evidence)
    assert result.context["patient"]["pregnant"] is pregnant


@pytest.mark.parametrize(
    "clinical,verification,present",
    [
        pytest.param("active", "confirmed", True, id="active"),
        pytest.param("relapse", None, True, id="relapse"),
        pytest.param("resolved", "confirmed", False, id="resolved-is-absent"),
        pytest.param("remission", None, False, id="remission-is-absent"),
        pytest.param("active", "refuted", False, id="refuted-is-absent"),
    ],
)
def test_condition_status_becomes_present_or_absent(clinical, verification, present):
    resource = condition("55300003", "Muscle cramp", clinical)
    if verification:
        resource["verificationStatus"] = {"coding": [{"code": verification}]}
    item = mapped(resource).context["conditions"][0]
    assert item["present"] is present and item["code"]["code"] == "55300003"


def test_condition_entered_in_error_is_left_out_and_reported():
    error = {"verificationStatus": {"coding": [{"code": "entered-in-error"}]}}
    resource = condition("55300003", "Muscle cramp") | error
    result = mapped(resource)
    assert "conditions" not in result.context and "entered in error: not used" in reasons(result)


def test_condition_prefers_snomed_then_icd10cm_and_keeps_the_text():
    resource = {
        "resourceType": "Condition",
        "code": {
            "text": "Hypothyroid",
            "coding": [
                {"system": "http://example.org/local", "code": "X1"},
                {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E03.9"},
                {"system": "http://snomed.info/sct", "code": "40930008"},
            ],
        },
    }
    item = mapped(resource).context["conditions"][0]
    assert item["code"] == {"system": "http://snomed.info/sct", "code": "40930008"} and item["display"] == "Hypothyroid"


def test_a_condition_with_neither_a_known_code_nor_text_is_reported():
    result = mapped({"resourceType": "Condition", "code": {"coding": [{"system": "urn:local", "code": "7"}]}})
    assert "conditions" not in result.context and result.notes[0]["input"] == "urn:local|7"


@pytest.mark.parametrize(
    "changes,status",
    [
        pytest.param({}, "active", id="active"),
        pytest.param({"status": "cancelled"}, "not-taken", id="cancelled-was-never-taken"),
        pytest.param({"status": "draft"}, "intended", id="draft-is-intended"),
        pytest.param({"intent": "plan"}, "intended", id="a-plan-is-not-yet-an-order"),
        pytest.param({"doNotPerform": True}, "not-taken", id="do-not-perform"),
        pytest.param({"status": "stopped"}, "stopped", id="stopped"),
        pytest.param({"status": "weird"}, "unknown", id="unknown-status-reported"),
    ],
)
def test_medication_request_status_maps_to_the_context_vocabulary(changes, status):
    result = mapped(medication_request("617310", "atorvastatin 20 MG Oral Tablet") | changes)
    assert result.context["medications"][0]["status"] == status
    assert bool(result.notes) == (status == "unknown")


def test_medication_from_a_contained_or_bundled_medication_and_its_dates():
    contained = medication_request("x", "x") | {
        "contained": [
            {
                "resourceType": "Medication",
                "id": "m1",
                "code": {
                    "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "617310"}],
                    "text": "Lipitor",
                },
            }
        ]
    }
    del contained["medicationCodeableConcept"]
    contained["medicationReference"] = {"reference": "#m1"}
    contained["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-10-01"}}}}]
    bundled = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "medicationReference": {"reference": "Medication/m2"},
        "effectivePeriod": {"start": "2025-01-01", "end": "2025-06-30"},
    }
    medication = {"resourceType": "Medication", "id": "m2", "code": {"text": "simvastatin 40 mg"}}
    items = mapped(contained, bundled, medication).context["medications"]
    assert items[0]["code"]["code"] == "617310" and items[0]["start_date"] == date(2026, 10, 1)
    assert items[1] == {
        "display": "simvastatin 40 mg",
        "status": "completed",
        "start_date": date(2025, 1, 1),
        "end_date": date(2025, 6, 30),
    }


def test_a_medication_reference_that_cannot_be_resolved_is_reported():
    resource = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": "Medication/nowhere"},
    }
    result = mapped(resource)
    assert "medications" not in result.context and "neither contained" in result.notes[0]["reason"]


def test_lab_keeps_value_ucum_unit_and_reference_range():
    item = mapped(CK_40_ULN).context["labs"][0]
    assert item == {
        "code": {"system": "http://loinc.org", "code": "2157-6"},
        "display": "Creatine kinase",
        "value": 8000.0,
        "unit": "U/L",
        "reference_range": {"high": 200.0},
    }


def test_lab_range_in_another_unit_comparator_and_interpretation_are_reported():
    resource = lab("2157-6", "CK", 900, "U/L", high=3.3)
    resource["referenceRange"][0]["high"]["code"] = "ukat/L"
    resource["valueQuantity"]["comparator"] = ">"
    resource["interpretation"] = [{"coding": [{"code": "H"}]}]
    result = mapped(resource)
    assert "reference_range" not in result.context["labs"][0]
    assert len(result.notes) == 3


def test_only_the_latest_result_of_a_test_is_used_and_old_ones_not_at_all():
    old = lab("2157-6", "CK", 9000, "U/L", high=200, when="2026-01-02")
    new = lab("2157-6", "CK", 150, "U/L", high=200, when="2026-11-18")
    ancient = lab("2823-3", "Potassium", 2.1, "mmol/L", when="2020-01-01")
    result = mapped(old, new, ancient, lab_max_age_days=365)
    assert [item["value"] for item in result.context["labs"]] == [150.0]
    assert sorted(reasons(result)) == [
        "an earlier result of a test given again: the latest is used",
        "older than 365 days on 2026-11-20: not used",
    ]


@pytest.mark.parametrize(
    "value,present",
    [
        pytest.param({}, True, id="coded-finding"),
        pytest.param({"valueBoolean": False}, False, id="value-false"),
        pytest.param(
            {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "2667000"}]}},
            False,
            id="value-absent",
        ),
    ],
)
def test_findings_recorded_as_snomed_observations(value, present):
    cramp = {"coding": [{"system": "http://snomed.info/sct", "code": "55300003", "display": "Cramp"}]}
    resource = {"resourceType": "Observation", "status": "final", "code": cramp} | value
    assert mapped(resource).context["findings"][0]["present"] is present


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            {
                "resourceType": "Observation",
                "status": "entered-in-error",
                "code": {"text": "CK"},
                "valueQuantity": {"value": 1},
            },
            id="observation-entered-in-error",
        ),
        pytest.param(
            {"resourceType": "Observation", "status": "final", "code": {"text": "Blood group"}, "valueString": "A+"},
            id="observation-text-value",
        ),
        pytest.param(
            {"resourceType": "Observation", "status": "final", "code": {"text": "CK"}, "valueQuantity": {"value": -4}},
            id="negative-value",
        ),
        pytest.param({"resourceType": "Encounter", "id": "e1"}, id="unread-resource-type"),
        pytest.param(
            {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "diagnostics": "x"}]},
            id="operation-outcome",
        ),
        pytest.param(
            {"resourceType": "Condition", "subject": {"reference": "Patient/other"}, "code": {"text": "x"}},
            id="another-patient",
        ),
        pytest.param(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2157-6" * 30}]},
                "valueQuantity": {"value": 1},
            },
            id="code-too-long-refused-by-the-context-schema",
        ),
    ],
)
def test_what_cannot_be_used_is_reported_not_dropped(resource):
    result = mapped(resource, patient_id="p1")
    assert result.context == {} and len(result.notes) == 1


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("not a resource", id="string"),
        pytest.param(
            {"resourceType": "Observation", "code": 7, "valueQuantity": "lots", "referenceRange": [1]},
            id="wrong-shapes",
        ),
        pytest.param({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}, 3, {"resource": None}]}, id="odd-bundle"),
        pytest.param(
            {"resourceType": "MedicationRequest", "medicationReference": 5, "dosageInstruction": "x"},
            id="odd-medication",
        ),
        pytest.param({"resourceType": "Patient", "birthDate": 1960, "gender": ["male"]}, id="odd-patient"),
    ],
)
def test_malformed_resources_never_raise(garbage):
    result = to_context({"data": garbage}, ON)
    assert result.notes and "could not be read" not in reasons(result)


def test_null_keys_are_no_data_and_origins_point_back_to_the_input():
    result = to_context(
        {"patient": None, "labs": searchset(CK_40_ULN), "meds": searchset(STATIN)}, ON, medications_listed=True
    )
    assert result.origin("labs[0].unit") == "prefetch.labs.entry[0]"
    assert result.origin("medications[0]") == "prefetch.meds.entry[0]"
    assert result.notes == []
    assert to_context({"meds": None}, ON, medications_listed=True).context == {"medications": []}


def test_the_mapping_imports_no_web_framework():
    code = "import sys, spasmdx.fhir; print('flask' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def carebundle_bundles():
    carebundle = pytest.importorskip("carebundle")
    made = (
        (profile, seed, carebundle.generate_bundle(profile=profile, seed=seed))
        for profile in sorted(carebundle.PROFILES)
        for seed in (1, 2, 3)
    )
    return [(f"{profile}-{seed}", json.loads(carebundle.to_json(bundle))) for profile, seed, bundle in made]


def test_carebundle_patient_bundles_map_without_error():
    for name, bundle in carebundle_bundles():
        result = to_context({"bundle": bundle}, date(2026, 1, 1))
        assert "could not be read" not in reasons(result), name
        assert result.context["patient"]["age"] >= 45 and result.context["labs"], name
        assert all(not n["reason"].startswith("refused") for n in result.notes), name


def example_files():
    if not EXAMPLES.is_dir():
        return []
    return sorted(p for p in EXAMPLES.glob("*.json") if p.name.split("-", 1)[0] in EXAMPLE_TYPES)


@pytest.mark.skipif(
    not example_files(),
    reason=(
        f"the official FHIR R4 examples are not in {EXAMPLES}: `make fhir-examples` fetches them with npm "
        f"({'npm is on PATH' if shutil.which('npm') else 'npm is not installed'})"
    ),
)
def test_every_official_fhir_r4_example_of_the_types_read_maps_without_error():
    checked = 0
    for path in example_files():
        resource = json.loads(path.read_text(encoding="utf-8"))
        result = to_context({"example": resource}, ON, patient_id=None, lab_max_age_days=None)
        assert "could not be read" not in reasons(result), path.name
        checked += 1
    assert checked > 150  # 22 Patients, 12 Conditions, 47 medication resources, 64 Observations, 44 Bundles
