"""The README's quick start and its example answer stay true to the code."""

from __future__ import annotations

import json
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_quick_start_is_make_run_and_make_test():
    quick = README[README.index("## Quick start") : README.index("## Commands")]
    assert "make run" in quick and "make test" in quick
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_curl_example_gives_the_answer_the_readme_shows(client):
    body = json.loads(re.search(r"-d '(\{.*?\})'", README, re.S).group(1))
    shown = README[README.index('```json\n{\n  "request_id"') :]
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


def test_adding_a_cause_as_the_walkthrough_says_brings_it_into_the_differential(tmp_path, capsys):
    # Performs docs/adding-a-cause.md on a copy of the knowledge base, with the page's own blocks.
    import shutil

    import yaml

    from spasmdx.cli.main import EXIT_KNOWLEDGE, main
    from spasmdx.rules import loader
    from spasmdx.rules.engine import assess
    from spasmdx.schemas.request import ContextSchema

    page = (ROOT / "docs" / "adding-a-cause.md").read_text()
    steps = re.findall(r"Append to `rules/data/([\w/]+\.yaml)`:\n\n```yaml\n(.*?)```", page, re.S)
    assert [name for name, _ in steps] == ["references.yaml", "causes/metabolic.yaml"]
    cause = yaml.safe_load(steps[1][1])[0]
    data = tmp_path / "data"
    shutil.copytree(loader.default_path(), data)
    for name, block in steps:
        with open(data / name, "a", encoding="utf-8") as handle:
            handle.write(block)

    assert main(["kb", "check", "--path", str(data)]) == 0
    assert f"{len(loader.load().causes) + 1} causes" in capsys.readouterr().out

    context = json.loads(re.search(r"```json\n(.*?)```", page[page.index("## 4. A worked case") :], re.S).group(1))
    answer = assess(loader.load(data), ContextSchema().load(context))
    entry = next(c for c in answer["differential"] if c["id"] == cause["id"])
    assert len([e for e in entry["evidence"] if e["effect"] == "supports"]) == 3
    common = next(c for c in answer["differential"] if c["id"] == "exercise_associated_cramps")
    assert common["rank"] < entry["rank"]

    # The failure the page shows is the one kb check gives.
    shown = re.search(r"```text\n(spasmdx: .*?)\n```", page).group(1)
    broken = data / "causes" / "metabolic.yaml"
    broken.write_text(broken.read_text().replace(steps[1][1], steps[1][1].replace("lr: 4\n", "lr: 40\n", 1)))
    assert main(["kb", "check", "--path", str(data)]) == EXIT_KNOWLEDGE
    assert capsys.readouterr().err.strip() == shown


def test_every_file_the_architecture_map_names_exists():
    # The map is only useful while it is true: a moved or renamed module fails here.
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`((?:rules|schemas|service|spasmdx|cli|tests|docs)/[\w/.+-]+)`", text))
    for folder in ("rules", "service", "spasmdx/fhir"):  # bare module names in the table rows of a folder
        row = next(line for line in text.splitlines() if line.startswith(f"| `{folder}/` |"))
        named |= {f"{folder}/{name}" for name in re.findall(r"`([\w]+\.(?:py|yaml))`", row)}
    assert len(named) > 30
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == []
