"""The CDS Client's JWT: asymmetric, kid-selected, iss/jku allow-listed, aud = the endpoint, exp, iat, no replay."""

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


@pytest.fixture(scope="module")
def app(tmp_path_factory, jku_server):
    keys = tmp_path_factory.mktemp("jwks") / "jwks.json"
    keys.write_text(json.dumps(jwk_set(("ehr-rsa", RSA_KEY))))
    return create_app(
        {
            "TESTING": True,
            "CDS_JWT_ISSUERS": f"{ISSUER}/, https://other-ehr.example",
            "CDS_JWKS_FILE": str(keys),
            "CDS_JKU_ALLOWLIST": jku_server[0],
            "CDS_BASE_URL": BASE,
            "CDS_CORS_ORIGINS": "https://ehr.example.org",
        }
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


def test_the_audience_defaults_to_the_address_called(tmp_path):
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwk_set(("ehr-rsa", RSA_KEY))))
    client = create_app({"TESTING": True, "CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_FILE": str(keys)}).test_client()
    assert answer(client, bearer(token(aud="http://localhost" + SERVICE))).status_code == 200
    assert answer(client, bearer(token())).status_code == 401


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"CDS_JWT_ISSUERS": ISSUER}, id="issuers-without-keys"),
        pytest.param({"CDS_JWKS_URL": "https://ehr.example.org/jwks"}, id="keys-without-issuers"),
        pytest.param({"CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_FILE": "/nonexistent/jwks.json"}, id="missing-key-file"),
    ],
)
def test_a_bad_jwt_configuration_stops_start_up(config):
    with pytest.raises(ValueError, match="SPASMDX_CDS_"):
        create_app({"TESTING": True, **config})


@pytest.fixture(scope="module")
def jwks_url_server():
    keys = jwk_set(("url-rsa", RSA_KEY), ("url-ec", EC_KEY))
    with fhir_server(lambda path, headers: (200, keys) if path == "/fhir/keys" else (404, {})) as (base, seen):
        yield base, seen


def test_a_jwks_url_is_fetched_once_cached_and_an_unknown_kid_refetches_at_most_every_30_s(jwks_url_server):
    base, seen = jwks_url_server
    client = create_app(
        {"TESTING": True, "CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_URL": f"{base}/keys", "CDS_BASE_URL": BASE}
    ).test_client()
    before = len(seen)
    assert answer(client, bearer(token(kid="url-rsa"))).status_code == 200
    assert answer(client, bearer(token(key=EC_KEY, alg="ES384", kid="url-ec"))).status_code == 200
    unknown = answer(client, bearer(token(kid="rotated-away")))
    assert unknown.status_code == 401 and "kid" in unknown.get_json()["detail"]
    assert [s["path"] for s in seen[before:]] == ["/fhir/keys"]  # one fetch: the cache, then the cool-down


def test_a_jwks_url_that_fails_is_a_401_naming_the_http_status(jwks_url_server):
    base, seen = jwks_url_server
    client = create_app(
        {"TESTING": True, "CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_URL": f"{base}/gone", "CDS_BASE_URL": BASE}
    ).test_client()
    refused = answer(client, bearer(token(kid="url-rsa")))
    assert refused.status_code == 401 and "could not be fetched (HTTP 404)" in refused.get_json()["detail"]


def test_a_jku_off_the_allow_list_is_refused_before_any_fetch(jwks_url_server):
    base, seen = jwks_url_server
    client = create_app(
        {"TESTING": True, "CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_URL": f"{base}/keys", "CDS_BASE_URL": BASE}
    ).test_client()
    before = len(seen)
    refused = answer(client, bearer(token(kid="url-rsa", headers={"jku": f"{base}/keys?other"})))
    assert refused.status_code == 401 and "jku" in refused.get_json()["detail"] and len(seen) == before


def test_a_jwks_url_that_is_not_http_stops_start_up():
    with pytest.raises(ValueError, match="SPASMDX_CDS_JWKS_URL"):
        create_app({"TESTING": True, "CDS_JWT_ISSUERS": ISSUER, "CDS_JWKS_URL": "file:///etc/passwd"})
