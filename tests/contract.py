"""Hold real responses to openapi.yaml."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC))


def conforms(response) -> None:
    """Raise unless the request and its response match the contract."""
    request = WerkzeugOpenAPIRequest(response.request)
    openapi().validate_response(request, WerkzeugOpenAPIResponse(response))
