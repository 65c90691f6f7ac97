"""The supply chain: exact versions locked, the image built from them by hash, the base image pinned."""

from __future__ import annotations

import re
import stat
import sys
import tomllib

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import audit

pytestmark = pytest.mark.security
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", re.M)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {package.lower().replace("_", "-"): version for package, version in PIN.findall(text)}


def dependency_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0].lower().replace("_", "-") for line in requirements}


def test_every_dependency_is_locked_at_one_version_in_both_lock_files():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    assert dependency_names(project["dependencies"]) <= set(runtime)
    extras = project["optional-dependencies"]
    assert dependency_names(extras["test"] + extras["cluster"]) <= set(dev)
    assert {name: version for name, version in dev.items() if name in runtime} == runtime


def test_the_runtime_lock_carries_a_hash_for_every_pin():
    text = (ROOT / "requirements" / "runtime.lock").read_text()
    blocks = [block for block in re.split(r"\n(?=[A-Za-z0-9])", text) if PIN.match(block)]
    assert blocks and all("--hash=sha256:" in block for block in blocks)


def test_the_image_is_built_from_a_pinned_base_and_the_hashed_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE=(\S+)", dockerfile, re.M)
    assert base and re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", base.group(1))
    assert [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")] == ["${BASE}"] * 2
    assert "--require-hashes -r /tmp/runtime.lock" in dockerfile
    assert "--no-deps --no-index /wheels/" in dockerfile  # nothing resolved beyond the lock


@pytest.mark.parametrize(
    "report,code,says",
    [
        pytest.param('{"dependencies": [{"name": "flask", "skip_reason": "not found"}]}', 0, "skipped", id="offline"),
        pytest.param(
            '{"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []}]}', 0, "0 vulnerable", id="clean"
        ),
        pytest.param(
            '{"dependencies": [{"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-1"}]}]}',
            1,
            "PYSEC-1",
            id="vulnerable",
        ),
        pytest.param("not json", 0, "skipped", id="no-report"),
    ],
)
def test_the_audit_fails_on_a_known_vulnerability_and_says_when_it_could_not_look(tmp_path, capsys, report, code, says):
    fake = tmp_path / "pip-audit"
    fake.write_text(f"#!/bin/sh\ncat <<'END'\n{report}\nEND\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert audit.audit(ROOT / "requirements" / "runtime.lock", str(fake)) == code
    assert says in capsys.readouterr().out
