"""Build spasmdx: plain Python by default; SPASMDX_COMPILE=1 compiles the scoring path with mypyc.

Everything else about the package is in pyproject.toml.  The compiled form is for release wheels
(`make release`, the Docker image): a wheel is built whole from its sources, so it cannot hold a
stale module.  An editable install is never compiled (BuildExt refuses), so what a developer edits
is what runs.  The modules to compile are listed once, in spasmdx/native.py.

mypy names a module after the folders it sits in, and this repository maps packages onto top-level
folders (rules/ is spasmdx.rules), so the sources are compiled through a tree of symlinks laid out
as the installed package.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tomllib
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
with open(ROOT / "pyproject.toml", "rb") as handle:  # the one place the folders are mapped to packages
    PACKAGE_DIRS: dict[str, str] = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
STAGE = ROOT / "build" / "mypyc-src"
COMPILE = os.environ.get("SPASMDX_COMPILE") == "1"


def _compiled_modules() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("spasmdx_native", ROOT / "spasmdx" / "native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.COMPILED


def _folder(package: str) -> Path:
    """A package's folder: mapped in pyproject.toml, or inside its parent's (spasmdx.batch)."""
    if package in PACKAGE_DIRS:
        return ROOT / PACKAGE_DIRS[package]
    parent, _, leaf = package.rpartition(".")
    return _folder(parent) / leaf


def _packages() -> list[str]:
    """Every folder under a mapped package, as a package: code, or data such as rules/data/causes."""
    found = set(PACKAGE_DIRS)
    for package, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*"):
            parts = path.relative_to(ROOT / folder).parts
            if path.is_dir() and "__pycache__" not in parts and all(part.isidentifier() for part in parts):
                found.add(".".join((package, *parts)))
    return sorted(found)


def _staged(module: str) -> str:
    """Lay the packages out as installed (symlinks) and return the module's path in that tree."""
    package, _, leaf = module.rpartition(".")
    if not (_folder(package) / f"{leaf}.py").exists():
        raise SystemExit(f"spasmdx/native.py lists {module}, but {_folder(package) / leaf}.py does not exist")
    if not STAGE.exists():
        for package, folder in PACKAGE_DIRS.items():
            if package == "spasmdx":
                target = STAGE / "spasmdx"
                target.mkdir(parents=True)
                # its modules, and the packages that sit inside it (spasmdx/batch)
                for path in (ROOT / folder).glob("*.py"):
                    (target / path.name).symlink_to(path)
                for path in (ROOT / folder).glob("*/__init__.py"):
                    (target / path.parent.name).symlink_to(path.parent, target_is_directory=True)
            else:
                link = STAGE / package.replace(".", "/")
                link.symlink_to(ROOT / folder, target_is_directory=True)
    return str(STAGE / module.replace(".", "/")) + ".py"


def _extensions() -> list:
    if not COMPILE:
        return []
    from mypyc.build import mypycify  # build_backend.py asks for mypy only when compiling

    shutil.rmtree(STAGE, ignore_errors=True)
    paths = [_staged(module) for module in _compiled_modules()]
    options = ["--follow-imports=silent", "--ignore-missing-imports", f"--cache-dir={ROOT / 'build' / 'mypy-cache'}"]
    return mypycify(options + paths, group_name="spasmdx.rules.compiled", target_dir=str(ROOT / "build" / "mypyc"))


class BuildExt(build_ext):
    """Build the extensions into a wheel, never beside the sources, where they would shadow later edits."""

    def run(self) -> None:
        if self.extensions and self.inplace:
            raise SystemExit(
                "SPASMDX_COMPILE=1 builds release wheels only (make release); an editable install runs the sources"
            )
        super().run()


setup(packages=_packages(), ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
