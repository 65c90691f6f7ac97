"""Compile the scoring path with mypyc; everything else about the package is in pyproject.toml.

mypy names a module after the folders it sits in, and this repository maps packages onto
top-level folders (rules/ is spasmdx.rules), so the sources are compiled through a tree of
symlinks laid out as the installed package.  After a successful build, spasmdx/native-build.json
records the hash of each compiled source; spasmdx/native.py uses the compiled modules only while
those hashes hold.  SPASMDX_PURE=1 builds (and runs) without compiling.
"""
from __future__ import annotations

import importlib.util
import json
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


def _native():
    spec = importlib.util.spec_from_file_location("spasmdx_native", ROOT / "spasmdx" / "native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = _native()


def _folder(package: str) -> Path:
    """A package's folder: mapped in pyproject.toml, or inside its parent's (spasmdx.batch)."""
    if package in PACKAGE_DIRS:
        return ROOT / PACKAGE_DIRS[package]
    parent, _, leaf = package.rpartition(".")
    return _folder(parent) / leaf


def _source(module: str) -> Path:
    package, _, leaf = module.rpartition(".")
    return _folder(package) / f"{leaf}.py"


def _staged(module: str) -> str:
    """Lay the packages out as installed (symlinks) and return the module's path in that tree."""
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


def _extensions():
    if os.environ.get("SPASMDX_PURE") == "1":
        return []
    from mypyc.build import mypycify

    shutil.rmtree(STAGE, ignore_errors=True)
    paths = [_staged(module) for module in NATIVE.COMPILED]
    options = ["--follow-imports=silent", "--ignore-missing-imports", f"--cache-dir={ROOT / 'build' / 'mypy-cache'}"]
    return mypycify(options + paths, group_name="spasmdx.rules.compiled", target_dir=str(ROOT / "build" / "mypyc"))


class BuildExt(build_ext):
    """Build the extensions, then record what they were built from (in place or in the wheel)."""

    def run(self) -> None:
        super().run()
        if not self.extensions:
            return
        where = ROOT / "spasmdx" if self.inplace else Path(self.build_lib) / "spasmdx"
        manifest = {}
        for module in NATIVE.COMPILED:
            source = _source(module)
            shown = Path(os.path.relpath(source, ROOT / "spasmdx")) if self.inplace \
                else Path(*module.split(".")[1:]).with_suffix(".py")
            manifest[module] = {"source": shown.as_posix(), "sha256": NATIVE.digest(source)}
        where.mkdir(parents=True, exist_ok=True)
        (where / NATIVE.MANIFEST.name).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
