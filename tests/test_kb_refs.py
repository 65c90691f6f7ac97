"""References a clinician can follow (issue 12.6) and labs as laboratories send them (issue 13)."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
import yaml
from cds import lab, searchset
from contract import conforms
from marshmallow import ValidationError

from spasmdx.cli.main import EXIT_KNOWLEDGE, main
from spasmdx.fhir import to_context
from spasmdx.rules import layout, loader
from spasmdx.rules.errors import KnowledgeError
from spasmdx.schemas.fastpath import _validator as _fast_validator
from spasmdx.schemas.fastpath import load_context
from spasmdx.schemas.request import ContextSchema
from spasmdx.service.cds_cards import _links

SOURCES = {  # the lay source articles, by the titles they give themselves
    "src_000": "Muscle Twitches and Rheumatoid Arthritis: Can RA Cause Muscle Spasms?",
    "src_001": "Can Fibromyalgia Cause Severe Muscle Spasms?",
    "src_002": "Are Muscle Twitches a Symptom of MS or ALS?",
    "src_003": "What are the causes of muscle spasms in a patient with potential underlying medical conditions",
    "src_004": "How Muscle Spasms Relate to Multiple Sclerosis",
}
LOINC = "http://loinc.org"
CRAMPS = {"display": "muscle cramps in both calves"}


def post(client, context):
    response = client.post("/v1/differential", json=context)
    assert response.status_code == 200
    conforms(response)
    return response.get_json()


def cause(answer, ident):
    return next((c for c in answer["differential"] if c["id"] == ident), None)


def inputs(answer, ident):
    found = cause(answer, ident)
    return [e["input"] for e in found["evidence"]] if found else []


# ---------------------------------------------------------------- references


def test_every_reference_gives_a_full_citation_and_an_address(kb):
    for reference in kb.references.values():
        assert reference.url and reference.url.startswith("https://"), reference.id
        assert re.search(r"\b(19|20)\d\d\b|undated", reference.citation), reference.id
        assert not re.search(r"\.txt\b|\.py\b|source article \d|[0-9a-f]{16}", reference.citation, re.I), reference.id


def test_model_assumptions_are_no_reference(kb):
    assert "tiers" not in kb.references
    for path in (loader.default_path() / layout.CAUSES).glob("*.yaml"):
        for entry in yaml.safe_load(path.read_text()):
            assert "tiers" not in entry["prior_source"], (path.name, entry["id"])


@pytest.mark.parametrize("ident,title", SOURCES.items())
def test_a_source_article_is_cited_by_its_own_title_and_marked_lay(kb, ident, title):
    reference = kb.references[ident]
    assert title in reference.citation and reference.lay
    assert "Lay article" in reference.citation


@pytest.fixture()
def kb_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    return target


def edit_reference(root, ident, **changes):
    path = root / layout.REFERENCES
    rows = yaml.safe_load(path.read_text())
    row = next(r for r in rows if r["id"] == ident)
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    path.write_text(yaml.safe_dump(rows, sort_keys=False))


def test_kb_check_refuses_a_reference_without_doi_pmid_or_url(kb_copy):
    edit_reference(kb_copy, "stroes_2015", url=None)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    assert "references.yaml: stroes_2015.url: no DOI, PMID or URL" in str(caught.value)


@pytest.mark.parametrize(
    "citation",
    [
        "Source article 003_4835f79c0c25ce1d.txt: causes of muscle spasms in MS and PAD",
        "Source article 3: causes of muscle spasms",
        "spasmdx prior tiers (model.py PRIOR_TIERS): base rates",
        "Article 4835f79c0c25ce1d on muscle spasms, 2024",
        "The trigger table in sources.yaml, 2025",
    ],
    ids=["file-name", "source-article-number", "python-module", "hex-file-id", "yaml-file"],
)
def test_kb_check_refuses_a_citation_that_names_a_file(kb_copy, citation):
    edit_reference(kb_copy, "src_003", citation=citation)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kb_copy)
    assert "references.yaml: src_003.citation: names a file" in str(caught.value)


def test_spasmdx_kb_check_names_the_file_and_key_of_a_reference_that_cannot_be_followed(kb_copy, capsys):
    edit_reference(kb_copy, "src_000", url=None, citation="Source article 000_7b838d72f25fe902.txt: RA twitches")
    assert main(["kb", "check", "--path", str(kb_copy)]) == EXIT_KNOWLEDGE
    err = capsys.readouterr().err
    assert "references.yaml: src_000.url: no DOI, PMID or URL" in err
    assert "references.yaml: src_000.citation: names a file" in err


def test_a_doi_in_a_citation_is_not_taken_for_a_file(kb_copy):
    edit_reference(
        kb_copy, "stroes_2015", citation="Stroes ES, et al. Eur Heart J. 2015;36:1012-22. doi:10.1093/eurheartj/ehv043"
    )
    assert loader.load(kb_copy).references["stroes_2015"].url


def test_the_answer_lists_a_causes_lay_articles_after_its_evidence(client):
    answer = post(client, {"findings": ["twitching of the calf", "eyelid twitch"]})
    for entry in answer["differential"]:
        lay = [bool(r.get("lay")) for r in entry["references"]]
        assert lay == sorted(lay), entry["id"]
        assert all(r["url"].startswith("https://") and r["citation"] for r in entry["references"])


def test_the_knowledge_base_listing_shows_every_citation_with_its_address(client):
    response = client.get("/v1/knowledge-base")
    conforms(response)
    for entry in response.get_json()["causes"]:
        assert all(r["url"] and "Source article" not in r["citation"] for r in entry["references"])


def test_a_card_links_the_evidence_before_a_lay_article(kb):
    links = _links(kb, ["src_003", "stroes_2015", "src_004"])
    assert links[0]["label"].startswith("Stroes ES") and links[0]["url"] == "https://doi.org/10.1093/eurheartj/ehv043"
    assert [link["url"] for link in links[1:]] == [kb.references["src_003"].url, kb.references["src_004"].url]
    assert all(link["label"].startswith("Lay article: ") for link in links[1:])


def test_a_lab_note_from_fhir_is_read_as_the_specimen_comment():
    observation = lab("2823-3", "Potassium", 6.4, "mmol/L", high=5.0)
    observation["note"] = [{"text": "Sample haemolysed"}, {"text": "recollect advised"}]
    item = to_context({"data": searchset(observation)}, date(2026, 11, 20)).context["labs"][0]
    assert item["specimen_comment"] == "Sample haemolysed; recollect advised"


# ---------------------------------------------------------------- labs as sent


@pytest.mark.parametrize(
    "unit", ["mL/min/1.73m2", "mL/min/1.73 m2", "ml/min/1.73m^2", "mL/min/{1.73_m2}", "mL/min/1.73 m²"]
)
def test_egfr_is_read_in_every_spelling_of_its_unit(client, unit):
    answer = post(client, {"findings": [CRAMPS], "labs": [{"display": "eGFR", "value": 22, "unit": unit}]})
    assert answer["unrecognized"] == []
    assert any("eGFR 22" in text for text in inputs(answer, "ckd_cramps"))


def test_an_egfr_in_a_unit_that_is_not_its_own_is_not_used(client):
    answer = post(client, {"findings": [CRAMPS], "labs": [{"display": "eGFR", "value": 22, "unit": "mL/s"}]})
    assert [u["path"] for u in answer["unrecognized"]] == ["labs[0].unit"]
    assert not any("eGFR" in text for text in inputs(answer, "ckd_cramps"))


CORRECTED = {"code": {"system": LOINC, "code": "29265-6"}, "display": "Calcium.albumin corrected", "unit": "mmol/L"}
ALBUMIN_LOW = {"display": "Albumin", "value": 25, "unit": "g/L"}


def test_a_corrected_calcium_the_lab_sent_is_used_and_never_corrected_again(client):
    # 2.0 mmol/L corrected by the lab; corrected again for albumin 25 g/L it would read 2.3, normal.
    answer = post(
        client, {"findings": [{"display": "perioral tingling"}], "labs": [{**CORRECTED, "value": 2.0}, ALBUMIN_LOW]}
    )
    texts = inputs(answer, "hypocalcemia")
    assert any("Calcium.albumin corrected 2 mmol/L" in text for text in texts)
    assert not any("Albumin-corrected calcium" in text for text in texts)  # no second, derived value


def test_a_normal_corrected_calcium_from_the_lab_outweighs_a_low_total(client):
    labs = [{**CORRECTED, "value": 2.3}, {"display": "Calcium", "value": 1.95, "unit": "mmol/L"}, ALBUMIN_LOW]
    answer = post(client, {"findings": [{"display": "perioral tingling"}], "labs": labs})
    hypocalcemia = cause(answer, "hypocalcemia")
    assert hypocalcemia is None or hypocalcemia["probability"] < 0.1


def test_without_a_corrected_calcium_from_the_lab_it_is_derived_from_total_and_albumin(client):
    labs = [{"display": "Calcium", "value": 1.8, "unit": "mmol/L"}, ALBUMIN_LOW]
    answer = post(client, {"findings": [{"display": "perioral tingling"}], "labs": labs})
    assert any("Albumin-corrected calcium" in text for text in inputs(answer, "hypocalcemia"))


def test_a_normal_corrected_calcium_from_the_lab_silences_the_alert_a_low_total_alone_would_raise(client):
    total = {"display": "Calcium", "value": 1.8, "unit": "mmol/L"}
    alone = post(client, {"findings": [CRAMPS], "labs": [total]})
    with_corrected = post(client, {"findings": [CRAMPS], "labs": [total, {**CORRECTED, "value": 2.3}]})
    assert "severe_hypocalcemia" in {a["id"] for a in alone["alerts"]}
    assert "severe_hypocalcemia" not in {a["id"] for a in with_corrected["alerts"]}


@pytest.mark.parametrize(
    "display", ["Corrected calcium", "Calcium (corrected)", "Adjusted Ca", "Calcium corrected for albumin"]
)
def test_a_corrected_calcium_is_recognised_by_name(kb, display):
    assert kb.terminology.lab_in(display) == "calcium_corrected"


@pytest.mark.parametrize("unit", ["mU/L", "mIU/L", "uIU/mL", "µIU/mL"])
def test_tsh_is_read_in_mu_per_litre_and_its_equivalents(client, unit):
    context = {"findings": [CRAMPS, {"display": "fatigue"}], "labs": [{"display": "TSH", "value": 25, "unit": unit}]}
    answer = post(client, context)
    assert answer["unrecognized"] == []
    assert any("TSH 25" in text for text in inputs(answer, "hypothyroid_myopathy"))


VITAMIN_D_LOW = {"display": "25-OH vitamin D", "value": 20, "unit": "nmol/L"}
WEAK = {"display": "proximal muscle weakness"}


def alp(value):
    return {"code": {"system": LOINC, "code": "6768-6"}, "display": "Alk Phos", "value": value, "unit": "U/L"}


def test_a_raised_alkaline_phosphatase_supports_osteomalacic_vitamin_d_deficiency(client):
    raised = post(client, {"findings": [WEAK], "labs": [VITAMIN_D_LOW, alp(310)]})
    normal = post(client, {"findings": [WEAK], "labs": [VITAMIN_D_LOW, alp(80)]})
    assert any("Alk Phos 310" in text for text in inputs(raised, "vitamin_d_deficiency"))
    assert cause(raised, "vitamin_d_deficiency")["probability"] > cause(normal, "vitamin_d_deficiency")["probability"]


def test_a_raised_alkaline_phosphatase_alone_does_not_put_osteomalacia_on_the_list(client):
    answer = post(client, {"findings": [CRAMPS], "labs": [alp(310)]})
    assert cause(answer, "vitamin_d_deficiency") is None and answer["unrecognized"] == []


def test_alkaline_phosphatase_in_microkatal_is_converted(kb):
    assert kb.units.factor("alkaline_phosphatase", "µkat/L") == 60


POTASSIUM_HIGH = {"display": "Potassium", "value": 6.1, "unit": "mmol/L"}


@pytest.mark.parametrize(
    "lab",
    [
        {**POTASSIUM_HIGH, "specimen_comment": "Sample haemolysed"},
        {**POTASSIUM_HIGH, "specimen_comment": "HEMOLYZED SPECIMEN - interpret with caution"},
        {**POTASSIUM_HIGH, "specimen_comment": "haemolysis index 3+"},
        {**POTASSIUM_HIGH, "display": "K+ (hemolysed)"},
        {**POTASSIUM_HIGH, "value": 3.6, "specimen_comment": "haemolysed"},
    ],
    ids=["comment", "american-upper-case", "index", "display", "normal-value"],
)
def test_a_haemolysed_potassium_is_not_used_is_reported_and_raises_the_pitfall(client, lab):
    answer = post(client, {"findings": [CRAMPS], "labs": [lab]})
    assert [(u["path"], "haemolysed" in u["reason"]) for u in answer["unrecognized"]] == [("labs[0]", True)]
    assert "haemolysed_potassium" in {p["id"] for p in answer["pitfalls"]}
    for entry in answer["differential"]:
        assert not any("otassium" in e["input"] or "K+" in e["input"] for e in entry["evidence"]), entry["id"]


def test_a_low_potassium_from_a_haemolysed_sample_stands_as_the_true_value_is_lower_still(client):
    lab = {"display": "Potassium", "value": 2.3, "unit": "mmol/L", "specimen_comment": "slight haemolysis"}
    answer = post(client, {"findings": [CRAMPS], "labs": [lab]})
    assert answer["unrecognized"] == []
    assert "severe_hypokalemia" in {a["id"] for a in answer["alerts"]}
    assert "haemolysed_potassium" in {p["id"] for p in answer["pitfalls"]}
    assert any("lower still" in text for text in inputs(answer, "hypokalemia"))


@pytest.mark.parametrize("comment", ["No haemolysis", "not hemolyzed", "sample received, no hemolysis seen"])
def test_a_sample_said_not_to_be_haemolysed_is_used(client, comment):
    lab = {**POTASSIUM_HIGH, "value": 2.8, "specimen_comment": comment}
    answer = post(client, {"findings": [CRAMPS], "labs": [lab]})
    assert answer["unrecognized"] == [] and "haemolysed_potassium" not in {p["id"] for p in answer["pitfalls"]}
    assert any("Potassium 2.8" in text for text in inputs(answer, "hypokalemia"))


def test_haemolysis_leaves_labs_it_does_not_raise_alone(client):
    lab = {"display": "CK", "value": 4000, "unit": "U/L", "specimen_comment": "haemolysed"}
    answer = post(client, {"findings": [CRAMPS, {"display": "dark urine"}], "labs": [lab]})
    assert answer["unrecognized"] == [] and any("CK 4000" in text for text in inputs(answer, "rhabdomyolysis"))


def test_a_specimen_comment_is_part_of_the_contract(client):
    response = client.post("/v1/differential", json={"labs": [{**POTASSIUM_HIGH, "specimen_comment": ""}]})
    assert response.status_code == 422 and "specimen_comment" in response.get_data(as_text=True)


def _fast_validates(context):
    return _fast_validator()(context)


def test_the_fast_path_reads_a_specimen_comment_as_marshmallow_does():
    context = {"labs": [{**POTASSIUM_HIGH, "specimen_comment": "Haemolysed (H index 250)"}]}
    assert _fast_validates(context) and load_context(context) == ContextSchema().load(context)
    too_long = {"labs": [{**POTASSIUM_HIGH, "specimen_comment": "x" * 501}]}
    assert not _fast_validates(too_long)
    with pytest.raises(ValidationError):
        load_context(too_long)
