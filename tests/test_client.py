"""spasmdx client: a readable table or raw JSON, retries, and a distinct exit code for critical alerts."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spasmdx.cli.client import EXIT_BAD_CASE, EXIT_CRITICAL, EXIT_UNREACHABLE
from spasmdx.cli.main import main

CRITICAL = {
    "medications": ["simvastatin 80 mg"],
    "findings": ["dark urine"],
    "labs": [{"display": "CK", "value": 12000, "unit": "U/L", "reference_range": {"high": 200}}],
}
BENIGN = {"findings": ["eyelid twitching", "too much coffee"], "patient": {"age": 24}}


def write(tmp_path, data, name="case.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_table_shows_alerts_first_and_exits_10_on_a_critical_alert(server, tmp_path, capsys):
    code = main(["client", write(tmp_path, CRITICAL), "--url", server])
    out = capsys.readouterr().out
    assert code == EXIT_CRITICAL
    assert out.index("ALERTS") < out.index("DIFFERENTIAL")
    assert "[CRITICAL] rhabdomyolysis" in out and "Rhabdomyolysis" in out


def test_benign_case_exits_0_and_json_format_is_the_raw_answer(server, tmp_path, capsys):
    assert (
        main(["client", write(tmp_path, {"context": BENIGN, "expect": {}}), "--url", server, "--format", "json"]) == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert body["differential"][0]["id"] == "benign_twitch_triggers"


def test_text_format_prints_the_summary_for_a_note_as_the_page_copies_it(server, tmp_path, capsys):
    from spasmdx.display import summary

    assert main(["client", write(tmp_path, CRITICAL), "--url", server, "--format", "text"]) == EXIT_CRITICAL
    out = capsys.readouterr().out
    assert out.splitlines()[3].startswith("- Critical: CK over 10 x ULN")
    assert "1. Rhabdomyolysis: " in out and "Knowledge base " in out and "; request id " in out
    main(["client", write(tmp_path, CRITICAL), "--url", server, "--format", "json"])
    answer = json.loads(capsys.readouterr().out)
    assert out.rsplit("request id", 1)[0] == summary(answer).rsplit("request id", 1)[0]


def test_invalid_case_prints_the_problem_naming_the_field(server, tmp_path, capsys):
    assert main(["client", write(tmp_path, {"labs": [{"display": "CK"}]}), "--url", server]) == EXIT_UNREACHABLE
    assert "labs[0].value" in capsys.readouterr().err


def test_unreadable_case_file(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{nope")
    assert main(["client", str(tmp_path / "bad.json")]) == EXIT_BAD_CASE
    assert main(["client", str(tmp_path / "missing.json")]) == EXIT_BAD_CASE


def test_no_service_listening_exits_5(tmp_path, capsys, closed_port):
    code = main(
        [
            "client",
            write(tmp_path, BENIGN),
            "--url",
            f"http://127.0.0.1:{closed_port}",
            "--retries",
            "1",
            "--timeout",
            "2",
        ]
    )
    err = capsys.readouterr().err
    assert code == EXIT_UNREACHABLE and "no answer" in err
    assert f"is the service running at http://127.0.0.1:{closed_port}?" in err


@pytest.fixture()
def flaky(app):
    """A server that answers 503 twice, then the real answer: the client must retry through it."""
    answer = app.test_client().post("/v1/differential", json=BENIGN).get_data()
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(self.path)
            status, body = (503, b"{}") if len(calls) <= 2 else (200, answer)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", calls
    httpd.shutdown()


def test_503_is_retried_with_back_off(flaky, tmp_path, capsys):
    url, calls = flaky
    assert main(["client", write(tmp_path, BENIGN), "--url", url, "--retries", "3"]) == 0
    assert len(calls) == 3 and "DIFFERENTIAL" in capsys.readouterr().out


def test_a_url_without_a_scheme_gets_a_hint(tmp_path, capsys):
    assert main(["client", write(tmp_path, BENIGN), "--url", "127.0.0.1:8000"]) == EXIT_UNREACHABLE
    assert "did you mean http://127.0.0.1:8000 ?" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, shown",
    [
        ("client", "(default: http://127.0.0.1:8000)"),
        ("batch", "(default: jsonl)"),
        ("serve", "(default: 30)"),
    ],
)
def test_help_names_the_defaults(capsys, command, shown):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert shown in out
    assert "(default: None)" not in out and "(default: False)" not in out


def test_table_shows_honest_percentages_the_alert_link_and_the_independence_line(server, tmp_path, capsys):
    from spasmdx.display import INDEPENDENCE_NOTE

    case = {**CRITICAL, "findings": ["dark urine", "fasciculations"]}  # ALS and Isaacs syndrome under 1%
    main(["client", write(tmp_path, case), "--url", server, "--limit", "50"])
    out = capsys.readouterr().out
    assert " ".join(INDEPENDENCE_NOTE.split()) in " ".join(out.split())
    assert "! see alert: rhabdomyolysis" in out
    assert "Concerns: Rhabdomyolysis (ranked " in out
    assert "= Established: CK over 10 x ULN" in out
    # No decimals on screen: "4%" or "<1%", never "4.6%"; causes under 1% are one line.
    assert not re.search(r"\d\.\d+%", out)
    assert "Also considered (under 1% each):" in out


# ---------------------------------------------------------------- the table fits the terminal (issue 17)

SUMMARY_ANSWER = Path(__file__).resolve().parent / "data" / "summary_answer.json"
LONG_NAMES = [
    "Carnitine palmitoyltransferase II (CPT2) deficiency, myopathic form, adult-onset, exercise-induced variant",
    "Myopathie nécrosante à médiation immunitaire associée aux statines (anti-HMGCR), forme sévère",
    "抗HMGCR抗体陽性壊死性ミオパチー（スタチン関連）による筋痙攣と筋力低下",
    "Supercalifragilisticexpialidociousmyopathywithoutanyspacesatallinitsname",
]
FIELDS = ("start", "end", "text", "concept", "kind", "status")
NOTE_ITEMS = [
    {"path": "narrative", **dict(zip(FIELDS, item, strict=True))}
    for item in [
        (0, 11, "Calf cramps", "muscle_cramp", "finding", "present"),
        (49, 61, "atorvastatin", "atorvastatin", "medication", "historical"),
        (84, 94, "urine foncée, très foncée, couleur de coca", "dark_urine", "finding", "absent"),
        (107, 110, "ALS", "als_dx", "condition", "family"),
    ]
]


def long_named_answer() -> dict:
    answer = json.loads(SUMMARY_ANSWER.read_text())
    for cause, name in zip(answer["differential"], LONG_NAMES, strict=False):
        cause["name"] = name
    for cause in answer["differential"]:
        cause["probability"] = max(cause["probability"], 0.02)  # every cause on a row of its own
    return {**answer, "understood": NOTE_ITEMS}


def note_rows(text: str) -> list[list[str]]:
    """The rows of READ IN THE NOTE as [status, concept, quoted words], each cell's wrapped lines joined."""
    block = text[text.index("READ IN THE NOTE (") :].split("\n\n")[0].splitlines()[1:]
    first = block[0]  # the columns, from the first row (status and concept are ASCII here: cells are chars)
    concept = first.index(first[2:].split()[1], 2 + len(first[2:].split()[0]))
    quote = first.index("“")
    read: list[list[str]] = []
    for line in block:
        cells = [line[2:concept].strip(), line[concept:quote].strip(), line[quote:].strip()]
        if cells[0]:
            read.append(cells)
        else:  # a cell wrapped: its words go on under it
            read[-1] = [" ".join(filter(None, pair)) for pair in zip(read[-1], cells, strict=True)]
    return read


