"""The scoring path compiled with mypyc: in use when built, identical to its sources, never stale."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spasmdx import native

ROOT = Path(__file__).resolve().parent.parent
SPASMDX = str(Path(sys.executable).parent / "spasmdx")
CASE_FILES = [ROOT.parent / "shared" / "vignettes" / "public.jsonl", *sorted((ROOT / "tests").glob("*/*.jsonl"))]
PURE = os.environ.get("SPASMDX_PURE") == "1"
SOURCES = {package: Path(importlib.util.find_spec(package).submodule_search_locations[0])
           for package in {module.rpartition(".")[0] for module in native.COMPILED}}  # where each package's .py are


def _env(pure: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SPASMDX_PURE"}
    if pure:
        env["SPASMDX_PURE"] = "1"
    return env


def _engine_file(pure: bool) -> str:
    code = "import spasmdx.rules.engine as engine; print(engine.__file__)"
    return subprocess.run([sys.executable, "-c", code], env=_env(pure), capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.skipif(PURE, reason="built and run without compiling (SPASMDX_PURE=1)")
def test_the_installed_build_is_compiled_and_current():
    assert native.why_not_compiled() is None
    import spasmdx.rules.engine  # noqa: F401

    assert native.in_use()
    assert not _engine_file(pure=False).endswith(".py")


def test_spasmdx_pure_runs_the_sources():
    assert _engine_file(pure=True) == str(ROOT / "rules" / "engine.py")


@pytest.mark.skipif(PURE, reason="built and run without compiling (SPASMDX_PURE=1)")
def test_compiled_and_sources_give_the_same_bytes(tmp_path):
    synthetic = tmp_path / "synthetic.jsonl"
    subprocess.run([SPASMDX, "synth", "--n", "3000", "--seed", "11", "-o", str(synthetic)], check=True)
    worked = tmp_path / "worked.jsonl"  # the worked and test cases, as batch lines
    cases = [json.loads(line) for path in CASE_FILES for line in path.read_text().splitlines() if line.strip()]
    worked.write_text("".join(json.dumps({"case_id": case["id"], "context": case["context"]}) + "\n"
                              for case in cases))
    sources = [str(synthetic), str(worked)]
    outputs = {}
    for pure in (False, True):
        output = tmp_path / f"pure-{pure}.jsonl"
        subprocess.run([SPASMDX, "batch", *sources, "-o", str(output), "--workers", "1", "--no-progress"],
                       env=_env(pure), check=True, capture_output=True)
        outputs[pure] = output.read_bytes()
    records = [json.loads(line) for line in outputs[False].splitlines()]
    assert len(records) == 3000 + len(cases) > 3100
    assert not [record for record in records if "error" in record]
    assert outputs[False] == outputs[True]


def _manifest(tmp_path: Path, **changes: dict) -> Path:
    manifest = tmp_path / "native-build.json"
    body = {module: {"source": str(_source(module)), "sha256": native.digest(_source(module))}
            for module in native.COMPILED}
    body.update(changes)
    manifest.write_text(json.dumps(body))
    return manifest


def _source(module: str) -> Path:
    package, _, leaf = module.rpartition(".")
    return SOURCES[package] / f"{leaf}.py"



def test_a_build_is_used_only_while_every_source_matches_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SPASMDX_PURE", raising=False)
    assert native.why_not_compiled(_manifest(tmp_path)) is None
    edited = {"source": str(_source("spasmdx.rules.predicates")), "sha256": "0" * 64}
    assert "spasmdx.rules.predicates was edited" in native.why_not_compiled(
        _manifest(tmp_path, **{"spasmdx.rules.predicates": edited}))
    assert native.why_not_compiled(tmp_path / "missing.json") == "no compiled build"
    (tmp_path / "broken.json").write_text("{")
    assert native.why_not_compiled(tmp_path / "broken.json").startswith("unreadable")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"spasmdx.rules.engine": {"source": "x.py", "sha256": ""}}))
    assert native.why_not_compiled(other) == "the compiled build is of another module list"
    monkeypatch.setenv("SPASMDX_PURE", "1")
    assert native.why_not_compiled(_manifest(tmp_path)) == "SPASMDX_PURE=1"


def test_the_source_finder_loads_each_compiled_module_from_its_py_and_nothing_else():
    finder = native.SourceFinder()
    for module in native.COMPILED:
        package = module.rpartition(".")[0]
        spec = finder.find_spec(module, [str(SOURCES[package])])
        assert spec is not None and spec.origin == str(_source(module))
    assert finder.find_spec("spasmdx.rules.knowledge_extra", [str(ROOT / "rules")]) is None
    assert finder.find_spec("spasmdx.service.api", [str(ROOT / "service")]) is None
