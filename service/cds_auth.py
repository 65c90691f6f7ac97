"""Verify the JWT a CDS Client signs for each call (CDS Hooks 2.0, "Trusting CDS Clients")."""
from __future__ import annotations

import heapq
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Mapping

import jwt
import requests

log = logging.getLogger("spasmdx.cds_auth")
# The specification forbids `none` and every symmetric (HMAC) algorithm: only these verify.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
JWKS_TTL = 300  # seconds a fetched JWK Set is trusted before it is fetched again
JWKS_RETRY = 30  # an unknown kid refetches the set (key rotation), at most this often
JWKS_TIMEOUT = 3
JWKS_MAX_BYTES = 256 * 1024


class TokenRefused(Exception):
    """The bearer token does not authenticate a trusted CDS Client; the message says why, never the token."""


def split(value: str) -> list[str]:
    """Return the items of a comma-separated setting."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class ReplayCache:
    """The jti of every token seen, kept until the token expires; bounded, and refusing when full."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: dict[str, float] = {}
        self._expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def claim(self, key: str, expires: float, now: float) -> None:
        """Record a token id once; raise TokenRefused on a replay or when the cache is full."""
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                _, old = heapq.heappop(self._expiry)
                self._seen.pop(old, None)
            if key in self._seen:
                raise TokenRefused("the token was used before (jti replayed)")
            if len(self._seen) >= self._size:
                # Forgetting an unexpired jti would let that token be replayed: refuse instead.
                raise TokenRefused("too many unexpired tokens: try again shortly")
            self._seen[key] = expires
            heapq.heappush(self._expiry, (expires, key))


class KeySets:
    """The CDS Clients' public keys: a configured JWK Set file or URL, or an allow-listed `jku`."""

    def __init__(self, file: str, url: str, jku_allowed: list[str]) -> None:
        try:
            self._file = _keys(json.loads(Path(file).read_text(encoding="utf-8")), file) if file else {}
        except (OSError, ValueError, TokenRefused) as error:  # a bad key file stops start-up, not a request
            raise ValueError(f"SPASMDX_CDS_JWKS_FILE: cannot read a JWK Set from {file}: {error}") from None
        self._url = url
        self._jku_allowed = set(jku_allowed)
        self._fetched: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def find(self, kid: str, jku: str | None) -> dict[str, Any]:
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

    def _from_url(self, url: str, kid: str) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            fetched_at, keys = self._fetched.get(url, (float("-inf"), {}))
            stale = now - fetched_at > JWKS_TTL or (kid not in keys and now - fetched_at > JWKS_RETRY)
            if stale:
                keys = _keys(_download(url), url)
                self._fetched[url] = (now, keys)
        if kid not in keys:
            raise TokenRefused("no key in the JWK Set has this kid")
        return keys[kid]


def _download(url: str) -> Any:
    try:
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(url, timeout=JWKS_TIMEOUT, allow_redirects=False)
        if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
            raise TokenRefused(f"the JWK Set could not be fetched (HTTP {response.status_code})")
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise TokenRefused(f"the JWK Set could not be fetched ({type(error).__name__})") from None


def _keys(document: Any, where: str) -> dict[str, dict[str, Any]]:
    """Index a JWK Set by kid, keeping only asymmetric signing keys."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise TokenRefused(f"{where} is not a JWK Set")
    return {k["kid"]: k for k in document["keys"]
            if isinstance(k, dict) and isinstance(k.get("kid"), str) and k.get("kty") in ("RSA", "EC")
            and k.get("use", "sig") == "sig"}


class Verifier:
    """Check a CDS Client's bearer JWT: algorithm, key, signature, iss, aud, exp, iat and jti."""

    def __init__(self, issuers: list[str], keys: KeySets, leeway: int, replay: ReplayCache) -> None:
        self._issuers = {i.rstrip("/") for i in issuers}
        self._keys = keys
        self._leeway = leeway
        self._replay = replay

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
            claims = jwt.decode(token, key, algorithms=[alg], audience=[audience, audience + "/"],
                                leeway=self._leeway, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
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
        now = time.time()
        if not isinstance(claims["iat"], (int, float)) or claims["iat"] > now + self._leeway:
            raise TokenRefused("the token was issued in the future (iat)")
        self._replay.claim(f"{claims['iss']}\x00{claims['jti']}", float(claims["exp"]) + self._leeway, now)
        return claims


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
    keys = KeySets(config["CDS_JWKS_FILE"], config["CDS_JWKS_URL"], split(config["CDS_JKU_ALLOWLIST"]))
    return Verifier(issuers, keys, int(config["CDS_JWT_LEEWAY"]), ReplayCache(int(config["CDS_JTI_CACHE_SIZE"])))
