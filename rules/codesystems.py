"""The code systems spasmdx reads and writes, stated once: short name, URI, and other spellings.

The engine works with the short names; FHIR resources, the API and the vocabulary endpoint
carry the URIs.  Everything that needs either imports them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

SNOMED: Final = "snomed"
ICD10CM: Final = "icd10cm"
RXNORM: Final = "rxnorm"
ATC: Final = "atc"
LOINC: Final = "loinc"
UCUM: Final = "ucum"

# The canonical URI of each, as FHIR R4 names it (and api-contract.md asks clients to send).
URI: Final[Mapping[str, str]] = {
    SNOMED: "http://snomed.info/sct",
    ICD10CM: "http://hl7.org/fhir/sid/icd-10-cm",
    RXNORM: "http://www.nlm.nih.gov/research/umls/rxnorm",
    ATC: "http://www.whocc.no/atc",
    LOINC: "http://loinc.org",
    UCUM: "http://unitsofmeasure.org",
}
# The systems a clinical code may come in, with the other names people type for them.
# (UCUM codes units, which are read as units, never looked up as codes.)
ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    RXNORM: (),
    ATC: (),
    SNOMED: ("snomed-ct", "sct"),
    ICD10CM: ("icd-10-cm", "icd-10"),
    LOINC: (),
}


def spellings() -> dict[str, str]:
    """Return every accepted spelling of a clinical code system (URI, short name, alias) -> its short name."""
    return {spelling: name for name, aliases in ALIASES.items() for spelling in (URI[name], name, *aliases)}
