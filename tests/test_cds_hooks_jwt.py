"""The CDS Client's JWT: asymmetric, kid-selected, iss/jku allow-listed, aud = the configured endpoint, a short
lifetime, no replay."""

from __future__ import annotations

import json
import logging
import time
import uuid

import jwt
import pytest
from cds import CK_40_ULN, SERVICE, STATIN, fhir_server, hook_request, prefetch
from contract import conforms
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from spasmdx.service import create_app

ISSUER = "https://ehr.example.org"
BASE = "https://cds.example.org"
SERVICE_AUD = BASE + SERVICE
YEAR = 365 * 24 * 3600
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_set(*pairs):
    keys = []
    for kid, key in pairs:
        algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
        keys.append(json.loads(algorithm.to_jwk(key.public_key())) | {"kid": kid, "use": "sig"})
    return {"keys": keys}


def token(aud=SERVICE_AUD, key=RSA_KEY, alg="RS384", kid="ehr-rsa", headers=None, **claims):
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "client",
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    } | claims
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None},
        key,
        algorithm=alg,
        headers={"kid": kid, "typ": "JWT"} | (headers or {}),
    )


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(scope="module")
def jku_server():
    with fhir_server(
        lambda path, headers: (200, jwk_set(("ehr-ec", EC_KEY))) if path == "/fhir/jwks" else (404, {})
    ) as (base, seen):
        yield f"{base}/jwks", seen


