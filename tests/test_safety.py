"""The safety matrix: minimal contexts that must, and must not, raise each alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spasmdx.rules import loader

MATRIX = Path(__file__).resolve().parent / "safety"


def read_rows() -> list[dict]:
    rows = []
    for path in sorted(MATRIX.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append({**json.loads(line), "where": f"{path.name}:{number}"})
    return rows


ROWS = read_rows()


def test_every_row_is_well_formed():
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids)), "row ids must be unique across tests/safety/*.jsonl"
    for row in ROWS:
        assert set(row) == {"id", "context", "must", "must_not", "note", "where"}, row["where"]
        assert row["must"] or row["must_not"], f"{row['id']} asserts nothing"
        assert not set(row["must"]) & set(row["must_not"]), f"{row['id']} both must and must not"
        assert row["note"], f"{row['id']} says not why"


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_alerts_fire_when_they_must_and_only_then(assess, row):
    raised = {alert["id"] for alert in assess(row["context"])["alerts"]}
    missing = set(row["must"]) - raised
    wrong = set(row["must_not"]) & raised
    assert not missing, f"{row['id']} ({row['where']}): not raised {sorted(missing)}; {row['note']}"
    assert not wrong, f"{row['id']} ({row['where']}): raised though it must not be {sorted(wrong)}; {row['note']}"


def test_every_alert_is_covered_both_ways():
    alerts = set(loader.load().alerts)
    known = {a for row in ROWS for a in row["must"] + row["must_not"]}
    assert not known - alerts, f"rows name alerts the knowledge base lacks: {sorted(known - alerts)}"
    never_true = sorted(alerts - {a for row in ROWS for a in row["must"]})
    never_silent = sorted(alerts - {a for row in ROWS for a in row["must_not"]})
    assert not never_true, f"alerts with no row that must raise them: {never_true}"
    assert not never_silent, f"alerts with no mimic that must stay silent: {never_silent}"
