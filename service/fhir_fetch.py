"""Fetch the prefetch a CDS Client left out from its FHIR server, as the specification allows.

Only from a server on SPASMDX_CDS_FHIR_SERVERS (fhir_origin), within one deadline and byte budget
for the whole call (fhir_http). The caller learns which keys could not be fetched, never why: the
reason (refused, unreachable, slow, HTTP status, not JSON) would make the service a port scanner
for whoever can call it, so it goes to the log, with the server's host and no patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from .fhir_http import Budget, Failed, Server
from .fhir_origin import Origin, OriginRefused, allowed, parse

log = logging.getLogger("spasmdx.fhir_fetch")
PATIENT_TOKEN = "{{context.patientId}}"
NOT_FETCHED = "could not be fetched from the fhirServer"

Note = dict[str, str]
# Given the prefetch as completed, (path, attachment) of each Attachment to fetch by its url.
Attachments = Callable[[Mapping[str, Any]], list[tuple[str, dict[str, Any]]]]


class PrefetchUnavailable(Exception):
    """Prefetch the service needs is missing and cannot be fetched (412)."""

    def __init__(self, keys: list[str], no_server: bool = False) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys
        self.no_server = no_server


@dataclass(frozen=True)
class Limits:
    """What one call may spend on fetching: seconds for all fetches, pages per search, bytes in all."""

    seconds: float
    max_pages: int
    max_bytes: int
    ca_file: str = ""


def complete(
    prefetch: Mapping[str, Any] | None,
    templates: Mapping[str, str],
    optional: set[str],
    call: Mapping[str, Any],
    limits: Limits,
    servers: list[Origin],
    attachments: Attachments | None = None,
) -> tuple[dict[str, Any], list[Note]]:
    """Return the prefetch with each missing key fetched, and notes on what could not be fetched.

    A missing key that is not optional and cannot be fetched raises PrefetchUnavailable (412).
    With `attachments`, the Attachments it names (notes by url) are fetched next, as FHIR Binary
    resources from the same server, deadline and byte budget, and their data and contentType are
    set on the attachment; one that cannot be fetched stays without data (its reader says so).
    """
    given = dict(prefetch or {})
    missing = [key for key in templates if key not in given]
    required = [key for key in missing if key not in optional]
    notes: list[Note] = []
    if not missing and not (attachments and call.get("fhirServer") and attachments(given)):
        return given, notes
    if not call.get("fhirServer"):
        if required:
            raise PrefetchUnavailable(required, no_server=True)
        return given, notes  # the client chose not to fill an optional key: that is no data, not a fault
    try:
        origin, entry = allowed(call["fhirServer"], servers)
    except OriginRefused as error:
        _log_failure(_host_of(call["fhirServer"]), str(error))
        if required:
            raise PrefetchUnavailable(required) from None
        return given, [_not_fetched(key, templates) for key in missing]
    budget = Budget(limits.seconds, limits.max_bytes)
    token = (call.get("fhirAuthorization") or {}).get("access_token")
    patient = quote(call["context"]["patientId"].removeprefix("Patient/"), safe="")
    try:
        server = Server(origin, entry, budget, token, limits.ca_file)
    except Failed as error:
        budget.close()
        _log_failure(origin.netloc, str(error))
        if required:
            raise PrefetchUnavailable(required) from None
        return given, [_not_fetched(key, templates) for key in missing]
    try:
        for key in missing:
            query = templates[key].replace(PATIENT_TOKEN, patient)
            try:
                given[key] = _fetch(server, query, limits.max_pages, f"prefetch.{key}", notes)
            except Failed as error:
                _log_failure(origin.netloc, str(error), key)
                if key not in optional:
                    raise PrefetchUnavailable([key]) from None
                notes.append(_not_fetched(key, templates))
        for path, attachment in attachments(given) if attachments else []:
            _fetch_attachment(server, path, attachment)
    finally:
        server.close()
        budget.close()
    return given, notes


def _fetch(server: Server, query: str, max_pages: int, path: str, notes: list[Note]) -> dict[str, Any] | None:
    """Read a resource, or a search with up to max_pages pages merged into one searchset Bundle."""
    first = server.get(_target(server.origin, f"{server.origin.url}/{query}"))
    if first is None or first.get("resourceType") != "Bundle":
        return first
    entries = list(first.get("entry") or [])
    url, pages = _next(first), 1
    while url and pages < max_pages:
        try:
            target = _target(server.origin, url)
        except OriginRefused:
            # Never send the EHR's token anywhere but the server it was issued for.
            notes.append({"path": path, "input": "next page", "reason": "on another server: not followed"})
            url = None
            break
        page = server.get(target)
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


def _fetch_attachment(server: Server, path: str, attachment: dict[str, Any]) -> None:
    """Fetch an Attachment's url (relative to the server, or on it) as a Binary; set its data and contentType."""
    url = str(attachment["url"])
    try:
        target = _target(server.origin, url if "://" in url else f"{server.origin.url}/{url.lstrip('/')}")
        binary = server.get(target)
    except OriginRefused:
        # Never send the EHR's token anywhere but the server it was issued for.
        log.warning("note attachment not fetched: not on the fhirServer")
        return
    except Failed as error:
        _log_failure(server.origin.netloc, str(error), "note attachment")
        return
    if binary is None or binary.get("resourceType") != "Binary" or not isinstance(binary.get("data"), str):
        _log_failure(server.origin.netloc, "answer not a Binary with data", "note attachment")
        return
    attachment["data"] = binary["data"]
    if isinstance(binary.get("contentType"), str):
        attachment["contentType"] = binary["contentType"]


def _target(server: Origin, url: str) -> str:
    """Return the request target (path and query) of a URL under the server's base, or raise OriginRefused."""
    origin, query = parse(url, query=True)
    if not server.contains(origin):
        raise OriginRefused("the URL is not under the fhirServer")
    return f"{origin.path or '/'}?{query}" if query else origin.path or "/"


def _next(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


def _not_fetched(key: str, templates: Mapping[str, str]) -> Note:
    return {"path": f"prefetch.{key}", "input": templates[key], "reason": NOT_FETCHED}


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or "no host"
    except ValueError:
        return "no host"


def _log_failure(host: str, why: str, key: str | None = None) -> None:
    # The host and the class of failure: never a path or a query (a patient id travels there) or a
    # token; ascii() keeps a caller-chosen host from forging log lines.
    log.warning("prefetch%s not fetched from %s: %s", f" {key}" if key else "", ascii(host[:100]), why)