def cause_rows(text: str, answer: dict) -> dict[str, list[str]]:
    """Each cause's row as printed: its first line (rank, start of name, percentage, urgency) and continuations."""
    lines = text.splitlines()
    rows = {}
    for cause in answer["differential"]:
        first = next(i for i, line in enumerate(lines) if re.match(rf"\s*{cause['rank']}\. ", line))
        end = first + 1
        while end < len(lines) and re.match(r"^ {6}\S", lines[end]) and not re.match(r"^ {6}[-+=!] ", lines[end]):
            end += 1
        rows[cause["id"]] = lines[first:end]
    return rows


@pytest.mark.parametrize("columns", [40, 60, 80, 100])
def test_the_table_fits_the_terminal_wrapping_long_and_non_ascii_names_within_their_cell(columns):
    from wcwidth import width

    from spasmdx.cli.client import table
    from spasmdx.display import percent

    answer = long_named_answer()
    text = table(answer, columns, names={"muscle_cramp": "Muscle cramp", "dark_urine": "Dark urine"})
    assert max(width(line) for line in text.splitlines()) <= columns  # in display cells: CJK counts two
    rows = cause_rows(text, answer)
    ends = set()
    for cause in answer["differential"]:
        lines = rows[cause["id"]]
        shown = percent(cause["probability"])
        assert lines[0].rstrip().endswith(cause["urgency"]) and f" {shown} " in lines[0]
        ends.add(width(lines[0][: lines[0].index(f" {shown} ") + len(shown) + 1]))
        # The whole name is kept: the cell's lines, read in order, give it back.
        name_column = lines[0].index(". ") + 2
        name_width = width(lines[0][:name_column])
        pieces = [
            line[: len(line) - len(line.lstrip())] and line.strip()
            if i
            else line[name_column:].rsplit(f" {shown} ", 1)[0]
            for i, line in enumerate(lines)
        ]
        assert "".join(p.strip() for p in pieces).replace(" ", "") == cause["name"].replace(" ", "")
        assert all(width(line) - width(line.lstrip()) == name_width for line in lines[1:])
    assert len(ends) == 1  # the percentages stay in one column, however long the names


