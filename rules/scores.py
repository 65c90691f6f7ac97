"""Clinical scores computed from resolved facts, each shown as evidence with its value."""

from __future__ import annotations

import re

from .facts import ConceptFact, Facts, MedicationFact, Mention, Score

# The closed table of score names that rules may read: name -> what it is.
SCORES: dict[str, str] = {
    "sams_ci": "SAMS-CI (statin-associated muscle symptom clinical index)",
}

# CK bands in multiples of the upper limit of normal, as the statin guidance grades them.
CK_BANDS: tuple[tuple[float, str], ...] = ((4, "below 4 x ULN"), (10, "4-10 x ULN"), (40, "10-40 x ULN"))
CK_TOP_BAND = "over 40 x ULN"

MUSCLE_SYMPTOMS = (
    "myalgia",
    "muscle_cramp",
    "muscle_weakness",
    "proximal_weakness",
    "muscle_stiffness",
    "muscle_spasm",
    "muscle_tenderness",
)
_BOTH_SIDES = re.compile(r"\b(both|bilateral\w*|symmetric\w*|thighs|calves|shoulders|hips|arms|legs)\b")
_HIP_THIGH = re.compile(r"\b(hip|hips|thigh|thighs|buttock\w*|quadriceps|proximal leg\w*)\b")
_CALF = re.compile(r"\b(calf|calves)\b")
_UPPER_PROXIMAL = re.compile(r"\b(shoulder\w*|upper arms?|deltoid\w*|proximal arm\w*)\b")


def ck_band(multiple: float) -> str:
    """Return the CK band of a multiple of the upper limit of normal."""
    for limit, label in CK_BANDS:
        if multiple < limit:
            return label
    return CK_TOP_BAND


def compute(facts: Facts) -> None:
    """Add every score the facts allow to `facts.scores`."""
    sams = _sams_ci(facts)
    if sams:
        facts.scores["sams_ci"] = sams


def _sams_ci(facts: Facts) -> Score | None:
    # Rosenson RS et al., Cardiovasc Drugs Ther 2017;31:179-86.  A: location and pattern
    # (symmetric hip/thigh 3, symmetric calf 2, symmetric upper proximal 2, other 1);
    # B: onset after starting (< 4 weeks 3, 4-12 weeks 2, > 12 weeks 1); C: improvement
    # after withdrawal (< 2 weeks 2, 2-4 weeks 1, none by 4 weeks 0); D: recurrence on
    # rechallenge (< 4 weeks 3, 4-12 weeks 1).  9-11 probable, 7-8 possible, 2-6 unlikely.
    statins = [f for f in facts.medications.get("statin", ()) if f.exposure in ("current", "past")]
    symptoms = [f for c in MUSCLE_SYMPTOMS for f in facts.concepts.get(c, ()) if f.present]
    if not statins or not symptoms:
        return None
    pattern = max(_pattern_points(f) for f in symptoms)
    onset = _onset_points(statins, symptoms)
    if onset is None:
        return None
    parts = [f"pattern {pattern}", f"onset {onset}"]
    total = pattern + onset
    for concept, label, if_present in (
        ("symptoms_resolved_on_stopping", "dechallenge", 1),
        ("symptoms_recurred_on_rechallenge", "rechallenge", 1),
    ):
        found = facts.concepts.get(concept)
        if found:
            # Timing is rarely charted: a reported improvement or recurrence scores the
            # lower band (dechallenge 2-4 weeks, rechallenge 4-12 weeks), never more.
            points = if_present if any(f.present for f in found) else 0
            total += points
            parts.append(f"{label} {points}")
        else:
            parts.append(f"{label} not given")
    text = f"SAMS-CI {total} ({', '.join(parts)})"
    paths = sorted({f.mention.path for f in statins} | {f.mention.path for f in symptoms})
    return Score("sams_ci", float(total), Mention(text, "+".join(paths)))


def _pattern_points(fact: ConceptFact) -> int:
    text = fact.mention.input.lower()
    symmetric = bool(_BOTH_SIDES.search(text)) or fact.concept == "proximal_weakness"
    if not symmetric:
        return 1
    if _HIP_THIGH.search(text) or fact.concept == "proximal_weakness":
        return 3
    if _CALF.search(text) or _UPPER_PROXIMAL.search(text):
        return 2
    return 1


def _onset_points(statins: list[MedicationFact], symptoms: list[ConceptFact]) -> int | None:
    starts = [f.start_date for f in statins if f.start_date]
    onsets = [f.onset_date for f in symptoms if f.onset_date]
    if not starts or not onsets:
        return None
    first = min(onsets)
    before = [start for start in starts if start <= first]
    if not before:
        return 0  # symptoms began before the statin: not scored as statin-related
    days = (first - max(before)).days
    return 3 if days < 28 else 2 if days <= 84 else 1
