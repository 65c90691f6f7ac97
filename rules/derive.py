"""Values a clinician would compute from the context: corrected calcium, eGFR, BUN:creatinine, scores."""

from __future__ import annotations

import math

from . import scores
from .facts import Facts, LabResult, Mention
from .knowledge import KnowledgeBase


def derive(kb: KnowledgeBase, facts: Facts) -> None:
    """Add derived lab results to `facts`, each naming the inputs it came from."""
    _corrected_calcium(kb, facts)
    _egfr(kb, facts)
    _bun_creatinine_ratio(kb, facts)
    scores.compute(facts)


def _first(facts: Facts, lab: str) -> LabResult | None:
    for result in facts.labs.get(lab, ()):
        if not result.status:  # a value, not a result reported only as raised or normal
            return result
    return None


def _add(kb: KnowledgeBase, facts: Facts, lab: str, value: float, text: str, path: str) -> None:
    if lab not in kb.labs:
        return
    reference = kb.labs[lab].default_range(facts.sex)
    mention = Mention(text, path)
    facts.labs.setdefault(lab, []).append(LabResult(lab, value, reference.low, reference.high, mention))


def _corrected_calcium(kb: KnowledgeBase, facts: Facts) -> None:
    # Payne's correction: add 0.02 mmol/L of calcium for each g/L of albumin below 40
    # (0.8 mg/dL per g/dL below 4); Payne RB et al., BMJ 1973;4:643-6.
    calcium, albumin = _first(facts, "calcium"), _first(facts, "albumin")
    if calcium is None or albumin is None or "calcium_corrected" in facts.labs:
        return  # a corrected calcium the lab sent is used as it is: never corrected twice
    calcium_mg_dl = kb.units.express("calcium", calcium.value, "mg/dL")
    albumin_g_dl = kb.units.express("albumin", albumin.value, "g/dL")
    corrected = calcium_mg_dl + 0.8 * (4.0 - albumin_g_dl)
    text = f"Albumin-corrected calcium {corrected:.1f} mg/dL"
    value = kb.units.to_canonical("calcium_corrected", "mg/dL", corrected)
    _add(kb, facts, "calcium_corrected", value, text, f"{calcium.mention.path}+{albumin.mention.path}")


def _egfr(kb: KnowledgeBase, facts: Facts) -> None:
    # CKD-EPI 2021 creatinine equation without race; Inker LA et al., NEJM 2021;385:1737-49.
    creatinine = _first(facts, "creatinine")
    if creatinine is None or "egfr" in facts.labs or facts.age is None or facts.sex not in ("female", "male"):
        return
    if creatinine.value <= 0:  # not a measurable creatinine: no eGFR rather than a division by zero
        return
    scr = kb.units.express("creatinine", creatinine.value, "mg/dL")
    kappa, alpha, factor = (0.7, -0.241, 1.012) if facts.sex == "female" else (0.9, -0.302, 1.0)
    ratio = scr / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**facts.age * factor
    text = f"eGFR {egfr:.0f} mL/min/1.73m2 (CKD-EPI 2021 from creatinine)"
    _add(kb, facts, "egfr", egfr, text, creatinine.mention.path)


def _bun_creatinine_ratio(kb: KnowledgeBase, facts: Facts) -> None:
    # A BUN:creatinine ratio over 20 (both in mg/dL) suggests prerenal volume depletion.
    bun, creatinine = _first(facts, "urea_nitrogen"), _first(facts, "creatinine")
    if bun is None or creatinine is None or not creatinine.value:
        return
    ratio = kb.units.express("urea_nitrogen", bun.value, "mg/dL") / kb.units.express(
        "creatinine", creatinine.value, "mg/dL"
    )
    if math.isfinite(ratio):
        text = f"BUN:creatinine ratio {ratio:.0f}"
        _add(kb, facts, "bun_creatinine_ratio", ratio, text, f"{bun.mention.path}+{creatinine.mention.path}")
