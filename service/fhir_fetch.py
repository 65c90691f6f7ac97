"""Fetch the prefetch a CDS Client left out from its FHIR server, as the specification allows."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

log = logging.getLogger("spasmdx.fhir_fetch")
PATIENT_TOKEN = "{{context.patientId}}"
MAX_BYTES = 8 * 1024 * 1024  # one page of a search; a real page of 100 resources is well under 1 MB
ACCEPT = "application/fhir+json, application/json;q=0.9"

Note = dict[str, str]


class PrefetchUnavailable(Exception):
    """Prefetch the service needs is missing and cannot be fetched."""

    def __init__(self, keys: list[str], reason: str) -> None:
        super().__init__(reason)
        self.keys = keys
        self.reason = reason


class _Failed(Exception):
    """One fetch failed; the message says why, with no token and no patient data."""


def complete(
    prefetch: Mapping[str, Any] | None,
    templates: Mapping[str, str],
    optional: set[str],
    call: Mapping[str, Any],
    budget_seconds: float,
    max_pages: int,
    allowed_servers: list[str],
) -> tuple[dict[str, Any], list[Note]]:
    """Return the prefetch with each missing key fetched, and notes on what could not be fetched.

    A missing key that is not optional and cannot be fetched raises PrefetchUnavailable (412).
    """
    given = dict(prefetch or {})
    missing = [key for key in templates if key not in given]
    notes: list[Note] = []
    if not missing:
        return given, notes
    server = (call.get("fhirServer") or "").rstrip("/")
    problem = _refuse_server(server, allowed_servers)
    if problem:
        required = [key for key in missing if key not in optional]
        if required:
            raise PrefetchUnavailable(required, problem)
        return given, notes  # the client chose not to fill an optional key: that is no data, not a fault
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc credentials from the environment: the EHR's token only
    session.headers["Accept"] = ACCEPT
    token = (call.get("fhirAuthorization") or {}).get("access_token")
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + budget_seconds
    patient = quote(call["context"]["patientId"].removeprefix("Patient/"), safe="")
    with session:
        for key in missing:
            query = templates[key].replace(PATIENT_TOKEN, patient)
            try:
                given[key] = _fetch(session, server, query, deadline, max_pages, f"prefetch.{key}", notes)
            except _Failed as error:
                log.warning("prefetch %s not fetched: %s", key, error)
                if key not in optional:
                    raise PrefetchUnavailable([key], str(error)) from None
                notes.append({"path": f"prefetch.{key}", "input": templates[key], "reason": f"not fetched: {error}"})
    return given, notes


def _refuse_server(server: str, allowed: list[str]) -> str | None:
    if not server:
        return "the request names no fhirServer to fetch it from"
    if not server.startswith(("https://", "http://")):
        return "the fhirServer is not an http(s) URL"
    if allowed and not any(server == a.rstrip("/") or server.startswith(a.rstrip("/") + "/") for a in allowed):
        return "the fhirServer is not one this service is configured to call"
    return None


def _fetch(
    session: requests.Session, server: str, query: str, deadline: float, max_pages: int, path: str, notes: list[Note]
) -> dict[str, Any] | None:
    """Read a resource, or a search with up to max_pages pages merged into one searchset Bundle."""
    first = _get(session, f"{server}/{query}", deadline)
    if first is None or first.get("resourceType") != "Bundle":
        return first
    entries = list(first.get("entry") or [])
    url, pages = _next(first), 1
    while url and pages < max_pages:
        if not url.startswith(server + "/"):
            # Never send the EHR's token anywhere but the server it was issued for.
            notes.append({"path": path, "input": "next page", "reason": "on another server: not followed"})
            url = None
            break
        page = _get(session, url, deadline)
        if page is None:
            break
        entries.extend(page.get("entry") or [])
        url, pages = _next(page), pages + 1
    if url:
        notes.append(
            {
                "path": path,
                "input": f"{pages} pages read",
                "reason": f"the search has more than {max_pages} pages: the rest were not read",
            }
        )
    merged = {key: value for key, value in first.items() if key not in ("link", "entry", "total")}
    if entries:
        merged["entry"] = entries
    return merged


def _next(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


def _get(session: requests.Session, url: str, deadline: float) -> dict[str, Any] | None:
    """Return the resource at url; None when the server says there is none (404 or 410)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Failed("the FHIR server did not answer in time")
    try:
        response = session.get(url, timeout=remaining, allow_redirects=False, stream=True)
    except requests.RequestException as error:
        raise _Failed(f"the FHIR server could not be reached ({type(error).__name__})") from None
    with response:
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise _Failed(f"the FHIR server answered HTTP {response.status_code}")
        body = b""
        try:
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise _Failed(f"the FHIR server's answer is larger than {MAX_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise _Failed("the FHIR server did not answer in time")
        except requests.RequestException as error:
            raise _Failed(f"the FHIR server's answer broke off ({type(error).__name__})") from None
    try:
        data = json.loads(body)
    except ValueError:
        raise _Failed("the FHIR server's answer is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise _Failed("the FHIR server's answer is not a FHIR resource")
    return data
