"""spasmdx client: a readable table or raw JSON, retries, and a distinct exit code for critical alerts."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