@pytest.mark.parametrize("columns", [40, 60, 100])
def test_the_table_lists_what_the_note_was_read_as_with_status_concept_and_quoted_words(columns):
    from wcwidth import width

    from spasmdx.cli.client import table

    text = table(long_named_answer(), columns, names={"muscle_cramp": "Muscle cramp", "dark_urine": "Dark urine"})
    assert max(width(line) for line in text.splitlines()) <= columns
    read = note_rows(text)
    # A word longer than its cell at 40 columns is cut: compared without the spaces wrapping put in.
    assert [[status, concept, quoted.replace(" ", "")] for status, concept, quoted in read] == [
        ["present", "Muscle cramp", "“Calfcramps”"],
        ["historical", "atorvastatin", "“atorvastatin”"],
        ["absent", "Dark urine", "“urinefoncée,trèsfoncée,couleurdecoca”"],
        ["family", "als dx", "“ALS”"],  # an id the vocabulary did not name, in words
    ]


def test_the_client_table_follows_the_terminal_width_from_columns(server, tmp_path, capsys, monkeypatch):
    from wcwidth import width

    monkeypatch.setenv("COLUMNS", "60")
    case = {**CRITICAL, "findings": ["dark urine", "fasciculations"]}
    main(["client", write(tmp_path, case), "--url", server, "--limit", "50"])
    out = capsys.readouterr().out
    assert max(width(line) for line in out.splitlines()) <= 60
    assert "Rhabdomyolysis" in out and "Also considered (under 1% each):" in " ".join(out.split())


def test_the_client_lists_what_a_note_was_read_as_by_name_in_table_and_text(server, tmp_path, capsys, monkeypatch):
    from wcwidth import width

    monkeypatch.setenv("COLUMNS", "72")
    case = {"narrative": "Calf cramps at night for 2 weeks. No fever. Mother had ALS.", "patient": {"age": 58}}
    assert main(["client", write(tmp_path, case), "--url", server]) == 0
    out = capsys.readouterr().out
    assert max(width(line) for line in out.splitlines()) <= 72
    read = note_rows(out)
    assert ["absent", "Fever", "“fever”"] in read  # the knowledge base's name, from GET /v1/vocabulary
    assert ["family", "Amyotrophic lateral sclerosis", "“ALS”"] in read
    assert main(["client", write(tmp_path, case), "--url", server, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "Read in the note:" in text and "- Absent: Fever (“fever”)" in text
    assert "- Family: Amyotrophic lateral sclerosis (“ALS”)" in text
