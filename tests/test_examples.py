"""The example files the README's commands use exist, and give the answers it describes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from spasmdx.schemas.request import ContextSchema

README = (ROOT / "README.md").read_text()
EXAMPLES = ROOT / "examples"
SPASMDX = str(Path(sys.executable).parent / "spasmdx")


def test_every_example_path_the_readme_names_exists():
    named = set(re.findall(r"\bexamples/[\w./-]*", README))
    assert {"examples/case.json", "examples/bundle.json"} <= named
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_the_example_case_is_a_valid_context_and_the_readmes_curl_body():
    case = json.loads((EXAMPLES / "case.json").read_text())
    ContextSchema().load(case)
    shown = json.loads(re.search(r"-d '(\{.*?\})'", README, re.S).group(1))
    assert case == shown  # so `-d @examples/case.json` answers what the README shows


def test_batch_over_the_examples_folder_scores_the_case_and_the_fhir_bundle(tmp_path):
    output = tmp_path / "results.jsonl"
    subprocess.run(
        [SPASMDX, "batch", str(EXAMPLES), "-o", str(output), "--workers", "1", "--no-progress"],
        check=True,
        capture_output=True,
    )
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [record.get("case_id") for record in records] == ["example-patient", None]  # bundle.json, case.json
    # The bundle has CK 40 x ULN alone (the alert, linked); the case adds dark urine, which
    # establishes rhabdomyolysis and puts it first, the statin myopathy behind it next.
    firsts = [[c["id"] for c in record["result"]["differential"][:2]] for record in records]
    assert firsts[0][0] == "statin_myopathy" and firsts[1] == ["rhabdomyolysis", "statin_myopathy"]
    for record in records:
        assert "error" not in record
        assert [alert["id"] for alert in record["result"]["alerts"]] == ["rhabdomyolysis"]
        assert record["result"]["unrecognized"] == []


def test_the_client_posts_the_example_case_and_exits_10_on_its_critical_alert(server):
    done = subprocess.run(
        [SPASMDX, "client", str(EXAMPLES / "case.json"), "--url", server, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 10, done.stderr
    assert json.loads(done.stdout)["differential"][0]["id"] == "rhabdomyolysis"  # established: CK and dark urine
