"""Verify the bearer JWT a trusted client signs for each call (CDS Hooks 2.0, "Trusting CDS Clients").

One verifier is built from the configuration per process and shared by the CDS Hooks endpoints and
the API's `jwt` mode (app.extensions["spasmdx.jwt"]); its `jti` replay store (service/replay.py) is a
SQLite file or Redis, shared by every worker, every restart and, with Redis, every host. A token lives
at most CDS_JWT_MAX_LIFETIME seconds, and its aud must be the configured public base URL plus the path
called, never one derived from the request's Host header.
JWK Set URLs are fetched and cached by PyJWT's PyJWKClient (a timeout, no redirects, the set
kept JWKS_TTL seconds, an unknown kid refetching it at most every JWKS_RETRY seconds for key
rotation); a token's `jku` is checked against the allow-list before anything is fetched.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

import jwt
from flask import Flask, current_app, request

from . import replay
from .config import split

log = logging.getLogger("spasmdx.jwt")

# The specification forbids `none` and every symmetric (HMAC) algorithm: only these verify.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
JWKS_TTL = 300  # seconds a fetched JWK Set is trusted before it is fetched again
JWKS_RETRY = 30  # an unknown kid refetches the set (key rotation), at most this often
JWKS_TIMEOUT = 3

Jwk = dict[str, Any]


class TokenRefused(Exception):
    """The bearer token does not authenticate a trusted client; the message says why, never the token."""


class _Client(jwt.PyJWKClient):
    """PyJWKClient, also keeping each fetched set's JWKs as sent (their declared `alg` pins the token's)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, lifespan=JWKS_TTL, timeout=JWKS_TIMEOUT, cooldown_duration=JWKS_RETRY)
        self.sent: dict[str, Jwk] = {}

    def fetch_data(self) -> Any:
        document = super().fetch_data()
        self.sent = signing_keys(document, self.uri)
        return document


class KeySets:
    """Find the JWK a token's kid (and jku, if any) names in a trusted set."""

    def __init__(self, file: str, url: str, jku_allowed: list[str]) -> None:
        try:
            self._file = signing_keys(json.loads(Path(file).read_text(encoding="utf-8")), file) if file else {}
        except (OSError, ValueError, TokenRefused) as error:  # a bad key file stops start-up, not a request
            raise ValueError(f"SPASMDX_CDS_JWKS_FILE: cannot read a JWK Set from {file}: {error}") from None
        self._url = url
        self._jku_allowed = set(jku_allowed)
        try:  # one client per trusted URL, each with its own cache; a URL that is not http(s) stops start-up
            self._clients = {u: _Client(u) for u in ({url} if url else set()) | self._jku_allowed}
        except jwt.PyJWKClientError as error:
            raise ValueError(f"SPASMDX_CDS_JWKS_URL or _JKU_ALLOWLIST: {error}") from None

    def find(self, kid: str, jku: str | None) -> Jwk:
        """Return the JWK with this kid; raise TokenRefused if no trusted set holds it."""
        if jku is not None:
            if jku not in self._jku_allowed:
                raise TokenRefused("the jku header names a JWK Set URL that is not allow-listed")
            return self._from_url(jku, kid)
        if kid in self._file:
            return self._file[kid]
        if self._url:
            return self._from_url(self._url, kid)
        raise TokenRefused("no configured key has this kid")

    def _from_url(self, url: str, kid: str) -> Jwk:
        client = self._clients[url]
        try:
            client.get_signing_key(kid)  # fetches when the cached set is stale or lacks the kid
        except jwt.PyJWKClientConnectionError as error:
            cause = error.__cause__
            why = f"HTTP {cause.code}" if isinstance(cause, HTTPError) else type(cause or error).__name__
            raise TokenRefused(f"the JWK Set could not be fetched ({why})") from None
        except (OSError, ValueError) as error:  # a connection broken mid-read, a body that is not JSON
            raise TokenRefused(f"the JWK Set could not be fetched ({type(error).__name__})") from None
        except jwt.PyJWKSetError:
            raise TokenRefused(f"{url} is not a JWK Set") from None
        except jwt.PyJWKClientError:
            raise TokenRefused("no key in the JWK Set has this kid") from None
        if kid not in client.sent:  # PyJWT reads symmetric and other key types too: only ours count
            raise TokenRefused("no key in the JWK Set has this kid")
        return client.sent[kid]


