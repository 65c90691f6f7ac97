"""Configuration: defaults, SPASMDX_* variables read by Flask's from_prefixed_env, typed as their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from spasmdx.service import create_app
from spasmdx.service.config import DEFAULTS

KB = Path(__file__).resolve().parent.parent / "rules" / "data"
DIGITS_HASH = "1" * 64  # a SHA-256 hex digest can be all digits: JSON would read it as a number


@pytest.mark.parametrize(
    "name,given,expected",
    [
        pytest.param("AUTH", "none", "none", id="none-stays-a-string"),
        pytest.param("API_KEY_HASHES", f"{DIGITS_HASH},{'a' * 64}", f"{DIGITS_HASH},{'a' * 64}", id="comma-list"),
        pytest.param("API_KEY_HASHES", DIGITS_HASH, DIGITS_HASH, id="digits-stay-a-string"),
        pytest.param("CDS_CORS_ORIGINS", "*", "*", id="star"),
        pytest.param("CDS_BASE_URL", '"https://cds.example.org"', '"https://cds.example.org"', id="quotes-kept"),
        pytest.param("CDS_FHIR_CA_FILE", "true", "true", id="true-is-no-boolean"),
        pytest.param("CDS_FHIR_CA_FILE", "null", "null", id="null-is-no-none"),
        pytest.param("KB_PATH", str(KB), str(KB), id="file-path"),
        pytest.param("MAX_BODY_BYTES", "1000", 1000, id="int"),
        pytest.param("CDS_JWT_LEEWAY", "10", 10, id="int-seconds"),
        pytest.param("BATCH_DEADLINE_SECONDS", "5", 5.0, id="float-from-an-integer"),
        pytest.param("BATCH_DEADLINE_SECONDS", "2.5", 2.5, id="float"),
    ],
)
def test_environment_values_keep_the_type_of_their_default(monkeypatch, name, given, expected):
    monkeypatch.setenv(f"SPASMDX_{name}", given)
    value = create_app({"TESTING": True}).config[name]
    assert value == expected and type(value) is type(expected)


def test_defaults_stand_when_nothing_is_set_and_test_config_goes_on_top(monkeypatch):
    for name in DEFAULTS:
        monkeypatch.delenv(f"SPASMDX_{name}", raising=False)
    monkeypatch.setenv("SPASMDX_MAX_BODY_BYTES", "1000")
    config = create_app({"TESTING": True, "MAX_BODY_BYTES": 2000}).config
    assert config["MAX_BODY_BYTES"] == 2000 and config["MAX_CONTENT_LENGTH"] == 2000
    assert {name: config[name] for name in DEFAULTS if name != "MAX_BODY_BYTES"} == {
        name: value for name, value in DEFAULTS.items() if name != "MAX_BODY_BYTES"
    }


def test_a_number_setting_that_is_not_a_number_stops_start_up(monkeypatch):
    monkeypatch.setenv("SPASMDX_CDS_FHIR_TIMEOUT", "2.5")  # an int setting, as before
    with pytest.raises(ValueError, match="SPASMDX_CDS_FHIR_TIMEOUT must be a whole number"):
        create_app({"TESTING": True})
