"""Unit spellings folded to one key, so that 'mg/dl', 'mg/dL' and 'MG/DL' meet.

Conversion factors live with each lab in the knowledge base (vocabulary/labs.yaml):
mass-to-molar conversion depends on the analyte's molar mass, so there is no
analyte-free unit algebra worth having here.  This module only says when two
spellings name the same unit.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Written forms of one unit, in the order they are applied to a lowercased string.
_REWRITES: tuple[tuple[str, str], ...] = (
    ("µ", "u"),
    ("μ", "u"),
    ("mcg", "ug"),
    ("[iu]", "iu"),
    ("international units", "iu"),
    ("units", "u"),
    ("unt", "u"),
    ("litre", "l"),
    ("liter", "l"),
    ("/hour", "/h"),
    ("/hr", "/h"),
    ("k/ul", "10*3/ul"),
    ("x10^3/ul", "10*3/ul"),
    ("10^3/ul", "10*3/ul"),
    ("thou/ul", "10*3/ul"),
    ("x10^9/l", "10*9/l"),
    ("10^9/l", "10*9/l"),
    ("x10*9/l", "10*9/l"),
    # Per body surface area (eGFR), as labs send it: "mL/min/1.73m2", "mL/min/1.73 m2",
    # "ml/min/1.73m^2", "mL/min/1.73 m²", "mL/min/1.73m*2" and UCUM's "mL/min/{1.73_m2}".
    ("{1.73_m2}", "1.73m2"),
    ("1.73_m2", "1.73m2"),
    ("1.73m^2", "1.73m2"),
    ("1.73m²", "1.73m2"),
    ("1.73m*2", "1.73m2"),
    ("1.73sq.m", "1.73m2"),
    ("1.73sqm", "1.73m2"),
    # D-dimer in fibrinogen-equivalent units, the lab's own unit ("mg/L FEU"); DDU stays unknown.
    ("feu", ""),
)
_PER_DAY = re.compile(r"/\(?(?:24\.?h|24 ?hours?|d|day)\)?$")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def unit_key(unit: str) -> str:
    """Return the comparison key of a unit spelling ('' for no unit)."""
    key = _SPACES.sub("", unit.strip().lower())
    for old, new in _REWRITES:
        key = key.replace(old, new)
    key = _PER_DAY.sub("/24h", key)
    if key in ("1", "ratio", "{ratio}"):
        return "1"
    return key
