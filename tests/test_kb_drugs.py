"""Issue 13, drugs and codes: electrolyte-wasting drugs, statin exposure, doses and interactions, drug and
ICD-10-CM codes that mean what their entries say, and the source articles' twitch and spasm triggers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ranked

from spasmdx.rules import loader
from spasmdx.rules.composites import leaves
from spasmdx.rules.errors import KnowledgeError
from spasmdx.rules.resolve import dose_mg, resolve
from spasmdx.schemas.request import ContextSchema

# The naive score (conftest.assess): these tests weigh evidence against evidence.
WEIGHS_EVIDENCE = True

DATA = Path(__file__).resolve().parent.parent / "rules" / "data"
CK_HIGH = {"display": "CK", "value": 5000, "unit": "U/L", "reference_range": {"high": 200}}


def by_id(result, cause_id):
    return next((c for c in result["differential"] if c["id"] == cause_id), None)


def probability(result, cause_id):
    cause = by_id(result, cause_id)
    return cause["probability"] if cause else 0.0


def drug_ids_used(kb):
    """Every drug or class id some cause, alert or pitfall reads."""
    used = set()
    predicates = [p for c in kb.causes.values() for p in (*c.requires, *(r.when for r in c.evidence))]
    predicates += [f.when for f in (*kb.alerts.values(), *kb.pitfalls.values())]
    for predicate in predicates:
        for part in leaves(predicate):
            used.update(ident for namespace, ident in part.references() if namespace == "drug")
    return used


# --- Unused knowledge cannot creep back -------------------------------------------------------


def test_every_drug_class_is_weighed_by_a_rule_or_says_why_it_is_only_matched(kb):
    classes = yaml.safe_load((DATA / "vocabulary" / "drugs.yaml").read_text())["classes"]
    used = drug_ids_used(kb)
    unexplained = [c["id"] for c in classes if c["id"] not in used and not c.get("matching_only")]
    stale = [c["id"] for c in classes if c["id"] in used and c.get("matching_only")]
    assert unexplained == [], "classes no rule, alert or pitfall uses; wire them or give `matching_only: why`"
    assert stale == [], "classes marked matching_only that a rule now uses: drop the note"


# --- Drugs that cause electrolyte disorders ---------------------------------------------------


K_33 = {"display": "potassium", "value": 3.3, "unit": "mmol/L"}
CRAMPS_TREMOR = {"findings": ["muscle cramps", "tremor"]}
TINGLING = {"findings": ["perioral tingling", "muscle cramps"]}
WEAK_LOW_K = {"findings": ["muscle weakness", "muscle cramps"], "labs": [K_33]}
WEAK_TINGLING = {"findings": ["muscle weakness", "paresthesia"]}


@pytest.mark.parametrize(
    "cause, drug, context",
    [
        ("hypomagnesemia", "cetuximab 500 mg/m2 every 2 weeks", CRAMPS_TREMOR),
        ("hypomagnesemia", "Vectibix (panitumumab)", CRAMPS_TREMOR),
        ("hypomagnesemia", "cisplatin 75 mg/m2", CRAMPS_TREMOR),
        ("hypomagnesemia", "tacrolimus 2 mg bd", CRAMPS_TREMOR),
        ("hypomagnesemia", "gentamicin 5 mg/kg", CRAMPS_TREMOR),
        ("hypocalcemia", "Prolia (denosumab) 60 mg", TINGLING),
        ("hypocalcemia", "zoledronic acid 5 mg IV", TINGLING),
        ("hypocalcemia", "cinacalcet 30 mg daily", TINGLING),
        ("hypokalemia", "liquorice root tea", WEAK_LOW_K),
        ("hypokalemia", "senna 15 mg nightly", WEAK_LOW_K),
        ("hypokalemia", "insulin glargine 20 units", WEAK_LOW_K),
        ("hypokalemia", "salbutamol inhaler", WEAK_LOW_K),
        ("hypokalemia", "furosemide 40 mg", WEAK_LOW_K),
        ("hypophosphatemia", "Ferinject 1000 mg IV", WEAK_TINGLING),
    ],
    ids=lambda value: value.split()[0] if isinstance(value, str) else "",
)
def test_a_drug_that_wastes_an_electrolyte_raises_that_electrolyte_disorder(assess, cause, drug, context):
    without = assess({**context, "medications": ["paracetamol 1 g"]})
    with_drug = assess({**context, "medications": [drug]})
    assert probability(with_drug, cause) > 1.2 * probability(without, cause) > 0 or (
        probability(without, cause) == 0 and probability(with_drug, cause) > 0
    )
    evidence = by_id(with_drug, cause)["evidence"]
    assert any(e["source"] == "medication" and e["effect"] == "supports" and e["references"] for e in evidence)


def test_a_normal_measured_electrolyte_outweighs_the_drug_that_could_lower_it(assess):
    base = {"findings": ["muscle cramps", "tremor"], "medications": ["cisplatin 75 mg/m2"]}
    low = assess({**base, "labs": [{"display": "magnesium", "value": 0.45, "unit": "mmol/L"}]})
    normal = assess({**base, "labs": [{"display": "magnesium", "value": 0.9, "unit": "mmol/L"}]})
    assert ranked(low)[0] == "hypomagnesemia"
    assert probability(normal, "hypomagnesemia") < 0.05


def test_osmotic_laxatives_do_not_count_as_potassium_wasting(assess):
    findings = ["muscle weakness", "muscle cramps"]
    macrogol = assess({"findings": findings, "medications": ["Movicol 1 sachet daily"]})
    bisacodyl = assess({"findings": findings, "medications": ["bisacodyl 10 mg daily"]})
    assert probability(bisacodyl, "hypokalemia") > probability(macrogol, "hypokalemia")


def test_ferric_carboxymaltose_counts_after_the_infusion_is_completed(assess):
    context = {
        "findings": ["muscle weakness", "paresthesia"],
        "medications": [{"display": "ferric carboxymaltose 1 g infusion", "status": "completed"}],
    }
    assert ranked(assess(context))[0] == "hypophosphatemia"


def test_carpopedal_spasm_on_denosumab_ranks_hypocalcaemia_first(assess):
    result = assess({"findings": ["carpopedal spasm"], "medications": ["denosumab 60 mg every 6 months"]})
    assert ranked(result)[0] == "hypocalcemia"


# --- Statins: past exposure, interactions and doses, twitching ---------------------------------


def test_a_stopped_statin_weighs_less_than_a_current_one(assess):
    findings = ["aching thighs", "proximal weakness"]
    current = assess({"findings": findings, "medications": ["atorvastatin 40 mg"]})
    stopped = assess({"findings": findings, "medications": [{"display": "atorvastatin 40 mg", "status": "stopped"}]})
    assert probability(stopped, "statin_myopathy") < probability(current, "statin_myopathy") / 2


def test_daptomycin_myopathy_after_the_statin_was_stopped_ranks_above_statin_myopathy(assess):
    context = {
        "findings": ["muscle weakness", "myalgia"],
        "medications": [
            {"display": "rosuvastatin 20 mg", "status": "stopped"},
            "daptomycin 8 mg/kg IV daily",
        ],
        "labs": [CK_HIGH],
    }
    result = assess(context)
    assert ranked(result).index("toxic_myopathy") < ranked(result).index("statin_myopathy")
    toxic = by_id(result, "toxic_myopathy")
    assert any("cubicin_label" in e["references"] for e in toxic["evidence"])


def test_a_statin_whose_end_date_precedes_the_symptoms_counts_as_stopped(assess):
    findings = [{"display": "proximal weakness", "onset_date": "2026-06-01"}, "myalgia"]
    ended = {"display": "simvastatin 40 mg", "status": "active", "end_date": "2026-03-01"}
    still = {"display": "simvastatin 40 mg", "status": "active", "end_date": "2026-09-01"}
    before = assess({"findings": findings, "medications": [ended]})
    during = assess({"findings": findings, "medications": [still]})
    assert probability(before, "statin_myopathy") < probability(during, "statin_myopathy")
    inputs = [e["input"] for e in by_id(before, "statin_myopathy")["evidence"]]
    assert any("ended 2026-03-01" in i for i in inputs)


@pytest.mark.parametrize(
    "section, text, exposure",
    [
        ("medications", "atorvastatin 40 mg - stopped in March", "past"),
        ("medications", "atorvastatin (discontinued)", "past"),
        ("medications", "previously on simvastatin", "past"),
        ("medications", "no longer taking atorvastatin", "past"),
        ("medications", "not taking atorvastatin", "denied"),
        ("medications", "atorvastatin 40 mg nightly", "current"),
        ("medications", "simvastatin 20 mg, restarted after being stopped for two weeks", "current"),
        ("findings", "aches got better after the statin was stopped", "past"),
        ("findings", "no statin", "denied"),
    ],
)
def test_words_that_say_a_drug_was_stopped_make_it_a_past_exposure(kb, section, text, exposure):
    facts = resolve(kb, ContextSchema().load({section: [text]})).facts
    assert {f.exposure for f in facts.medications["statin"]} == {exposure}


def test_a_coded_statin_whose_display_says_stopped_is_a_past_exposure(kb):
    coded = {"code": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "83367"}}
    item = {**coded, "display": "atorvastatin 40 mg (discontinued 2026-05-01)", "status": "active"}
    facts = resolve(kb, ContextSchema().load({"medications": [item]})).facts
    assert {f.exposure for f in facts.medications["statin"]} == {"past"}


def test_a_statin_stopped_for_the_symptoms_still_prompts_a_search_for_other_causes(assess):
    context = {"findings": ["aching thighs"], "medications": [{"display": "atorvastatin 40 mg", "status": "stopped"}]}
    assert "statin_symptoms_check_other_causes" in {p["id"] for p in assess(context)["pitfalls"]}


def test_an_old_diagnosis_on_the_problem_list_does_not_date_the_symptoms(assess):
    findings = [{"display": "proximal weakness", "onset_date": "2026-06-01"}, "myalgia"]
    conditions = [{"display": "hypertension", "onset_date": "2010-01-01"}]
    ended = {"display": "simvastatin 40 mg", "status": "active", "end_date": "2026-03-01"}
    result = assess({"findings": findings, "conditions": conditions, "medications": [ended]})
    inputs = [e["input"] for e in by_id(result, "statin_myopathy")["evidence"]]
    assert any("ended 2026-03-01" in i for i in inputs)


@pytest.mark.parametrize(
    "statin, partner, over_limit",
    [
        ("simvastatin 40 mg", "amlodipine 10 mg", True),
        ("simvastatin 20 mg", "amlodipine 10 mg", False),
        ("simvastatin 20 mg", "diltiazem 120 mg", True),
        ("simvastatin 10 mg", "verapamil 240 mg", False),
        ("simvastatin 40 mg", "amiodarone 200 mg", True),
        ("simvastatin 40 mg", "ranolazine 500 mg bd", True),
        ("simvastatin 20 mg", "Multaq 400 mg bd", True),
        ("lovastatin 40 mg", "verapamil 240 mg", True),
        ("lovastatin 20 mg", "diltiazem 180 mg", False),
        ("lovastatin 80 mg", "amiodarone 200 mg", True),
        ("lovastatin 40 mg", "amiodarone 200 mg", False),
    ],
)
def test_a_statin_over_its_labelled_dose_with_an_interacting_drug_raises_statin_myopathy(
    assess, statin, partner, over_limit
):
    findings = ["aching thighs"]
    alone = probability(assess({"findings": findings, "medications": [statin]}), "statin_myopathy")
    both = probability(assess({"findings": findings, "medications": [statin, partner]}), "statin_myopathy")
    assert (both > alone * 1.5) is over_limit


def test_an_interacting_drug_with_the_statin_dose_unwritten_weighs_less_than_a_dose_over_the_limit(assess):
    findings = ["aching thighs"]
    unknown = assess({"findings": findings, "medications": ["simvastatin", "diltiazem 120 mg"]})
    over = assess({"findings": findings, "medications": ["simvastatin 40 mg", "diltiazem 120 mg"]})
    alone = assess({"findings": findings, "medications": ["simvastatin"]})
    assert (
        probability(alone, "statin_myopathy")
        < probability(unknown, "statin_myopathy")
        < probability(over, "statin_myopathy")
    )


@pytest.mark.parametrize(
    "partner",
    [
        "clarithromycin 500 mg bd",
        "itraconazole 200 mg",
        "ketoconazole 200 mg",
        "posaconazole 300 mg",
        "ritonavir 100 mg",
        "darunavir/cobicistat",
        "gemfibrozil 600 mg bd",
        "ciclosporin 100 mg bd",
    ],
)
def test_contraindicated_partners_raise_statin_myopathy_and_rhabdomyolysis(assess, partner):
    context = {"findings": ["aching thighs", "dark urine"], "labs": [CK_HIGH]}
    alone = assess({**context, "medications": ["simvastatin 40 mg"]})
    both = assess({**context, "medications": ["simvastatin 40 mg", partner]})
    assert probability(both, "statin_myopathy") > probability(alone, "statin_myopathy")
    assert probability(both, "rhabdomyolysis") > probability(alone, "rhabdomyolysis")


def test_fenofibrate_with_a_statin_counts_less_than_gemfibrozil(assess):
    findings = ["aching thighs"]
    feno = assess({"findings": findings, "medications": ["atorvastatin 40 mg", "fenofibrate 145 mg"]})
    gem = assess({"findings": findings, "medications": ["atorvastatin 40 mg", "gemfibrozil 600 mg bd"]})
    alone = assess({"findings": findings, "medications": ["atorvastatin 40 mg"]})
    assert (
        probability(alone, "statin_myopathy")
        < probability(feno, "statin_myopathy")
        < probability(gem, "statin_myopathy")
    )


@pytest.mark.parametrize("twitch", ["muscle twitching", "fasciculations in both calves"])
def test_a_statin_alone_does_not_put_statin_myopathy_first_when_twitching_is_the_only_complaint(assess, twitch):
    result = assess({"findings": [twitch], "medications": ["atorvastatin 40 mg daily"], "patient": {"age": 52}})
    assert ranked(result)[0] != "statin_myopathy"


def test_twitching_with_muscle_aching_on_a_statin_still_points_at_the_statin(assess):
    result = assess({"findings": ["muscle twitching", "aching thighs"], "medications": ["atorvastatin 40 mg daily"]})
    assert ranked(result)[0] == "statin_myopathy"


@pytest.mark.parametrize(
    "text, name, dose",
    [
        ("simvastatin 40 mg daily", "simvastatin", 40),
        ("Simvastatin 20mg bd", "simvastatin", 40),
        ("amlodipine 10 mg, simvastatin 40 mg", "simvastatin", 40),
        ("simvastatin 40 MG Oral Tablet", "", 40),
        ("simvastatin", "simvastatin", None),
        ("fentanyl 25 mcg/h patch", "fentanyl", 0.025),
    ],
)
def test_the_daily_dose_is_read_after_the_drug_name(text, name, dose):
    assert dose_mg(text, name) == (pytest.approx(dose) if dose is not None else None)


def test_a_coded_clinical_drug_gives_its_strength_as_the_dose(assess, kb):
    code = next(
        code for code, name in kb.ingredients["atorvastatin"].products.items() if "MG" in name
    )  # an RxNorm clinical drug the vocabulary names
    coded = {"code": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}}
    result = assess({"findings": ["aching thighs"], "medications": [coded]})
    assert by_id(result, "statin_myopathy") is not None


# --- Drug codes ---------------------------------------------------------------------------------

# Verified RxNorm ingredient RXCUIs (sources in the header of vocabulary/drugs.yaml).
RXNORM = {
    "clarithromycin": "21212",
    "itraconazole": "28031",
    "amiodarone": "703",
    "raloxifene": "72143",
    "fenofibrate": "8703",
    "prochlorperazine": "8704",
    "cetuximab": "318341",
    "panitumumab": "263034",
    "ferric_carboxymaltose": "1433693",
    "cinacalcet": "407990",
    "ranolazine": "35829",
    "dronedarone": "233698",
    "torsemide": "38413",
    "darunavir": "460132",
    "insulin_lispro": "86009",
}


@pytest.mark.parametrize("drug, rxcui", sorted(RXNORM.items()))
def test_a_verified_rxnorm_ingredient_code_resolves_to_its_drug(kb, drug, rxcui):
    assert rxcui in kb.ingredients[drug].rxnorm
    assert kb.terminology.drug_by_code("rxnorm", rxcui) == drug


def test_a_coded_clarithromycin_with_simvastatin_is_read_as_the_interaction(assess):
    coded = {"code": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "21212"}}
    context = {"findings": ["aching thighs"]}
    alone = assess({**context, "medications": ["simvastatin 40 mg"]})
    both = assess({**context, "medications": ["simvastatin 40 mg", coded]})
    assert probability(both, "statin_myopathy") > probability(alone, "statin_myopathy")


# --- Codes with the wrong meaning -------------------------------------------------------------

# ICD-10-CM codes whose whole meaning (description, inclusion terms, children) is wider than
# the entry they used to feed; none may come back there, by itself or through a parent.
TOO_WIDE = [
    ("G51.4", "myokymia", "facial myokymia: brainstem or MS, not the generalised myokymia of Isaacs"),
    ("G71.19", "isaacs_dx", "other myotonic disorders: paramyotonia, myotonia fluctuans as well as neuromyotonia"),
    ("E83.39", "hypophosphatemia_dx", "other phosphorus disorders: hypophosphatasia and high phosphate too"),
    ("E53.8", "b12_deficiency_dx", "other B vitamins: folate, biotin, pantothenate too"),
    ("T67.0", "hyperthermia", "heatstroke and sunstroke: environmental heat illness"),
    ("T67.01", "hyperthermia", "heatstroke and sunstroke: environmental heat illness"),
    ("T67.02", "hyperthermia", "exertional heatstroke"),
    ("R45.1", "agitation", "restlessness as well as agitation"),
    ("T79.6", "rhabdomyolysis_dx", "traumatic ischaemia of muscle, incl. Volkmann contracture"),
    ("N10", "urinary_tract_infection", "acute pyelonephritis, incl. myoglobin and haemoglobin nephrosis"),
    ("R10.2", "abdominal_pain", "pelvic and perineal pain"),
    ("R35.1", "polyuria", "nocturia"),
    ("F17.211", "smoking", "nicotine dependence in remission"),
    ("F17.201", "smoking", "nicotine dependence in remission"),
    ("F10.21", "alcohol_use_disorder", "alcohol dependence in remission"),
    ("F10.11", "alcohol_use_disorder", "alcohol abuse in remission"),
    ("H46.2", "optic_neuritis_symptoms", "nutritional optic neuropathy"),
    ("H46.3", "optic_neuritis_symptoms", "toxic optic neuropathy"),
    ("M06.1", "rheumatoid_arthritis", "adult-onset Still's disease"),
    ("M06.4", "rheumatoid_arthritis", "inflammatory polyarthropathy"),
    ("Z49.01", "dialysis_dependence", "preparatory care for dialysis (catheter fitting)"),
    ("E20.1", "hypoparathyroidism", "pseudohypoparathyroidism (PTH resistance, PTH high)"),
    ("E24.4", "cushing_syndrome", "alcohol-induced pseudo-Cushing syndrome"),
    ("I48.3", "atrial_fibrillation", "typical atrial flutter"),
    ("I48.92", "atrial_fibrillation", "unspecified atrial flutter"),
    ("K52.83", "gastroenteritis", "microscopic colitis"),
    ("O21.2", "hyperemesis", "late vomiting of pregnancy"),
    ("E45", "malnutrition", "stunting after malnutrition"),
    ("I20.1", "coronary_artery_disease", "angina with documented spasm"),
]


@pytest.mark.parametrize("code, concept, why", TOO_WIDE, ids=[f"{c}-{k}" for c, k, _ in TOO_WIDE])
def test_a_code_wider_than_an_entry_does_not_resolve_to_it(kb, code, concept, why):
    assert code not in kb.concepts[concept].icd10cm, why
    assert kb.terminology.concept_by_code("icd10cm", code) != concept, why


@pytest.mark.parametrize(
    "code, concept",
    [
        ("G51.4", "facial_myokymia"),
        ("F10.21", "alcohol_use_disorder_in_remission"),
        ("F10.20", "alcohol_use_disorder"),
        ("F10.2", "alcohol_use_disorder"),
        ("F17.210", "smoking"),
        ("R10.13", "abdominal_pain"),
        ("I48.21", "atrial_fibrillation"),
        ("E20.81", "hypoparathyroidism"),
        ("D51.0", "b12_deficiency_dx"),
        ("E83.31", "hypophosphatemia_dx"),
    ],
)
def test_the_fitting_codes_still_resolve(kb, code, concept):
    assert kb.terminology.concept_by_code("icd10cm", code) == concept


def test_facial_myokymia_does_not_feed_isaacs_syndrome(assess):
    coded = {"code": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G51.4"}, "display": "Facial myokymia"}
    for findings in ([coded], ["facial myokymia"], ["myokymia of the face"]):
        assert by_id(assess({"findings": findings}), "isaacs_syndrome") is None
    limbs = assess({"findings": ["myokymia in both calves", "muscle stiffness"]})
    assert ranked(limbs)[0] == "isaacs_syndrome"


def test_heatstroke_does_not_count_as_drug_hyperthermia_for_serotonin_toxicity(assess):
    heatstroke = {"code": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "T67.01"}}
    result = assess({"findings": [heatstroke, "agitation", "clonus"], "medications": ["sertraline 100 mg"]})
    serotonin = next(c for c in result["differential"] if c["id"] == "serotonin_syndrome")
    assert not any("T67" in e["input"] for e in serotonin["evidence"])  # heat illness, not drug hyperthermia
    assert not any(item["input"].endswith("T67.01") for item in result["unrecognized"])  # read as heatstroke


# --- The source articles: twitch causes and triggers, MS spasm triggers, baclofen, Raynaud's ---


@pytest.mark.parametrize(
    "cause, context",
    [
        ("hypomagnesemia", {"labs": [{"display": "magnesium", "value": 0.45, "unit": "mmol/L"}]}),
        ("hypokalemia", {"labs": [{"display": "potassium", "value": 2.8, "unit": "mmol/L"}]}),
        ("vitamin_d_deficiency", {"labs": [{"display": "25-OH vitamin D", "value": 20, "unit": "nmol/L"}]}),
        ("ckd_cramps", {"conditions": ["end stage renal disease on haemodialysis"]}),
    ],
)
def test_twitching_counts_for_the_electrolyte_nutritional_and_kidney_causes_the_articles_name(assess, cause, context):
    quiet = assess({**context, "findings": ["tiredness"]})
    twitching = assess({**context, "findings": ["tiredness", "muscle twitching"]})
    assert probability(twitching, cause) > probability(quiet, cause)


@pytest.mark.parametrize("trigger", [{"findings": ["heavy alcohol use"]}, {"medications": ["prednisolone 40 mg"]}])
def test_alcohol_and_steroids_count_as_twitch_triggers(assess, trigger):
    base = {"findings": ["eyelid twitching"], "patient": {"age": 30}}
    merged = {**base, **trigger, "findings": base["findings"] + trigger.get("findings", [])}
    assert probability(assess(merged), "benign_twitch_triggers") > probability(assess(base), "benign_twitch_triggers")


def test_a_diuretic_counts_as_a_twitch_trigger(assess):
    base = {"findings": ["eyelid twitching"], "patient": {"age": 30}}
    on_diuretic = assess({**base, "medications": ["bendroflumethiazide 2.5 mg"]})
    assert probability(on_diuretic, "benign_twitch_triggers") > probability(assess(base), "benign_twitch_triggers")


@pytest.mark.parametrize("trigger", ["fatigue", "stress", "bedbound", "dehydration"])
def test_fatigue_stress_immobility_and_dehydration_weigh_towards_ms_spasms(assess, trigger):
    base = {"conditions": ["multiple sclerosis"], "findings": ["painful leg spasms"]}
    triggered = assess({**base, "findings": [*base["findings"], trigger]})
    assert probability(triggered, "ms_spasticity") > probability(assess(base), "ms_spasticity")


@pytest.mark.parametrize(
    "context",
    [
        {
            "conditions": ["multiple sclerosis"],
            "findings": ["leg spasms", "fever"],
            "medications": [{"display": "baclofen 20 mg three times daily", "status": "stopped"}],
        },
        {"conditions": ["spinal cord injury"], "findings": ["baclofen pump alarm", "rigid legs"]},
        {"findings": ["intrathecal baclofen withdrawal"]},
    ],
    ids=["oral-stopped", "pump-alarm", "named"],
)
def test_stopped_or_interrupted_baclofen_raises_the_withdrawal_pitfall(assess, context):
    pitfalls = {p["id"] for p in assess(context)["pitfalls"]}
    assert "baclofen_withdrawal" in pitfalls


def test_baclofen_taken_as_prescribed_raises_no_withdrawal_pitfall(assess):
    context = {
        "conditions": ["multiple sclerosis"],
        "findings": ["leg spasms", "fever"],
        "medications": ["baclofen 20 mg tds"],
    }
    assert "baclofen_withdrawal" not in {p["id"] for p in assess(context)["pitfalls"]}


def test_stopped_baclofen_weighs_towards_rebound_ms_spasticity(assess):
    base = {"conditions": ["multiple sclerosis"], "findings": ["leg spasms"]}
    stopped = assess({**base, "medications": [{"display": "baclofen 10 mg", "status": "stopped"}]})
    taken = assess({**base, "medications": ["amlodipine 5 mg"]})
    assert probability(stopped, "ms_spasticity") > probability(taken, "ms_spasticity")


@pytest.mark.parametrize(
    "raynaud",
    ["Raynaud's phenomenon", "raynauds", {"code": {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I73.00"}}],
)
def test_raynauds_is_read_and_flagged_as_vasospasm_not_a_muscle_spasm(assess, raynaud):
    result = assess({"conditions": [raynaud], "findings": ["finger cramps in the cold"]})
    assert "raynaud_not_muscle_spasm" in {p["id"] for p in result["pitfalls"]}
    assert not result["unrecognized"]


def test_cold_fingers_without_raynauds_raise_no_raynaud_pitfall(assess):
    result = assess({"findings": ["finger cramps in the cold"]})
    assert "raynaud_not_muscle_spasm" not in {p["id"] for p in result["pitfalls"]}


def test_a_combination_product_gives_each_ingredient_its_own_strength(assess):
    findings = ["aching thighs"]
    over = assess({"findings": findings, "medications": ["ezetimibe/simvastatin 10/40 mg", "diltiazem 120 mg"]})
    within = assess({"findings": findings, "medications": ["ezetimibe/simvastatin 10/10 mg", "diltiazem 120 mg"]})
    assert probability(over, "statin_myopathy") > probability(within, "statin_myopathy")


def test_another_moderate_cyp3a4_inhibitor_with_simvastatin_counts_whatever_the_dose(assess):
    findings = ["aching thighs"]
    alone = assess({"findings": findings, "medications": ["simvastatin 20 mg"]})
    both = assess({"findings": findings, "medications": ["simvastatin 20 mg", "fluconazole 200 mg"]})
    assert probability(both, "statin_myopathy") > probability(alone, "statin_myopathy")


@pytest.mark.parametrize("text, name", [("Vytorin 10/40 mg", "vytorin"), ("Caduet 10/80 mg daily", "caduet")])
def test_a_brand_combination_whose_figures_cannot_be_matched_to_names_has_no_dose(text, name):
    assert dose_mg(text, name) is None


def test_no_rxnorm_code_names_two_drugs():
    seen: dict[str, str] = {}
    doubled = []
    for ingredient in yaml.safe_load((DATA / "vocabulary" / "drugs.yaml").read_text())["ingredients"]:
        for code in [*ingredient.get("rxnorm", []), *(ingredient.get("products") or {})]:
            if code in seen:
                doubled.append((code, seen[code], ingredient["id"]))
            seen[code] = ingredient["id"]
    assert doubled == []


def test_denosumab_in_advanced_kidney_disease_weighs_more_than_denosumab_alone(assess):
    findings = ["perioral tingling", "muscle cramps"]
    alone = assess({"findings": findings, "medications": ["Prolia 60 mg"]})
    dialysis = assess({"findings": findings, "medications": ["Prolia 60 mg"], "conditions": ["on haemodialysis"]})
    assert probability(dialysis, "hypocalcemia") > probability(alone, "hypocalcemia")
    assert any("fda_denosumab_2024" in e["references"] for e in by_id(dialysis, "hypocalcemia")["evidence"])


def test_a_stop_word_far_from_the_drug_does_not_make_it_past(kb):
    text = (
        "muscle pain began in June on atorvastatin; the CK that had been checked before starting it "
        "was normal, as were the ones taken previously"
    )
    facts = resolve(kb, ContextSchema().load({"findings": [text]})).facts
    assert {f.exposure for f in facts.medications["statin"]} == {"current"}


@pytest.mark.parametrize("dose", [{"min": 10}, {"above": "ten"}, {"above": -1}, 10])
def test_a_malformed_dose_stops_loading_and_names_the_key(tmp_path, dose):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    path = target / "causes" / "drug_induced.yaml"
    causes = yaml.safe_load(path.read_text())
    causes[0]["evidence"][0]["when"] = {"medication": "simvastatin", "dose": dose}
    path.write_text(yaml.safe_dump(causes, sort_keys=False))
    with pytest.raises(KnowledgeError) as caught:
        loader.load(target)
    assert "evidence[0].when.dose" in str(caught.value)


def test_a_statin_with_nothing_to_explain_weighs_little(assess):
    context = {"medications": ["rosuvastatin 10 mg"], "findings": ["insomnia", "tingling feet"]}
    alone = by_id(assess(context), "statin_myopathy")
    aching = by_id(assess({"medications": ["rosuvastatin 10 mg"], "findings": ["aching thighs"]}), "statin_myopathy")
    assert any("nothing for the statin to explain" in e["reason"] for e in alone["evidence"])
    assert not any("nothing for the statin to explain" in e["reason"] for e in aching["evidence"])
    assert alone["probability"] < aching["probability"] / 3


def test_bulbar_signs_on_a_statin_point_away_from_statin_myopathy(assess):
    context = {
        "patient": {"age": 66, "sex": "male"},
        "medications": ["simvastatin 20 mg nocte"],
        "findings": ["tongue fasciculations", "slurred speech for 4 months", "weak grip"],
    }
    result = assess(context)
    statin = by_id(result, "statin_myopathy")
    assert any("not statin muscle symptoms" in e["reason"] for e in statin["evidence"])
    assert ranked(result).index("als") < ranked(result).index("statin_myopathy")