def settings(folder, **more):
    """A JWT configuration: the RSA key in a JWK Set file, the base URL, and a replay store in this folder."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = folder / "jwks.json"
    keys.write_text(json.dumps(jwk_set(("ehr-rsa", RSA_KEY))))
    return {
        "TESTING": True,
        "CDS_JWT_ISSUERS": ISSUER,
        "CDS_JWKS_FILE": str(keys),
        "CDS_BASE_URL": BASE,
        "JTI_DB": str(folder / "jti.sqlite3"),
    } | more


@pytest.fixture(scope="module")
def app(tmp_path_factory, jku_server):
    folder = tmp_path_factory.mktemp("jwks")
    return create_app(
        settings(
            folder,
            CDS_JWT_ISSUERS=f"{ISSUER}/, https://other-ehr.example",
            CDS_JKU_ALLOWLIST=jku_server[0],
            CDS_CORS_ORIGINS="https://ehr.example.org",
        )
    )


@pytest.fixture()
def client(app):
    return app.test_client()


def answer(client, headers):
    return client.post(SERVICE, json=hook_request(prefetch(medications=[STATIN], labs=[CK_40_ULN])), headers=headers)


def test_a_good_token_is_accepted_on_the_service_and_on_discovery(client):
    response = answer(client, bearer(token()))
    assert response.status_code == 200 and response.get_json()["cards"][0]["indicator"] == "critical"
    assert client.get("/cds-services", headers=bearer(token(aud=BASE + "/cds-services"))).status_code == 200
    feedback = {"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:00:00Z"}]}
    assert (
        client.post(
            f"{SERVICE}/feedback", json=feedback, headers=bearer(token(aud=[f"{SERVICE_AUD}/feedback"]))
        ).status_code
        == 200
    )


def test_an_elliptic_curve_key_from_an_allow_listed_jku(client, jku_server):
    jku, seen = jku_server
    good = token(key=EC_KEY, alg="ES384", kid="ehr-ec", headers={"jku": jku})
    assert answer(client, bearer(good)).status_code == 200 and seen


@pytest.mark.parametrize(
    "make,reason",
    [
        pytest.param(lambda jku: None, "Authorization", id="no-token"),
        pytest.param(lambda jku: token(aud=BASE + "/cds-services"), "aud", id="audience-of-another-endpoint"),
        pytest.param(
            lambda jku: token(exp=int(time.time()) - 120, iat=int(time.time()) - 600), "expired", id="expired"
        ),
        pytest.param(
            lambda jku: token(iat=int(time.time()) + 600, exp=int(time.time()) + 900), "future", id="iat-future"
        ),
        pytest.param(lambda jku: token(key="a-shared-secret-of-32-bytes-long!", alg="HS256"), "algorithm", id="hs256"),
        pytest.param(lambda jku: jwt.encode({"iss": ISSUER}, None, algorithm="none"), "algorithm", id="alg-none"),
        pytest.param(lambda jku: token(kid="unknown"), "kid", id="unknown-kid"),
        pytest.param(lambda jku: token(key=OTHER_KEY), "does not verify", id="signed-by-another-key"),
        pytest.param(lambda jku: token(iss="https://evil.example"), "issuer", id="issuer-not-allow-listed"),
        pytest.param(lambda jku: token(jti=None), "jti", id="no-jti"),
        pytest.param(
            lambda jku: token(alg="RS256", headers={"jku": "https://evil.example/jwks"}),
            "jku",
            id="jku-not-allow-listed",
        ),
        pytest.param(
            lambda jku: token(key=RSA_KEY, alg="RS384", kid="ehr-ec", headers={"jku": jku}),
            "does not verify",
            id="rsa-signature-on-an-ec-key",
        ),
        pytest.param(lambda jku: "not.a.jwt", "not a JWT", id="garbage"),
    ],
)
def test_bad_tokens_are_401_problems(client, jku_server, make, reason):
    made = make(jku_server[0])
    response = answer(client, bearer(made) if made else {})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert reason in response.get_json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    conforms(response)


def test_a_replayed_token_is_refused(client):
    once = token()
    assert answer(client, bearer(once)).status_code == 200
    again = answer(client, bearer(once))
    assert again.status_code == 401 and "replayed" in again.get_json()["detail"]


def test_the_token_is_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = [token(), token(exp=int(time.time()) - 100), token(key=OTHER_KEY)]
    for made in tokens:
        answer(client, bearer(made))
    assert "refused" in caplog.text
    assert not any(made in caplog.text or made.split(".")[2] in caplog.text for made in tokens)


def test_a_cors_preflight_needs_no_token(client):
    response = client.options(
        SERVICE, headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"


@pytest.mark.security
def test_the_audience_never_follows_the_host_header(client):
    # The finding: with the base URL unset, aud was the URL the request arrived on, which its Host
    # header chooses. Now the base URL is required, and a token for another host is refused.
    evil = token(aud="http://evil.example" + SERVICE)
    for headers in (bearer(evil) | {"Host": "evil.example"}, bearer(token(aud="http://localhost" + SERVICE))):
        refused = answer(client, headers)
        assert refused.status_code == 401 and f"not this endpoint ({SERVICE_AUD})" in refused.get_json()["detail"]
    assert answer(client, bearer(token()) | {"Host": "evil.example"}).status_code == 200  # aud is the configured one


@pytest.mark.security
@pytest.mark.parametrize(
    "base",
    [
        pytest.param("", id="unset"),
        pytest.param("cds.example.org", id="no-scheme"),
        pytest.param("ftp://cds.example.org", id="not-http"),
        pytest.param("https://cds.example.org/?x=1", id="query"),
    ],
)
def test_start_up_fails_naming_the_base_url_when_jwts_are_on_without_a_good_one(tmp_path, base):
    with pytest.raises(ValueError, match="SPASMDX_CDS_BASE_URL must"):
        create_app(settings(tmp_path, CDS_BASE_URL=base))


@pytest.mark.security
@pytest.mark.parametrize(
    "iat,exp,reason",
    [
        pytest.param(0, 10 * YEAR, "valid for longer than 300 s", id="valid-for-10-years"),
        pytest.param(-10 * YEAR, 60, "issued more than 300 s ago", id="issued-10-years-ago-unexpired"),
        pytest.param(-10 * YEAR, -10 * YEAR + 300, "expired", id="issued-10-years-ago-expired"),
        pytest.param(0, 301, "valid for longer than 300 s", id="one-second-too-long"),
        pytest.param(-400, 200, "issued more than 300 s ago", id="issued-before-the-lifetime-and-leeway"),
    ],
)
def test_long_lived_and_old_tokens_are_refused(client, iat, exp, reason):
    now = int(time.time())
    refused = answer(client, bearer(token(iat=now + iat, exp=now + exp)))
    assert refused.status_code == 401 and reason in refused.get_json()["detail"]


def test_a_token_of_the_maximum_lifetime_passes_and_the_maximum_is_configurable(client, tmp_path):
    now = int(time.time())
    assert answer(client, bearer(token(iat=now - 320, exp=now + 10))).status_code == 401  # 330 s: too long
    assert answer(client, bearer(token(iat=now - 290, exp=now + 10))).status_code == 200  # 300 s, issued 290 s ago
    hour = create_app(settings(tmp_path, CDS_JWT_MAX_LIFETIME="3600")).test_client()
    assert answer(hour, bearer(token(exp=now + 3600))).status_code == 200
    assert answer(hour, bearer(token(exp=now + 3601 + 60))).status_code == 401


@pytest.mark.security
def test_many_tokens_never_lock_anyone_out(client):
    # The finding: twenty 10-year tokens filled a 20-entry cache and every later token was refused.
    # Long-lived tokens are refused before they reach the store, which is bounded by expiry, not size.
    now = int(time.time())
    discovery = BASE + "/cds-services"
    for _ in range(20):
        long_lived = token(aud=discovery, exp=now + 10 * YEAR)
        assert client.get("/cds-services", headers=bearer(long_lived)).status_code == 401
    for _ in range(200):
        assert client.get("/cds-services", headers=bearer(token(aud=discovery))).status_code == 200
    assert answer(client, bearer(token())).status_code == 200


@pytest.fixture(scope="module")
def jwks_url_server():
    keys = jwk_set(("url-rsa", RSA_KEY), ("url-ec", EC_KEY))
    with fhir_server(lambda path, headers: (200, keys) if path == "/fhir/keys" else (404, {})) as (base, seen):
        yield base, seen


def test_a_jwks_url_is_fetched_once_cached_and_an_unknown_kid_refetches_at_most_every_30_s(jwks_url_server, tmp_path):
    base, seen = jwks_url_server
    client = create_app(settings(tmp_path, CDS_JWKS_FILE="", CDS_JWKS_URL=f"{base}/keys")).test_client()
    before = len(seen)
    assert answer(client, bearer(token(kid="url-rsa"))).status_code == 200
    assert answer(client, bearer(token(key=EC_KEY, alg="ES384", kid="url-ec"))).status_code == 200
    unknown = answer(client, bearer(token(kid="rotated-away")))
    assert unknown.status_code == 401 and "kid" in unknown.get_json()["detail"]
    assert [s["path"] for s in seen[before:]] == ["/fhir/keys"]  # one fetch: the cache, then the cool-down


def test_a_jwks_url_that_fails_is_a_401_naming_the_http_status(jwks_url_server, tmp_path):
    base, seen = jwks_url_server
    client = create_app(settings(tmp_path, CDS_JWKS_FILE="", CDS_JWKS_URL=f"{base}/gone")).test_client()
    refused = answer(client, bearer(token(kid="url-rsa")))
    assert refused.status_code == 401 and "could not be fetched (HTTP 404)" in refused.get_json()["detail"]


def test_a_jku_off_the_allow_list_is_refused_before_any_fetch(jwks_url_server, tmp_path):
    base, seen = jwks_url_server
    client = create_app(settings(tmp_path, CDS_JWKS_FILE="", CDS_JWKS_URL=f"{base}/keys")).test_client()
    before = len(seen)
    refused = answer(client, bearer(token(kid="url-rsa", headers={"jku": f"{base}/keys?other"})))
    assert refused.status_code == 401 and "jku" in refused.get_json()["detail"] and len(seen) == before


def test_a_jwks_url_that_is_not_http_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="SPASMDX_CDS_JWKS_URL"):
        create_app(settings(tmp_path, CDS_JWKS_FILE="", CDS_JWKS_URL="file:///etc/passwd"))
