"""spasmdx batch: every input kind, one output per case, resumable, the same on 1, 2 workers and Dask."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from spasmdx.batch import inputs, runner
from spasmdx.batch.synth import synthesize
from spasmdx.cli.main import main

SPASMDX = str(Path(sys.executable).parent / "spasmdx")
STATIN_CASE = {
    "findings": ["aching thighs"],
    "medications": ["atorvastatin 40 mg"],
    "labs": [{"display": "CK", "value": 9000, "unit": "U/L", "reference_range": {"high": 200}}],
}
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "timestamp": "2026-11-01T09:00:00Z",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "pat-7", "gender": "male", "birthDate": "1960-05-01"}},
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "m1",
                "status": "active",
                "subject": {"reference": "Patient/pat-7"},
                "medicationCodeableConcept": {"text": "simvastatin 40 mg"},
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "subject": {"reference": "Patient/pat-7"},
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": "http://loinc.org", "code": "2157-6"}], "text": "CK"},
                "effectiveDateTime": "2026-10-30",
                "valueQuantity": {"value": 12000, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
                "referenceRange": [{"high": {"value": 200, "unit": "U/L"}}],
            }
        },
    ],
}


def write_lines(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_batch(*args: str) -> int:
    return main(["batch", *args, "--no-progress"])


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, kb):
    path = tmp_path_factory.mktemp("synth") / "cases.jsonl"
    return write_lines(path, list(synthesize(kb, 600, seed=3)))


def test_json_lines_bare_and_wrapped_with_bad_lines_in_the_middle(tmp_path):
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            STATIN_CASE,
            {"case_id": "B", "context": {"findings": ["eyelid twitching"]}},
            "{not json",
            "",
            {"labs": [{"display": "CK", "value": -3}]},
            {"case_id": "E", "context": {}, "extra": 1},
            [1, 2],
            {"case_id": "G", "context": {"findings": ["night cramps"]}},
        ],
    )
    assert run_batch(str(source), "-o", str(tmp_path / "out.jsonl"), "--workers", "1") == 0
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [o["line"] for o in out] == [1, 2, 3, 5, 6, 7, 8]  # the blank line 4 is no case
    assert [("result" in o) for o in out] == [True, True, False, False, False, False, True]
    assert out[0]["result"]["alerts"][0]["id"] == "rhabdomyolysis"
    assert out[1]["case_id"] == "B" and out[6]["case_id"] == "G"
    assert out[2]["error"]["status"] == 400 and "Line 3" in out[2]["error"]["detail"]
    assert out[3]["error"]["errors"][0]["path"] == "labs[0].value"
    assert out[4]["case_id"] == "E" and out[4]["error"]["errors"][0]["path"] == "extra"
    assert out[5]["error"]["status"] == 422


def test_a_folder_of_json_files_and_a_fhir_bundle(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"case_id": "A", "context": STATIN_CASE}, indent=2))
    (folder / "b.json").write_text(json.dumps(BUNDLE, indent=2))
    (folder / "notes.txt").write_text("not a case")
    assert run_batch(str(folder), "-o", str(tmp_path / "out.jsonl")) == 0
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [(o["line"], o["case_id"]) for o in out] == [(1, "A"), (2, "pat-7")]
    bundle = out[1]["result"]
    assert bundle["differential"][0]["id"] in {"rhabdomyolysis", "statin_myopathy"}
    assert "rhabdomyolysis" in {a["id"] for a in bundle["alerts"]}


def test_a_single_bundle_file_and_bundles_as_json_lines(tmp_path):
    single = tmp_path / "patient.json"
    single.write_text(json.dumps(BUNDLE, indent=1))
    lines = write_lines(tmp_path / "bundles.ndjson", [BUNDLE, BUNDLE])
    assert run_batch(str(single), str(lines), "-o", str(tmp_path / "out.jsonl")) == 0
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [(o["input"], o["line"], o["case_id"]) for o in out] == [
        (str(single), 1, "pat-7"),
        (str(lines), 1, "pat-7"),
        (str(lines), 2, "pat-7"),
    ]


def test_standard_input(tmp_path):
    stdin = json.dumps(STATIN_CASE) + "\n" + json.dumps({"findings": ["calf cramps at night"]}) + "\n"
    done = subprocess.run(
        [SPASMDX, "batch", "-", "--workers", "1"], input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2] and all("result" in o for o in out)
    assert "2 cases, 0 errors" in done.stderr


def test_csv_output(tmp_path, synthetic):
    assert run_batch(str(synthetic), "-o", str(tmp_path / "out.csv"), "--format", "csv", "--workers", "1") == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert len(rows) == 600 and rows[0]["line"] == "1" and rows[0]["case_id"] == "S0000001"
    assert all(row["status"] == "ok" for row in rows)
    assert sum(bool(row["top1"]) for row in rows) > 0.9 * len(rows)
    assert rows[0]["p1"] and float(rows[0]["p1"]) <= 1


def test_two_workers_give_the_same_bytes_as_one(tmp_path, synthetic):
    assert run_batch(str(synthetic), "-o", str(tmp_path / "one.jsonl"), "--workers", "1") == 0
    assert run_batch(str(synthetic), "-o", str(tmp_path / "two.jsonl"), "--workers", "2") == 0
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_dask_local_cluster_gives_the_same_bytes(tmp_path, synthetic, monkeypatch):
    monkeypatch.setattr(
        inputs,
        "parts",
        lambda sources, lines_per_part=5000, files_per_part=500: _original_parts(
            sources, lines_per_part=150, files_per_part=files_per_part
        ),
    )
    assert run_batch(str(synthetic), "-o", str(tmp_path / "local.jsonl"), "--workers", "1") == 0
    assert run_batch(str(synthetic), "-o", str(tmp_path / "dask.jsonl"), "--dask", "local", "--workers", "2") == 0
    assert (tmp_path / "local.jsonl").read_bytes() == (tmp_path / "dask.jsonl").read_bytes()


_original_parts = inputs.parts


def test_a_killed_run_leaves_no_complete_looking_file_and_resumes_without_duplicates(tmp_path, kb, monkeypatch):
    total, killed_at = 4000, 1500
    source = write_lines(tmp_path / "big.jsonl", list(synthesize(kb, total, seed=5)))
    output, partial = tmp_path / "out.jsonl", tmp_path / "out.jsonl.partial"
    # The run kills itself with SIGKILL once 1,500 records are written (the runner's test hook), so
    # the kill falls at a known record however fast or loaded the machine is.
    killed = subprocess.run(
        [SPASMDX, "batch", str(source), "-o", str(output), "--workers", "1", "--no-progress"],
        stderr=subprocess.DEVNULL,
        env={**os.environ, runner.KILL_AFTER: str(killed_at)},
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not output.exists() and partial.exists()
    kept = partial.read_bytes().count(b"\n")  # complete records: what the output buffer held died with the process
    assert 0 < kept <= killed_at
    with partial.open("ab") as handle:
        handle.write(b'{"line": 99999, "torn')  # a line cut short by the kill

    read = []
    original = inputs.records

    def counting(sources, skip=0):
        for record in original(sources, skip):
            read.append(record.line)
            yield record

    monkeypatch.setattr(inputs, "records", counting)
    assert run_batch(str(source), "-o", str(output), "--workers", "2", "--resume") == 0
    assert not partial.exists()
    assert read == list(range(kept + 1, total + 1))  # no case redone, none left out
    monkeypatch.setattr(inputs, "records", original)
    assert run_batch(str(source), "-o", str(tmp_path / "clean.jsonl"), "--workers", "1") == 0
    assert output.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()  # none repeated, in order


def test_resume_of_a_finished_run_and_unreadable_input_fail_the_run(tmp_path, capsys):
    source = write_lines(tmp_path / "in.jsonl", [STATIN_CASE])
    assert run_batch(str(source), "-o", str(tmp_path / "out.jsonl")) == 0
    assert run_batch(str(source), "-o", str(tmp_path / "out.jsonl"), "--resume") == 4
    assert run_batch(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.jsonl")) == 4
    assert "cannot read" in capsys.readouterr().err


def test_input_is_read_only_a_window_ahead_so_memory_stays_flat(tmp_path, kb, monkeypatch):
    consumed = []
    original = inputs.records

    def counting(sources, skip=0):
        for record in original(sources, skip):
            consumed.append(record.line)
            yield record

    monkeypatch.setattr(inputs, "records", counting)
    total = runner.CHUNK * runner.WINDOW * 2 * 3
    source = write_lines(tmp_path / "in.jsonl", list(synthesize(kb, total, seed=2)))
    results = runner._locally(runner.Options([str(source)], None, workers=2), with_source=False, skip=0)
    next(results)
    assert len(consumed) <= 2 * runner.WINDOW * runner.CHUNK
    assert 1 + sum(1 for _ in results) == total


def test_a_run_tunes_the_collector_only_while_it_lasts(tmp_path, kb, monkeypatch):
    import gc

    from spasmdx.batch.output import Summary

    seen = []
    original = Summary.add

    def add(self, case):
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
        original(self, case)

    monkeypatch.setattr(Summary, "add", add)
    before = gc.get_threshold(), gc.get_freeze_count()
    source = write_lines(tmp_path / "in.jsonl", list(synthesize(kb, 5, seed=3)))
    assert run_batch(str(source), "-o", str(tmp_path / "out.jsonl"), "--workers", "1") == 0
    assert len(seen) == 5
    assert all(threshold == runner.YOUNG_COLLECTION and frozen > 0 for threshold, frozen in seen)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def _partial_run(tmp_path, kb, fmt="jsonl", signal_name=None, killed_at=300, workers="1"):
    source = write_lines(tmp_path / "big.jsonl", list(synthesize(kb, 1200, seed=7)))
    output = tmp_path / f"out.{fmt}"
    env = {**os.environ, runner.KILL_AFTER: str(killed_at)}
    if signal_name:
        env[runner.KILL_SIGNAL] = signal_name
    stopped = subprocess.run(
        [SPASMDX, "batch", str(source), "-o", str(output), "--format", fmt, "--workers", workers, "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        start_new_session=True,  # the signal goes to this run's process group only
    )
    return source, output, stopped


@pytest.mark.parametrize("signal_name, code", [("INT", 130), ("TERM", 143)])
def test_ctrl_c_and_sigterm_stop_with_a_sentence_not_a_traceback(tmp_path, kb, signal_name, code):
    source, output, stopped = _partial_run(tmp_path, kb, signal_name=signal_name, workers="2")
    assert stopped.returncode == code, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert re.search(r"interrupted after \d+ cases; rerun with --resume to continue", stopped.stderr)
    partial = tmp_path / "out.jsonl.partial"
    assert partial.exists() and not output.exists()
    assert run_batch(str(source), "-o", str(output), "--resume") == 0
    assert run_batch(str(source), "-o", str(tmp_path / "clean.jsonl")) == 0
    assert output.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()


@pytest.mark.parametrize(
    "change, named",
    [
        (["--format", "csv"], "format"),
        (["--limit", "3"], "limit"),
        (["--extra"], "inputs"),
    ],
)
def test_a_resume_made_another_way_is_refused_and_the_file_left_untouched(tmp_path, kb, capsys, change, named):
    source, output, stopped = _partial_run(tmp_path, kb)
    assert stopped.returncode == -signal.SIGKILL
    partial = tmp_path / "out.jsonl.partial"
    before = partial.read_bytes()
    args = [str(source), "-o", str(output), "--resume"]
    if change == ["--extra"]:
        args.insert(1, str(write_lines(tmp_path / "more.jsonl", [STATIN_CASE])))
    else:
        args += change
    assert run_batch(*args) == 4
    err = capsys.readouterr().err
    assert f"{partial} was written differently ({named} " in err and "left as it is" in err
    assert partial.read_bytes() == before


def test_a_partial_without_its_run_record_is_recognised_by_its_contents(tmp_path, kb, capsys):
    source, output, _ = _partial_run(tmp_path, kb)
    partial = tmp_path / "out.jsonl.partial"
    (tmp_path / "out.jsonl.partial.run").unlink()
    before = partial.read_bytes()
    assert run_batch(str(source), "-o", str(output), "--resume", "--format", "csv") == 4
    assert "format 'jsonl' (now 'csv')" in capsys.readouterr().err
    assert partial.read_bytes() == before


def test_a_resume_says_where_it_starts(tmp_path, kb, capsys):
    source, output, _ = _partial_run(tmp_path, kb, fmt="csv")
    kept = (tmp_path / "out.csv.partial").read_bytes().count(b"\n") - 1  # less the header
    assert run_batch(str(source), "-o", str(output), "--resume", "--format", "csv") == 0
    assert f"resuming at case {kept + 1} ({kept} already in" in capsys.readouterr().err
    assert not (tmp_path / "out.csv.partial.run").exists()


def test_csv_rows_name_their_input_so_lines_from_several_files_are_told_apart(tmp_path):
    first = write_lines(tmp_path / "a.jsonl", [STATIN_CASE, STATIN_CASE])
    second = write_lines(tmp_path / "b.jsonl", [STATIN_CASE])
    output = tmp_path / "out.csv"
    assert run_batch(str(first), str(second), "-o", str(output), "--format", "csv") == 0
    rows = list(csv.DictReader(output.read_text().splitlines()))
    assert [(Path(r["input"]).name, r["line"]) for r in rows] == [("a.jsonl", "1"), ("a.jsonl", "2"), ("b.jsonl", "1")]


def test_records_are_compact_by_default_with_the_citations_once_beside_them(tmp_path, client):
    source = write_lines(tmp_path / "in.jsonl", [STATIN_CASE, STATIN_CASE])
    compact, full = tmp_path / "compact.jsonl", tmp_path / "full.jsonl"
    assert run_batch(str(source), "-o", str(compact)) == 0
    assert run_batch(str(source), "-o", str(full), "--full") == 0
    assert not (tmp_path / "full.jsonl.references.json").exists()
    side = json.loads((tmp_path / "compact.jsonl.references.json").read_text())
    api = client.post("/v1/differential", json=STATIN_CASE).get_json()
    for small, whole in zip(compact.read_text().splitlines(), full.read_text().splitlines(), strict=True):
        small_result, whole_result = json.loads(small)["result"], json.loads(whole)["result"]
        assert whole_result["differential"] == api["differential"]  # --full: the API's answer
        assert len(small) < 0.7 * len(whole)
        for cause, whole_cause in zip(small_result["differential"], whole_result["differential"], strict=True):
            assert "summary" not in cause
            assert side["causes"][cause["id"]]["summary"] == whole_cause["summary"]
            # every id resolves to the citation the full record carries
            assert [side["references"][ident] for ident in cause["references"]] == whole_cause["references"]
    assert side["knowledge_base"] == api["knowledge_base"]["version"]
