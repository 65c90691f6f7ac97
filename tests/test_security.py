"""Authentication, security headers, logs without patient data, metrics, and a clean deadline."""

from __future__ import annotations

import logging
import os
import re
import subprocess

import pytest
from conftest import ROOT, SPASMDX
from contract import conforms
from test_api import CONTEXT

from spasmdx.service import create_app
from spasmdx.service.security import ConfigError, check_bind, key_hash

KEY = "s3cret-key-for-tests"


@pytest.fixture(scope="module")
def keyed():
    return create_app({"TESTING": True, "AUTH": "api_key", "API_KEY_HASHES": f"{key_hash('other')},{key_hash(KEY)}"})


@pytest.mark.parametrize(
    "headers,status",
    [
        pytest.param({}, 401, id="no-key"),
        pytest.param({"Authorization": "Bearer wrong"}, 401, id="wrong-key"),
        pytest.param({"X-API-Key": KEY[:-1]}, 401, id="almost-the-key"),
        pytest.param({"Authorization": f"Bearer {KEY}"}, 200, id="bearer"),
        pytest.param({"X-API-Key": KEY}, 200, id="header"),
    ],
)
def test_patient_data_needs_an_api_key_when_configured(keyed, headers, status):
    response = keyed.test_client().post("/v1/differential", json=CONTEXT, headers=headers)
    assert response.status_code == status
    conforms(response)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert KEY not in response.get_data(as_text=True)


def test_batch_needs_the_key_too(keyed):
    body = {"cases": [{"case_id": "a", "context": {}}]}
    assert keyed.test_client().post("/v1/differential/batch", json=body).status_code == 401
    assert keyed.test_client().post("/v1/differential/batch", json=body, headers={"X-API-Key": KEY}).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.yaml", "/v1/knowledge-base", "/metrics"])
def test_health_metrics_and_the_contract_stay_open(keyed, path):
    assert keyed.test_client().get(path).status_code == 200


