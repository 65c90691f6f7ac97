"""Configuration from environment variables, all with the SPASMDX_ prefix."""
from __future__ import annotations

import os
from typing import Any

PREFIX = "SPASMDX_"
DEFAULTS: dict[str, Any] = {
    "KB_PATH": None,  # None: the knowledge base shipped with the package
    "MAX_BODY_BYTES": 256 * 1024,  # a rich context is about 5 KB
    "LOG_LEVEL": "INFO",
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the configuration, each default overridden by SPASMDX_<NAME> when set."""
    environ = dict(os.environ if environ is None else environ)
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(PREFIX + name)
        if raw is not None:
            config[name] = int(raw) if isinstance(default, int) else raw
    return config