def signing_keys(document: Any, where: str) -> dict[str, Jwk]:
    """Index a JWK Set by kid, keeping only asymmetric signing keys."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise TokenRefused(f"{where} is not a JWK Set")
    return {
        k["kid"]: k
        for k in document["keys"]
        if isinstance(k, dict)
        and isinstance(k.get("kid"), str)
        and k.get("kty") in ("RSA", "EC")
        and k.get("use", "sig") == "sig"
    }


class Verifier:
    """Check a CDS Client's bearer JWT: algorithm, key, signature, iss, aud, exp, iat and jti."""

    def __init__(
        self, base: str, issuers: list[str], keys: KeySets, leeway: int, max_lifetime: int, store: replay.ReplayStore
    ) -> None:
        self.base = base  # the public base URL: a token's aud is it plus the path called
        self._issuers = {i.rstrip("/") for i in issuers}
        self._keys = keys
        self._leeway = leeway
        self._max_lifetime = max_lifetime
        self._store = store

    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        """Return the token's claims, or raise TokenRefused."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused("send the CDS Client's JWT as 'Authorization: Bearer <token>'")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("the token is not a JWT") from None
        alg, kid, jku = header.get("alg"), header.get("kid"), header.get("jku")
        if alg not in ASYMMETRIC:
            raise TokenRefused(f"algorithm {str(alg)[:20]!r} is not accepted: sign with one of {', '.join(ASYMMETRIC)}")
        if not isinstance(kid, str) or (jku is not None and not isinstance(jku, str)):
            raise TokenRefused("the token's header needs a kid (and a jku, if any, as a string)")
        jwk = self._keys.find(kid, jku)
        if jwk.get("alg", alg) != alg:
            raise TokenRefused("the token's algorithm is not the one its key is for")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=[audience, audience + "/"],
                leeway=self._leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(f"the token's aud is not this endpoint ({audience})") from None
        except jwt.MissingRequiredClaimError as error:
            raise TokenRefused(f"the token lacks the {error.claim} claim") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("the token was issued in the future (iat)") from None
        except jwt.PyJWTError as error:
            raise TokenRefused(f"the token does not verify ({type(error).__name__})") from None
        if str(claims["iss"]).rstrip("/") not in self._issuers:
            raise TokenRefused("the token's issuer is not an allow-listed CDS Client")
        self._check_lifetime(claims)
        self._claim(claims)
        return claims

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        # CDS Hooks 2.0 recommends a lifetime of at most five minutes: a long-lived token, or an old one,
        # is one that may have leaked, and the replay store need keep no id longer than that.
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise TokenRefused("the token's iat and exp must be numbers")
        now = time.time()
        if iat > now + self._leeway:
            raise TokenRefused("the token was issued in the future (iat)")
        if iat < now - self._max_lifetime - self._leeway:
            raise TokenRefused(f"the token was issued more than {self._max_lifetime} s ago (iat)")
        if exp - iat > self._max_lifetime:
            raise TokenRefused(f"the token is valid for longer than {self._max_lifetime} s (exp - iat)")

    def _claim(self, claims: Mapping[str, Any]) -> None:
        key = f"{claims['iss']}\x00{claims['jti']}"
        try:
            first = self._store.claim(key, float(claims["exp"]) + self._leeway)
        except replay.StoreUnavailable as error:
            log.error("jti replay store unavailable: %s", error)  # fail closed: an unchecked token could be a replay
            raise TokenRefused("the replay check is unavailable: try again shortly") from None
        if not first:
            raise TokenRefused("the token was used before (jti replayed)")


def from_config(config: Mapping[str, Any]) -> Verifier | None:
    """Build the verifier the configuration asks for, or None when JWTs are not required."""
    issuers = split(config["CDS_JWT_ISSUERS"])
    sources = (config["CDS_JWKS_FILE"], config["CDS_JWKS_URL"], config["CDS_JKU_ALLOWLIST"])
    if not issuers:
        if any(sources):
            raise ValueError("SPASMDX_CDS_JWT_ISSUERS must name the trusted issuers when a JWK Set is configured")
        return None
    if not any(sources):
        raise ValueError("SPASMDX_CDS_JWT_ISSUERS is set: give SPASMDX_CDS_JWKS_FILE, _JWKS_URL or _JKU_ALLOWLIST")
    base = base_url(config)
    max_lifetime = int(config["CDS_JWT_MAX_LIFETIME"])
    if max_lifetime <= 0:
        raise ValueError("SPASMDX_CDS_JWT_MAX_LIFETIME must be a positive number of seconds")
    keys = KeySets(config["CDS_JWKS_FILE"], config["CDS_JWKS_URL"], split(config["CDS_JKU_ALLOWLIST"]))
    return Verifier(base, issuers, keys, int(config["CDS_JWT_LEEWAY"]), max_lifetime, replay.from_config(config))


def base_url(config: Mapping[str, Any]) -> str:
    """The public base URL a token's aud must start with; a missing or odd one stops start-up."""
    # Never the request's own URL: its Host header is the caller's to choose, and with it the audience.
    value = str(config["CDS_BASE_URL"]).strip().rstrip("/")
    if not value:
        raise ValueError(
            "SPASMDX_CDS_BASE_URL must be set when JWTs are checked: the public base URL clients call "
            "(a token's aud is it plus the path), e.g. https://cds.example.org"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"SPASMDX_CDS_BASE_URL must be an http(s) URL without query or fragment, not {value!r}")
    return value


def init_app(app: Flask) -> None:
    """Build the one verifier (None when JWTs are not configured); a bad setting stops start-up."""
    app.extensions["spasmdx.jwt"] = from_config(app.config)


def verify_request() -> Mapping[str, Any]:
    """Verify the current request's bearer token; its aud must be the public base URL plus the path called."""
    verifier: Verifier = current_app.extensions["spasmdx.jwt"]
    return verifier.verify(request.headers.get("Authorization"), verifier.base + request.path)
