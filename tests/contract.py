"""Hold real responses to openapi.yaml."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"
HOST = "http://127.0.0.1:8000"


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    # Problem details are JSON under their own media type (RFC 9457); the contract itself is YAML.
    deserializers = {"application/problem+json": json.loads, "application/yaml": yaml.safe_load}
    config = Config(extra_media_type_deserializers=deserializers)
    return OpenAPI.from_file_path(str(SPEC), config=config)


def conforms(response) -> None:
    """Raise unless the response matches the contract for its request's operation."""
    sent = response.request
    request = MockRequest(HOST, sent.method.lower(), sent.path, args=dict(sent.args))
    answer = MockResponse(
        response.data, status_code=response.status_code, headers=dict(response.headers), content_type=response.mimetype
    )
    openapi().validate_response(request, answer)
