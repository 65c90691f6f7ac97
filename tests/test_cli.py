"""The command line: kb check passes on the shipped knowledge base and fails loudly otherwise."""

from __future__ import annotations

import shutil

from spasmdx.cli.main import EXIT_KNOWLEDGE, main
from spasmdx.rules import loader


def test_kb_check_passes_and_counts(capsys):
    assert main(["kb", "check"]) == 0
    out = capsys.readouterr().out
    assert "causes" in out and out.strip().endswith("OK")


def test_kb_check_fails_with_exit_code_and_message(tmp_path, capsys):
    target = tmp_path / "data"
    shutil.copytree(loader.default_path(), target)
    (target / "alerts.yaml").write_text("- id: Bad Id\n")
    assert main(["kb", "check", "--path", str(target)]) == EXIT_KNOWLEDGE
    assert "alerts.yaml" in capsys.readouterr().err
