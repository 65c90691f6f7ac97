"""What operators see: bounded metric labels, request ids that cannot forge a log line, HSTS, the contract."""

from __future__ import annotations

import logging
import random
import re
import string

import pytest
from contract import conforms

from spasmdx.service import create_app
from spasmdx.service.security import ConfigError

pytestmark = pytest.mark.security
REQUEST_SERIES = re.compile(r"^spasmdx_requests_total\{(.*)\} ", re.MULTILINE)


def request_series(client) -> set[str]:
    return set(REQUEST_SERIES.findall(client.get("/metrics").get_data(as_text=True)))


def test_random_http_methods_fold_into_other_and_do_not_grow_the_request_series(client):
    rng = random.Random(15)
    paths = ["/healthz", "/v1/differential", "/cds-services", "/no-such-page"]
    for path in [*paths, "/metrics"]:  # the series an ordinary client and a scrape make, before the attack
        client.get(path)
    before = request_series(client)
    methods = {"".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 12))) for _ in range(200)}
    for method in sorted(methods):
        client.open(rng.choice(paths), method=method)
    after = request_series(client)
    labels = " ".join(after)
    assert not any(f'method="{m}"' in labels for m in methods - {"GET", "PUT", "POST", "HEAD", "PATCH", "DELETE"})
    # At most one new series per route and status, all with method="other": 4 paths, 2 statuses (404, 405).
    assert len(after - before) <= 8, sorted(after - before)
    assert all('method="other"' in series for series in after - before)


def test_an_unknown_route_is_one_label_whatever_the_url(client):
    for number in range(50):
        client.get(f"/patients/{number}/secret?name=Jane+Doe")
    routes = {re.search(r'route="([^"]*)"', s).group(1) for s in request_series(client)}
    assert "unmatched" in routes and not any("patients" in r or "Jane" in r for r in routes)


@pytest.fixture()
def access_lines():
    """The access log's records, as the JSON formatter would print their fields."""
    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(getattr(record, "fields", {}))

    handler = Keep()
    logger = logging.getLogger("spasmdx.access")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("x" * 65, id="too-long"),
        pytest.param("has spaces", id="spaces"),
        pytest.param('abc", "level": "CRITICAL', id="json-injection"),
        pytest.param("abc\r\nX-Evil: 1", id="header-injection"),
        pytest.param("Jane Doe 1962-04-11", id="patient-data"),
        pytest.param("../../etc/passwd", id="path"),
        pytest.param("é-non-ascii", id="non-ascii"),
    ],
)
def test_a_request_id_that_is_not_a_short_token_is_replaced_in_the_answer_and_the_log(client, access_lines, given):
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": given})
    made = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert access_lines[-1]["request_id"] == made
    assert all(given not in str(line) for line in access_lines)


def test_a_short_token_request_id_is_kept(client, access_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "trace-01.AB_c"})
    assert response.headers["X-Request-ID"] == "trace-01.AB_c" == access_lines[-1]["request_id"]


def test_no_hsts_by_default_since_the_service_may_be_reached_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


@pytest.fixture(scope="module")
def behind_tls(monkeypatch_module):
    monkeypatch_module.setenv("SPASMDX_HSTS_SECONDS", "31536000")
    return create_app({"TESTING": True}).test_client()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize(
    "method, path", [("GET", "/healthz"), ("GET", "/no-such-page"), ("POST", "/v1/differential"), ("GET", "/")]
)
def test_hsts_on_every_answer_when_the_setting_says_tls_ends_in_front(behind_tls, method, path):
    response = behind_tls.open(path, method=method, json={} if method == "POST" else None)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("value", ["-1", "a year"])
def test_a_bad_hsts_setting_stops_start_up(monkeypatch, value):
    monkeypatch.setenv("SPASMDX_HSTS_SECONDS", value)
    with pytest.raises((ConfigError, ValueError), match="SPASMDX_HSTS_SECONDS"):
        create_app({"TESTING": True})


def test_the_contract_served_conforms_to_its_own_response_schema(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    conforms(response)
