"""Configuration: the defaults, overridden by environment variables with the SPASMDX_ prefix.

create_app() reads the environment with Flask's `app.config.from_prefixed_env("SPASMDX")`,
keeping each value as the string it was (`loads=str`), and `typed` then converts the settings
declared here to the type of their default.  Flask's own parsing (JSON) would turn an API key
hash of digits into a number, `true` into a boolean and a quoted string into an unquoted one.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

PREFIX = "SPASMDX"
DEFAULTS: dict[str, Any] = {
    "KB_PATH": None,  # None: the knowledge base shipped with the package
    "MAX_BODY_BYTES": 256 * 1024,  # a rich context is about 5 KB
    "MAX_BATCH_BODY_BYTES": 8 * 1024 * 1024,  # 1,000 rich cases
    "LOG_LEVEL": "INFO",
    "HSTS_SECONDS": 0,  # > 0: behind TLS, every answer carries Strict-Transport-Security max-age=<this> (0: off)
    "AUTH": "none",  # none | api_key | jwt (README, "Operations")
    "API_KEY_HASHES": "",  # comma-separated SHA-256 hex digests of the accepted API keys
    "API_KEYS_FILE": "",  # or a file of them, one a line
    "BATCH_DEADLINE_SECONDS": 20.0,  # a batch call still running then answers 503 (gunicorn kills at 30)
    # CDS Hooks (README, "CDS Hooks"); lists are comma-separated, and an empty one switches its feature off.
    "CDS_MAX_BODY_BYTES": 4 * 1024 * 1024,  # prefetch of 100 labs, conditions and medications is a few hundred KB
    "CDS_BASE_URL": "",  # the public base URL EHRs call; a JWT's aud must be it + the path (required with JWTs)
    "CDS_JWT_ISSUERS": "",  # set: every CDS Hooks call needs a JWT from one of these issuers
    "CDS_JWKS_FILE": "",  # a JWK Set file with the CDS Clients' public keys
    "CDS_JWKS_URL": "",  # or a URL serving it
    "CDS_JKU_ALLOWLIST": "",  # JWK Set URLs a token's jku header may name
    "CDS_JWT_LEEWAY": 30,  # seconds of clock skew allowed on exp and iat
    "CDS_JWT_MAX_LIFETIME": 300,  # seconds a token may live (exp - iat) and how old its iat may be (plus leeway)
    "JTI_DB": "",  # the SQLite file of token ids seen (empty: $XDG_STATE_HOME or ~/.local/state/spasmdx/jti.sqlite3)
    "JTI_REDIS_URL": "",  # or a Redis all hosts share (redis://host:6379/0): then the file is not used
    "CDS_CORS_ORIGINS": "",  # browser origins allowed to call (or *)
    "CDS_FHIR_SERVERS": "",  # fhirServer base URLs the service may fetch from (empty: none, missing prefetch is 412)
    "CDS_FHIR_TIMEOUT": 5,  # seconds for all FHIR fetches of one call, bodies included
    "CDS_FHIR_MAX_PAGES": 5,  # pages read per search
    "CDS_FHIR_MAX_BYTES": 4 * 1024 * 1024,  # bytes read from the FHIR server for all pages of one call
    "CDS_FHIR_CA_FILE": "",  # CA certificates (PEM) the FHIR servers' TLS is checked against (empty: the system's)
    "CDS_LAB_MAX_AGE_DAYS": 365,  # older results are not used (0: no limit)
    "CDS_NOTE_MAX_AGE_DAYS": 30,  # clinical notes written longer ago are not read (0: no limit)
}


def typed(config: MutableMapping[str, Any]) -> None:
    """Convert each declared setting given as a string to its default's type (int, float); bad numbers raise."""
    for name, default in DEFAULTS.items():
        value = config.get(name)
        if isinstance(value, str) and isinstance(default, (int, float)):
            try:
                config[name] = type(default)(value)
            except ValueError:
                kind = "a whole number" if isinstance(default, int) else "a number"
                raise ValueError(f"SPASMDX_{name} must be {kind}, not {value!r}") from None


def split(value: str) -> list[str]:
    """Return the items of a comma-separated setting."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]
