"""Configuration from environment variables, all with the SPASMDX_ prefix."""
from __future__ import annotations

import os
from typing import Any

PREFIX = "SPASMDX_"
DEFAULTS: dict[str, Any] = {
    "KB_PATH": None,  # None: the knowledge base shipped with the package
    "MAX_BODY_BYTES": 256 * 1024,  # a rich context is about 5 KB
    "MAX_BATCH_BODY_BYTES": 8 * 1024 * 1024,  # 1,000 rich cases
    "LOG_LEVEL": "INFO",
    "AUTH": "none",  # none | api_key | jwt (README, "Operations")
    "API_KEY_HASHES": "",  # comma-separated SHA-256 hex digests of the accepted API keys
    "API_KEYS_FILE": "",  # or a file of them, one a line
    "BATCH_DEADLINE_SECONDS": 20.0,  # a batch call still running then answers 503 (gunicorn kills at 30)
    # CDS Hooks (README, "CDS Hooks"); lists are comma-separated, and an empty one switches its feature off.
    "CDS_MAX_BODY_BYTES": 4 * 1024 * 1024,  # prefetch of 100 labs, conditions and medications is a few hundred KB
    "CDS_BASE_URL": "",  # the public base URL EHRs call; a JWT's aud must be it + the path (default: the request's)
    "CDS_JWT_ISSUERS": "",  # set: every CDS Hooks call needs a JWT from one of these issuers
    "CDS_JWKS_FILE": "",  # a JWK Set file with the CDS Clients' public keys
    "CDS_JWKS_URL": "",  # or a URL serving it
    "CDS_JKU_ALLOWLIST": "",  # JWK Set URLs a token's jku header may name
    "CDS_JWT_LEEWAY": 30,  # seconds of clock skew allowed on exp and iat
    "CDS_JTI_CACHE_SIZE": 10000,  # unexpired token ids remembered to refuse replays
    "CDS_CORS_ORIGINS": "",  # browser origins allowed to call (or *)
    "CDS_FHIR_SERVERS": "",  # fhirServer base URLs the service may fetch from (empty: any the EHR names)
    "CDS_FHIR_TIMEOUT": 5,  # seconds for all FHIR fetches of one call
    "CDS_FHIR_MAX_PAGES": 5,  # pages read per search
    "CDS_LAB_MAX_AGE_DAYS": 365,  # older results are not used (0: no limit)
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the configuration, each default overridden by SPASMDX_<NAME> when set."""
    environ = dict(os.environ if environ is None else environ)
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(PREFIX + name)
        if raw is not None:
            config[name] = type(default)(raw) if isinstance(default, (int, float)) else raw
    return config
