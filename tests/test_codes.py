"""Every code in the knowledge base is real: ICD-10-CM against the code set itself."""

from __future__ import annotations

import re

import simple_icd_10_cm as cm

LOINC = re.compile(r"^\d{1,7}-\d$")


def loinc_check_digit_ok(code: str) -> bool:
    # LOINC's mod-10 check digit (the Luhn variant LOINC publishes).
    body, check = code.split("-")
    digits = [int(d) for d in body]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(check)


def test_every_icd10cm_code_exists_in_the_code_set(kb):
    bad = {c.id: code for c in kb.concepts.values() for code in c.icd10cm if not cm.is_valid_item(code)}
    assert bad == {}


def test_every_loinc_code_is_well_formed_with_a_valid_check_digit(kb):
    bad = {
        lab.id: code
        for lab in kb.labs.values()
        for code in lab.loinc
        if not LOINC.match(code) or not loinc_check_digit_ok(code)
    }
    assert bad == {}


def test_codes_are_unique_within_their_system(kb):
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for concept in kb.concepts.values():
        for code in concept.snomed:
            if seen.setdefault(("snomed", code), concept.id) != concept.id:
                clashes.append((code, seen[("snomed", code)], concept.id))
    for ingredient in kb.ingredients.values():
        for code in (*ingredient.rxnorm, *ingredient.products):
            if seen.setdefault(("rxnorm", code), ingredient.id) != ingredient.id:
                clashes.append((code, seen[("rxnorm", code)], ingredient.id))
    assert clashes == []
