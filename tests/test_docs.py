"""The README's quick start and its example answer stay true to the code."""
from __future__ import annotations

import json
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_quick_start_is_make_run_and_make_test():
    quick = README[README.index("## Quick start"):README.index("## Commands")]
    assert "make run" in quick and "make test" in quick
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_curl_example_gives_the_answer_the_readme_shows(client):
    body = json.loads(re.search(r"-d '(\{.*?\})'", README, re.S).group(1))
    shown = README[README.index('```json\n{\n  "request_id"'):]
    answer = client.post("/v1/differential?limit=2", json=body).get_json()
    for cause in answer["differential"]:
        assert f'"id": "{cause["id"]}"' in shown and f'"probability": {cause["probability"]}' in shown
    for alert in answer["alerts"]:
        assert f'"id": "{alert["id"]}"' in shown
    assert f'"causes": {answer["knowledge_base"]["causes"]}' in shown


def test_every_command_the_readme_names_exists(capsys):
    from spasmdx.cli.main import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    named = set(re.findall(r"`spasmdx (\w+)", README))
    assert named <= commands, named - commands
