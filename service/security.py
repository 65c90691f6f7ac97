"""Who may send patient data, and the headers every answer carries.

SPASMDX_AUTH chooses: "none" (local development; a warning at start), "api_key" (keys kept
only as SHA-256 hashes, compared in constant time) or "jwt" (the same verifier as CDS Hooks:
signature from the configured JWKS, issuer allow-list, audience, expiry, jti replay refused; one
verifier and one replay cache for both).
Discovery, health, metrics, the contract, the knowledge base and the page stay open; the
endpoints that take patient data need credentials when auth is on.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

from flask import Flask, Response, current_app, request

from . import jwt_auth
from .config import split
from .errors import problem

log = logging.getLogger("spasmdx.security")
MODES = ("none", "api_key", "jwt")
PATIENT_DATA = {"api.differential", "api.differential_batch"}
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


class ConfigError(Exception):
    """A security setting is wrong: the service refuses to start."""


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach: 127.0.0.0/8, ::1 or localhost."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name, an empty string (every interface), anything else: not provably local
        return False


def check_bind(host: str, auth: str | None) -> None:
    """Refuse to serve beyond this machine unless SPASMDX_AUTH says how callers are checked.

    Fail closed: an image or a script that binds every interface and forgets the setting must
    not answer patient data to anyone who can reach it. SPASMDX_AUTH=none, said explicitly,
    still serves openly (a closed network behind an authenticating proxy).
    """
    if auth is None and not is_loopback(host):
        raise ConfigError(
            f"will not serve on {host or 'every interface'} with authentication unset: set SPASMDX_AUTH to "
            "api_key or jwt (README, Operations), or to none to serve openly on a closed network"
        )


def key_hash(key: str) -> str:
    """The form in which an API key is configured and compared: its SHA-256 hex digest."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _configured_hashes(app: Flask) -> list[str]:
    hashes = split(app.config["API_KEY_HASHES"])
    if app.config["API_KEYS_FILE"]:
        with open(app.config["API_KEYS_FILE"], encoding="utf-8") as handle:
            hashes += [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    bad = [h for h in hashes if len(h) != 64 or any(c not in "0123456789abcdef" for c in h.lower())]
    if bad:
        raise ConfigError("SPASMDX_API_KEY_HASHES holds something that is not a SHA-256 hex digest")
    return [h.lower() for h in hashes]


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("X-API-Key")


def _key_accepted(hashes: list[str], key: str | None) -> bool:
    if not key:
        return False
    digest = key_hash(key)
    # Compare with every configured hash, so the time taken says nothing about which one matched.
    return sum(hmac.compare_digest(digest, known) for known in hashes) > 0


def _authenticate() -> Response | None:
    if request.endpoint not in PATIENT_DATA or request.method == "OPTIONS":
        return None
    mode = current_app.config["AUTH"]
    if mode == "api_key" and not _key_accepted(current_app.extensions["spasmdx.api_keys"], _presented_key()):
        return _refused("A valid API key is required (Authorization: Bearer <key>, or X-API-Key).")
    if mode == "jwt":
        try:
            jwt_auth.verify_request()
        except jwt_auth.TokenRefused as error:
            return _refused(f"The bearer token was refused: {error}.")
    return None


def _refused(detail: str) -> Response:
    log.info("refused %s %s: no valid credentials", request.method, request.path)  # never the credential
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="spasmdx"'
    return response


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", PAGE_POLICY if response.mimetype == "text/html" else API_POLICY)
    if request.method == "POST":  # every POST carries or answers with patient data: never cache it
        headers["Cache-Control"] = "no-store"
    hsts = current_app.config["HSTS_SECONDS"]
    if hsts > 0:  # only when the operator says TLS ends in front of the service: HSTS over plain http is a lie
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    return response


def init_app(app: Flask) -> None:
    mode = app.config["AUTH"]
    if mode not in MODES:
        raise ConfigError(f"SPASMDX_AUTH must be one of {', '.join(MODES)}, not {mode!r}")
    if app.config["HSTS_SECONDS"] < 0:
        raise ConfigError("SPASMDX_HSTS_SECONDS must be 0 (off) or a number of seconds")
    if mode == "none":
        log.warning("authentication is off (SPASMDX_AUTH=none): for local development only")
    if mode == "api_key":
        app.extensions["spasmdx.api_keys"] = _configured_hashes(app)
        if not app.extensions["spasmdx.api_keys"]:
            raise ConfigError("SPASMDX_AUTH=api_key needs SPASMDX_API_KEY_HASHES or SPASMDX_API_KEYS_FILE")
    if mode == "jwt" and app.extensions["spasmdx.jwt"] is None:  # jwt_auth.init_app built it from the same settings
        raise ConfigError("SPASMDX_AUTH=jwt needs SPASMDX_CDS_JWT_ISSUERS and a JWKS file or URL")
    if mode == "api_key" and app.extensions["spasmdx.jwt"] is None:
        log.warning("CDS Hooks answer 401 to every call until SPASMDX_CDS_JWT_ISSUERS and a JWK Set are configured")
    app.before_request(_authenticate)
    app.after_request(_headers)
