"""Clinical scores computed from the resolved facts (issue 3 fills this table in)."""
from __future__ import annotations

# The closed table of score names that rules may read: name -> what it is.
SCORES: dict[str, str] = {}
