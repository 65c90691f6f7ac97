"""spasmdx context and the ConText corpus: the command's lines, its errors, and the dev figures."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from spasmdx import context_eval
from spasmdx.cli.main import main

DEV = Path(__file__).parent / "data" / "context" / "dev.tsv"
# A little under what the reader reaches on the development half (make eval-context), so that a
# change that costs accuracy fails here; the targets on the held-back half are 0.98, 0.65, 0.95.
FLOORS = {"negated": 0.985, "historical": 0.80, "not particular": 0.93, "other experiencer": 0.70}


def test_dev_figures_hold_their_floors(kb):
    with open(DEV, encoding="utf-8", newline="") as handle:
        rows = list(context_eval.read_rows(handle))
    pairs = []
    for row in rows:
        span = context_eval.find(row.fields["concept"], row.fields["sentence"])
        if span is not None:
            pairs.append((row, context_eval.classify(kb.context, row.fields["sentence"], *span)))
    assert len(pairs) >= len(rows) - 5  # five rows of the corpus name words their sentence lacks
    figures = {label: counts.f1 for label, counts in context_eval.score(pairs).items()}
    assert all(figures[k] >= floor for k, floor in FLOORS.items()), figures


@pytest.mark.parametrize(
    "concept, sentence, found",
    [
        ("shortness of breath", "Has SHORTNESS  of\nbreath at rest.", "SHORTNESS  of\nbreath"),
        ("MI", "Admitted to rule out MI; mind the dose.", "MI"),
        ("chest pain", "Chest pain resolved; the CHEST PAIN he felt before.", "CHEST PAIN"),
        ("heart transplantatio", "Consistent with HEART TRANSPLANTATIOn.", "HEART TRANSPLANTATIO"),
        ("gout", "No fever.", None),
    ],
    ids=["any_case_any_spacing", "whole_words_first", "the_capitalised_target", "cut_short_in_a_word", "absent"],
)
def test_a_concept_is_found_in_any_case_and_spacing(concept, sentence, found):
    span = context_eval.find(concept, sentence)
    assert (sentence[span[0] : span[1]] if span else None) == found


TSV = (
    "concept\tsentence\textra\n"
    "cramps\tDenies CRAMPS at night.\tx\n"
    "ALS\tHer mother had ALS.\tx\n"
    "DVT\tReturn if you notice signs of DVT.\tx\n"
    "gout\tNo fever.\tx\n"
    "DVT\th/o DVT in 2019.\tx\n"
)


def test_the_command_writes_one_json_line_per_row_and_names_a_missing_concept(tmp_path, capsys):
    source = tmp_path / "rows.tsv"
    source.write_text(TSV)
    out = tmp_path / "out.jsonl"
    assert main(["context", str(source), "--output", str(out)]) == 4
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0] == {"negation": "negated", "temporality": "recent", "experiencer": "patient"}
    assert lines[1] == {"negation": "affirmed", "temporality": "recent", "experiencer": "other"}
    assert lines[2] == {"negation": "affirmed", "temporality": "not particular", "experiencer": "patient"}
    assert lines[3]["row"] == 4 and "gout" in lines[3]["error"]
    assert lines[4] == {"negation": "affirmed", "temporality": "historical", "experiencer": "patient"}
    assert "row 4" in capsys.readouterr().err


def test_the_command_reads_standard_input(monkeypatch, capsys):
    rows = "concept\tsentence\ncramps\tCramps: no\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(rows.encode())))
    assert main(["context", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "negation": "negated",
        "temporality": "recent",
        "experiencer": "patient",
    }


def test_a_file_without_the_columns_is_refused(tmp_path, capsys):
    source = tmp_path / "rows.tsv"
    source.write_text("text\tlabel\nno cramps\tnegated\n")
    assert main(["context", str(source)]) == 4
    assert "concept" in capsys.readouterr().err


def test_score_prints_precision_recall_and_f1_per_label(tmp_path, capsys):
    source = tmp_path / "rows.tsv"
    source.write_text(
        "concept\tsentence\tnegation\ttemporality\texperiencer\n"
        "cramps\tNo cramps.\tnegated\trecent\tpatient\n"
        "ALS\tMother had ALS.\taffirmed\trecent\tfamily member\n"
    )
    assert main(["context", str(source), "--score"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "not particular" in out
    negated = next(line for line in out.splitlines() if line.startswith("negated"))
    assert negated.split()[1:4] == ["1.000", "1.000", "1.000"]


def test_the_corpus_conventions_are_applied_only_in_its_export(kb):
    note = "SOCIAL HISTORY: drinks alcohol daily.\nHPI: admitted to rule out MI."
    sentences = kb.context.split(note)
    alcohol, mi = note.index("alcohol"), note.index("MI")
    assert kb.context.modifiers(note, sentences[0], alcohol, alcohol + 7).temporality == "recent"
    assert context_eval.classify(kb.context, note, alcohol, alcohol + 7)["temporality"] == "historical"
    assert kb.context.modifiers(note, sentences[1], mi, mi + 2).temporality == "hypothetical"
    assert context_eval.classify(kb.context, note, mi, mi + 2)["temporality"] == "recent"
