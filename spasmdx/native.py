"""The modules a release build compiles with mypyc, and which of the two forms this process runs.

Development installs (`pip install -e .`, `make run`, `make test`) are plain Python: every edit
runs at once.  A release wheel (`SPASMDX_COMPILE=1`, built by `make release` and by the Docker
image) compiles the modules in COMPILED from the sources it ships, all in one build, so a wheel
never mixes old and new code.  setup.py reads COMPILED from here: standard library only.
"""

from __future__ import annotations

import importlib.util

# The scoring path: the engine, resolution, matching, fast validation and the batch worker.
# Add a module here when it sits on that path; a compiled module may import any plain one.
COMPILED = (
    "spasmdx.scoring",
    "spasmdx.batch.formats",
    "spasmdx.batch.worker",
    "spasmdx.rules.cause_is",
    "spasmdx.rules.composites",
    "spasmdx.rules.concept_is",
    "spasmdx.rules.derive",
    "spasmdx.rules.engine",
    "spasmdx.rules.facts",
    "spasmdx.rules.knowledge",
    "spasmdx.rules.lab_is",
    "spasmdx.rules.lab_text",
    "spasmdx.rules.matching",
    "spasmdx.rules.measured",
    "spasmdx.rules.medication_is",
    "spasmdx.rules.model",
    "spasmdx.rules.patient_is",
    "spasmdx.rules.predicates",
    "spasmdx.rules.program",
    "spasmdx.rules.resolve",
    "spasmdx.rules.score_is",
    "spasmdx.rules.scores",
    "spasmdx.rules.suggest",
    "spasmdx.rules.units",
    "spasmdx.schemas.fastpath",
)


def compiled_modules() -> list[str]:
    """The modules of COMPILED that import as C extensions here (none in a development install)."""
    found = []
    for module in COMPILED:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin is not None and not spec.origin.endswith(".py"):
            found.append(module)
    return found


def mode() -> str:
    """Name the form the engine runs in, for the start-up log."""
    count = len(compiled_modules())
    if count == 0:
        return "pure Python"
    if count == len(COMPILED):
        return f"compiled with mypyc ({count} modules)"
    return f"partly compiled with mypyc ({count} of {len(COMPILED)} modules)"
