"""The scoring path compiled with mypyc, used only when it was built from the sources beside it.

setup.py compiles the modules in COMPILED into C extensions and then writes MANIFEST: the
SHA-256 of each source it compiled.  A compiled module is imported in preference to its `.py`,
so an edited source with a stale build beside it would silently run the old code.  The finder
installed here prevents that: unless the manifest matches every source, every module in COMPILED
is loaded from its `.py`, all together (compiled modules call each other natively, so a mix
would still run stale code).  SPASMDX_PURE=1 asks for the sources whatever was built.

This module is plain Python on purpose, and is read by setup.py: standard library only.
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Sequence

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
    "spasmdx.rules.units",
    "spasmdx.schemas.fastpath",
)
MANIFEST = Path(__file__).with_name("native-build.json")  # {module: {"source": path from here, "sha256": ...}}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def why_not_compiled(manifest: Path = MANIFEST) -> str | None:
    """None when the compiled modules may be used; else the reason the sources are used instead."""
    if os.environ.get("SPASMDX_PURE") == "1":
        return "SPASMDX_PURE=1"
    try:
        built = json.loads(manifest.read_text())
    except FileNotFoundError:
        return "no compiled build"
    except (OSError, ValueError) as error:
        return f"unreadable {manifest.name} ({error})"
    if sorted(built) != sorted(COMPILED):
        return "the compiled build is of another module list"
    for module, entry in built.items():
        source = manifest.parent / entry["source"]
        if source.exists() and digest(source) != entry["sha256"]:
            return f"{module} was edited after it was compiled (make install rebuilds it)"
    return None


class SourceFinder(importlib.abc.MetaPathFinder):
    """Load each module in COMPILED from its `.py`, ahead of any extension module beside it."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for folder in path:
            source = os.path.join(folder, leaf + ".py")
            if os.path.exists(source):
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def install() -> str | None:
    """Put SourceFinder first on sys.meta_path unless the compiled build is current; return why."""
    reason = why_not_compiled()
    if reason is not None and not any(isinstance(finder, SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, SourceFinder())
        if reason not in ("no compiled build", "SPASMDX_PURE=1"):
            warnings.warn(f"spasmdx: running the engine from its sources: {reason}", RuntimeWarning, stacklevel=2)
    return reason


def in_use() -> bool:
    """True when the engine modules imported so far are the compiled ones."""
    module = sys.modules.get("spasmdx.rules.engine")
    return module is not None and not (module.__file__ or "").endswith(".py")