@pytest.mark.security
@pytest.mark.parametrize(
    "method,path",
    [
        pytest.param("POST", "/cds-services/spasm-differential", id="hook"),
        pytest.param("POST", "/cds-services/spasm-differential/feedback", id="feedback"),
        pytest.param("GET", "/cds-services", id="discovery"),
    ],
)
def test_cds_hooks_fail_closed_when_auth_is_on_and_no_jwt_issuer_is_configured(keyed, method, path):
    # An API key is no credential in CDS Hooks: with auth on, only a CDS Client's JWT opens them,
    # and an API key (right or wrong) does not.
    for headers in ({}, {"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        response = keyed.test_client().open(path, method=method, json={"hook": "patient-view"}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "no trusted issuers" in response.get_json()["detail"]


def test_cds_hooks_stay_open_only_when_auth_is_none_explicitly(client):
    assert client.get("/cds-services").status_code == 200


@pytest.mark.security
@pytest.mark.parametrize(
    "host,auth,refused",
    [
        pytest.param("127.0.0.1", None, False, id="loopback"),
        pytest.param("127.8.0.1", None, False, id="loopback-range"),
        pytest.param("localhost", None, False, id="localhost"),
        pytest.param("[::1]", None, False, id="ipv6-loopback"),
        pytest.param("0.0.0.0", None, True, id="every-interface"),
        pytest.param("", None, True, id="empty-host-is-every-interface"),
        pytest.param("::", None, True, id="ipv6-every-interface"),
        pytest.param("10.1.2.3", None, True, id="private-address"),
        pytest.param("0x7f000001", None, True, id="hex-spelling-not-trusted"),
        pytest.param("spasmdx.example", None, True, id="host-name"),
        pytest.param("0.0.0.0", "none", False, id="open-said-explicitly"),
        pytest.param("0.0.0.0", "api_key", False, id="api-key"),
        pytest.param("0.0.0.0", "jwt", False, id="jwt"),
    ],
)
def test_serving_beyond_loopback_needs_auth_to_be_set(host, auth, refused):
    if refused:
        with pytest.raises(ConfigError, match="set SPASMDX_AUTH"):
            check_bind(host, auth)
    else:
        check_bind(host, auth)


@pytest.mark.security
def test_the_docker_images_defaults_refuse_to_start_open():
    # The image binds every interface (ENV HOST=0.0.0.0) and sets no SPASMDX_AUTH: started as it
    # is, spasmdx serve must stop before it binds, and say what to set.
    env_line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("ENV "))
    image_env = dict(item.split("=", 1) for item in env_line[4:].split())
    assert image_env["HOST"] == "0.0.0.0" and "SPASMDX_AUTH" not in image_env
    env = {k: v for k, v in os.environ.items() if k != "SPASMDX_AUTH"} | image_env
    env["PORT"] = "0"
    done = subprocess.run([str(SPASMDX), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "will not serve on 0.0.0.0" in done.stderr and "SPASMDX_AUTH" in done.stderr
    assert "Listening at" not in done.stderr


@pytest.mark.parametrize(
    "config,message",
    [
        ({"AUTH": "api_key"}, "needs SPASMDX_API_KEY_HASHES"),
        ({"AUTH": "api_key", "API_KEY_HASHES": "not-a-hash"}, "not a SHA-256"),
        ({"AUTH": "sometimes"}, "must be one of"),
        ({"AUTH": "jwt"}, "needs SPASMDX_CDS_JWT_ISSUERS"),
    ],
)
def test_a_wrong_security_setting_stops_start_up(config, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, **config})


def test_security_headers_and_no_store_on_patient_data(client):
    answer = client.post("/v1/differential", json=CONTEXT)
    assert answer.headers["Cache-Control"] == "no-store"
    for response in (answer, client.get("/healthz")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_page_gets_a_strict_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


DISTINCT = ["Zebediah-Quixote", "Vexillium", "8765.4321", "CASE-ZQX-42"]


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        from spasmdx.service.requestlog import JsonFormatter

        self.lines.append(JsonFormatter().format(record))


@pytest.fixture()
def every_log_line():
    collect = Collect()
    names = ["", "spasmdx", "werkzeug", "flask", "gunicorn", "spasmdx.access", "spasmdx.errors"]
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(collect)
    yield collect.lines
    for logger in loggers:
        logger.removeHandler(collect)


def test_no_patient_data_reaches_the_logs_even_on_errors(app, every_log_line, monkeypatch):
    client = app.test_client()
    context = {
        "patient": {"age": 61},
        "findings": ["Zebediah-Quixote twitching", "muscle cramp"],
        "medications": ["Vexillium 5 mg"],
        "labs": [{"display": "CK", "value": 8765.4321, "unit": "U/L"}],
    }
    client.post("/v1/differential", json=context)
    client.post("/v1/differential/batch", json={"cases": [{"case_id": "CASE-ZQX-42", "context": context}]})
    client.post("/v1/differential", json={**context, "findings": [{"display": "Zebediah-Quixote", "present": "maybe"}]})
    client.post("/v1/differential", data='{"findings": ["Zebediah-Quixote"', content_type="application/json")

    from spasmdx.service import api

    def broken(*args, **kwargs):
        raise RuntimeError("failed on Zebediah-Quixote with CK 8765.4321")

    monkeypatch.setattr(api, "score", broken)
    assert client.post("/v1/differential", json=context).status_code == 500
    text = "\n".join(every_log_line)
    assert len(every_log_line) >= 5 and '"route": "/v1/differential"' in text
    assert [word for word in DISTINCT if word in text] == []


def test_access_lines_are_json_with_counts(app, every_log_line):
    import json

    app.test_client().post("/v1/differential", json=CONTEXT, headers={"X-Request-ID": "req-1"})
    line = json.loads(next(line for line in every_log_line if '"req-1"' in line))
    assert line["route"] == "/v1/differential" and line["status"] == 200 and line["causes"] >= 1
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "duration_ms", "alerts"}


def test_metrics_count_requests_alerts_and_name_the_knowledge_base(client, kb):
    client.post("/v1/differential", json=CONTEXT)
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'spasmdx_requests_total\{method="POST",route="/v1/differential",status="200"\} \d', text)
    assert re.search(r'spasmdx_alerts_total\{alert="rhabdomyolysis",severity="critical"\} \d', text)
    assert f'spasmdx_knowledge_base_info{{version="{kb.version}"}} 1.0' in text
    assert "spasmdx_request_duration_seconds_bucket" in text


def test_a_batch_past_its_deadline_answers_a_clean_503(kb):
    app = create_app({"TESTING": True, "BATCH_DEADLINE_SECONDS": 0})
    response = app.test_client().post("/v1/differential/batch", json={"cases": [{"case_id": "a", "context": {}}] * 3})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "took longer than 0 s" in response.get_json()["detail"]
    conforms(response)


def test_jwt_mode_protects_the_api_with_the_cds_verifier(tmp_path):
    from test_cds_hooks_jwt import BASE, bearer, settings, token

    app = create_app(settings(tmp_path, AUTH="jwt"))
    client = app.test_client()
    audience = BASE + "/v1/differential"
    good = token(aud=audience)
    assert client.post("/v1/differential", json=CONTEXT).status_code == 401
    assert (
        client.post("/v1/differential", json=CONTEXT, headers=bearer(token(aud=BASE + "/elsewhere"))).status_code == 401
    )
    assert client.post("/v1/differential", json=CONTEXT, headers=bearer(good)).status_code == 200
    assert client.post("/v1/differential", json=CONTEXT, headers=bearer(good)).status_code == 401  # replayed jti


def test_one_verifier_and_one_replay_cache_serve_the_api_and_cds_hooks(tmp_path):
    from test_cds_hooks_jwt import BASE, SERVICE_AUD, answer, bearer, settings, token

    app = create_app(settings(tmp_path, AUTH="jwt"))
    client = app.test_client()
    both = token(aud=[SERVICE_AUD, BASE + "/v1/differential"])  # a token valid at both endpoints
    assert answer(client, bearer(both)).status_code == 200
    replayed = client.post("/v1/differential", json=CONTEXT, headers=bearer(both))
    assert replayed.status_code == 401 and "replayed" in replayed.get_json()["detail"]


def test_metrics_add_up_the_gunicorn_workers(server):
    import requests

    for _ in range(6):
        requests.post(f"{server}/v1/differential", json=CONTEXT, timeout=10)
    text = requests.get(f"{server}/metrics", timeout=10).text
    served = re.search(r'spasmdx_requests_total\{method="POST",route="/v1/differential",status="200"\} ([\d.]+)', text)
    assert served and float(served.group(1)) >= 6


# Issue 15, point 5: the reference date is not the client's to move.
def _hook_with_ck_8000(extension: dict | None = None, statin: bool = True) -> dict:
    from datetime import UTC, datetime

    from cds import STATIN, hook_request, lab, prefetch

    # Dated the server's own today: a midnight crossing makes it one day old, far within the limit.
    ck = lab("2157-6", "Creatine kinase", 8000, "U/L", high=200, when=datetime.now(UTC).date().isoformat())
    body = hook_request(prefetch(medications=[STATIN] if statin else [], labs=[ck]))
    body.pop("extension")
    if extension is not None:
        body["extension"] = extension
    return body


@pytest.mark.security
def test_a_clients_date_header_cannot_age_a_critical_lab_out_of_use(client):
    headers = {"Date": "Sat, 02 Dec 2028 12:00:00 GMT"}
    body = client.post("/cds-services/spasm-differential", json=_hook_with_ck_8000(), headers=headers).get_json()
    critical = [c["source"]["topic"]["code"] for c in body["cards"] if c["indicator"] == "critical"]
    assert critical == ["rhabdomyolysis"]


@pytest.mark.security
@pytest.mark.parametrize("statin", [True, False], ids=["with-a-differential", "nothing-else-to-say"])
def test_a_critical_lab_too_old_to_use_is_listed_and_a_card_says_so(client, statin):
    # The documented extension may name a later day (a chart seen as of then): the CK is then too old,
    # and the answer says so in unrecognized and in a card instead of answering no cards.
    later = {"dev.spasmdx.reference-date": "2028-12-02"}
    response = client.post("/cds-services/spasm-differential", json=_hook_with_ck_8000(later, statin))
    conforms(response)
    body = response.get_json()
    stale = [n for n in body["extension"]["dev.spasmdx.unrecognized"] if n["path"] == "prefetch.labs.entry[0]"]
    assert len(stale) == 1 and re.fullmatch(r"older than 365 days on 2028-12-02: not used", stale[0]["reason"])
    assert "Creatine kinase 8000" in stale[0]["input"]
    assert body["cards"] and all(c["indicator"] != "critical" for c in body["cards"])
    assert any("`prefetch.labs.entry[0]`: Creatine kinase 8000" in c["detail"] for c in body["cards"])


# Issue 15, point 3: a case's cost is bounded by the free text it may carry.
def _long_findings(count: int, size: int = 490) -> list[str]:
    # Distinct strings, so that no cache of earlier matches makes the case cheap.
    return [
        f"{number:04d} " + " ".join(f"word{number}x{k}" for k in range(size))[: size - 5] for number in range(count)
    ]


@pytest.mark.security
def test_a_case_over_the_free_text_limit_is_a_422_naming_the_item(client):
    from spasmdx.schemas.request import MAX_TEXT_TOTAL

    over = MAX_TEXT_TOTAL // 490 + 1  # 33 findings of 490 characters
    response = client.post("/v1/differential", json={"findings": _long_findings(over)})
    assert response.status_code == 422
    conforms(response)
    paths = [e["path"] for e in response.get_json()["errors"]]
    assert paths == [f"findings[{over - 1}].display"]
    assert str(MAX_TEXT_TOTAL) in response.get_json()["errors"][0]["message"]


@pytest.mark.security
def test_the_free_text_limit_counts_every_section_and_body_sites(client):
    from spasmdx.schemas.request import MAX_TEXT_TOTAL

    half = MAX_TEXT_TOTAL // 490 // 2
    findings = [{"display": d[:245], "body_site": d[245:]} for d in _long_findings(half)]
    conditions = [f"c {d}" for d in _long_findings(half + 2)]  # 492 characters each
    passed = next(k for k in range(half + 2) if half * 490 + (k + 1) * 492 > MAX_TEXT_TOTAL)
    response = client.post("/v1/differential", json={"findings": findings, "conditions": conditions})
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == [f"conditions[{passed}].display"]


@pytest.mark.security
def test_the_largest_case_the_limit_allows_is_answered(client):
    from spasmdx.schemas.request import MAX_TEXT_TOTAL

    response = client.post("/v1/differential", json={"findings": _long_findings(MAX_TEXT_TOTAL // 490)})
    assert response.status_code == 200


@pytest.mark.security
def test_a_prefetch_over_the_free_text_limit_leaves_out_and_lists_the_items_past_it(client):
    from cds import condition, hook_request, prefetch

    from spasmdx.schemas.request import MAX_TEXT_TOTAL

    fit = MAX_TEXT_TOTAL // 490
    long = [condition("55300003", text) for text in _long_findings(fit + 5)]
    response = client.post("/cds-services/spasm-differential", json=hook_request(prefetch(conditions=long)))
    assert response.status_code == 200
    notes = response.get_json()["extension"]["dev.spasmdx.unrecognized"]
    over = [n for n in notes if "characters of text: left out" in n["reason"]]
    assert [n["path"] for n in over] == [f"prefetch.conditions.entry[{i}]" for i in range(fit, fit + 5)]
