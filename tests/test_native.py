"""The scoring path: plain Python in a development install, compiled whole in a release wheel, same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, VIGNETTES

from spasmdx import native

SPASMDX = str(Path(sys.executable).parent / "spasmdx")
CASE_FILES = [VIGNETTES, *sorted((ROOT / "tests").glob("*/*.jsonl"))]
RELEASE = os.environ.get("SPASMDX_RELEASE") == "1"  # make test-release: the suite against the compiled wheel
COMPILED = bool(native.compiled_modules())
SOURCE_FOLDERS = ("spasmdx", "cli", "rules", "schemas", "service")

# Runs the CLI with every module of native.COMPILED loaded from the .py the wheel ships beside its
# compiled form (an extension module is otherwise found first): the sources of the same build.
FROM_SOURCES = """
import importlib.util, os, sys
from spasmdx import native

class Sources:
    def find_spec(self, name, path, target=None):
        if name not in native.COMPILED or not path:
            return None
        for folder in path:
            source = os.path.join(folder, name.rpartition(".")[2] + ".py")
            if os.path.exists(source):
                return importlib.util.spec_from_file_location(name, source)

sys.meta_path.insert(0, Sources())
from spasmdx.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(RELEASE, reason="the release wheel is compiled on purpose")
def test_a_development_install_runs_every_listed_module_from_the_repository_sources():
    import spasmdx.rules.engine as engine

    assert native.compiled_modules() == []
    assert native.mode() == "pure Python"
    assert Path(engine.__file__) == ROOT / "rules" / "engine.py"


@pytest.mark.skipif(RELEASE, reason="the release wheel is installed, not built in the repository")
def test_no_compiled_module_lies_beside_the_sources_to_shadow_them():
    # An extension module is imported ahead of its .py: one left by an old in-place build would
    # run stale code (make install deletes them; setup.py refuses to build one in place).
    stray = [path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.so")]
    assert not stray


@pytest.mark.skipif(not RELEASE, reason="runs against the compiled release wheel (make test-release)")
def test_the_release_wheel_runs_every_listed_module_compiled():
    assert native.compiled_modules() == list(native.COMPILED)
    assert native.mode() == f"compiled with mypyc ({len(native.COMPILED)} modules)"


@pytest.mark.skipif(not COMPILED, reason="nothing is compiled in this install (make test-release runs it)")
def test_compiled_and_sources_give_the_same_bytes(tmp_path):
    synthetic = tmp_path / "synthetic.jsonl"
    subprocess.run([SPASMDX, "synth", "--n", "3000", "--seed", "11", "-o", str(synthetic)], check=True)
    worked = tmp_path / "worked.jsonl"  # the worked and test cases, as batch lines
    cases = [json.loads(line) for path in CASE_FILES for line in path.read_text().splitlines() if line.strip()]
    worked.write_text("".join(json.dumps({"case_id": case["id"], "context": case["context"]}) + "\n" for case in cases))
    outputs = {}
    for name, command in (("compiled", [SPASMDX]), ("sources", [sys.executable, "-P", "-c", FROM_SOURCES])):
        output = tmp_path / f"{name}.jsonl"
        done = subprocess.run(
            [*command, "batch", str(synthetic), str(worked), "-o", str(output), "--workers", "1", "--no-progress"],
            check=True,
            capture_output=True,
            text=True,
        )
        outputs[name] = output.read_bytes()
        assert f"engine: {'pure Python' if name == 'sources' else native.mode()}" in done.stderr
    records = [json.loads(line) for line in outputs["compiled"].splitlines()]
    assert len(records) == 3000 + len(cases) > 3100
    assert not [record for record in records if "error" in record]
    assert outputs["compiled"] == outputs["sources"]


def test_batch_says_which_form_of_the_engine_runs(tmp_path):
    cases = tmp_path / "one.jsonl"
    cases.write_text(json.dumps({"findings": ["calf cramps"]}) + "\n")
    done = subprocess.run(
        [SPASMDX, "batch", str(cases), "-o", str(tmp_path / "out.jsonl"), "--workers", "1", "--no-progress"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stderr.splitlines()[0] == f"spasmdx batch: engine: {native.mode()}"


def test_serve_logs_which_form_of_the_engine_runs_at_start():
    process = subprocess.Popen(
        [SPASMDX, "serve", "--port", "0", "--workers", "1"],  # any free port: only the log is read
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stderr:  # the app's JSON lines, among gunicorn's own
            lines.append(line)
            if '"logger": "spasmdx.serve"' in line or len(lines) > 50:
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    logged = [json.loads(line) for line in lines if '"logger": "spasmdx.serve"' in line]
    assert [entry["message"] for entry in logged] == [f"engine: {native.mode()}"]
