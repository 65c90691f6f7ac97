"""openapi.yaml is valid and names exactly the routes the app serves."""

from __future__ import annotations

import re

import yaml
from contract import SPEC
from openapi_spec_validator import validate


def spec():
    return yaml.safe_load(SPEC.read_text())


def test_openapi_document_validates():
    validate(spec())


def test_every_route_is_documented_and_every_documented_route_exists(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served.update((path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {(p, m) for p, ops in spec()["paths"].items() for m in ops if m != "parameters"}
    assert served == documented


def test_every_operation_has_an_example_response():
    for path, operations in spec()["paths"].items():
        for method, operation in operations.items():
            ok = operation["responses"].get("200", {})
            media = next(iter(ok.get("content", {}).values()), {})
            assert "example" in media or "examples" in media or "application/yaml" in ok.get("content", {}), (
                f"{method.upper()} {path} has no example"
            )


def test_the_top_level_openapi_yaml_is_the_packaged_contract_itself():
    # One file, no copy to keep in step: the package ships schemas/openapi.yaml, and the top-level
    # openapi.yaml, where readers and tools look for the contract, is a link to it.
    top = SPEC.parent / "openapi.yaml"
    packaged = SPEC.parent / "schemas" / "openapi.yaml"
    assert top.is_symlink() and top.resolve() == packaged.resolve() and not packaged.is_symlink()


def test_the_fast_path_finds_the_contract_without_the_service_package():
    import subprocess
    import sys

    code = (
        "import sys; from spasmdx.schemas.fastpath import load_context; load_context({'findings': ['cramp']}); "
        "print('spasmdx.service' in sys.modules, 'flask' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "False"]
