"""setuptools' build backend, asking for mypy only when the build compiles (SPASMDX_COMPILE=1).

A plain install needs no compiler and no mypy; a release build gets the mypy that setup.py's
mypycify comes from, pinned here so every release compiles with the same mypyc.
"""

from __future__ import annotations

import os
import warnings

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  the standard hooks, unchanged
from setuptools.warnings import InformationOnly

# setuptools reports every editable install of a mapped layout with a notice that folders named like
# the package may shadow it: here the spasmdx/ folder is that package, so the notice says nothing.
warnings.filterwarnings("ignore", category=InformationOnly)

MYPYC = ["mypy==2.4.1"]


def _compiling() -> bool:
    return os.environ.get("SPASMDX_COMPILE") == "1"


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    if _compiling():  # setup.py imports mypyc as it runs, so it cannot be run to ask first
        return MYPYC
    return build_meta.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None) -> list[str]:
    if _compiling():  # compiled modules beside the sources would shadow every later edit
        raise SystemExit("SPASMDX_COMPILE=1 builds release wheels (make release); an editable install runs the sources")
    return build_meta.get_requires_for_build_editable(config_settings)


if _compiling():
    # Without this hook pip reads the metadata from the wheel it builds: mypyc runs once, not twice.
    del prepare_metadata_for_build_wheel  # noqa: F821  (imported by the * above)
