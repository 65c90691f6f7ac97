"""Order hooks through clients nobody here wrote (healthchain's), and behind a CDS Client JWT."""

from __future__ import annotations

import threading
import time
import uuid

import jwt
import pytest
from cds import spec_problems
from cryptography.hazmat.primitives.asymmetric import rsa
from order_hooks import SELECT, SIGN, draft, on_chart, order_call, order_prefetch

from spasmdx.service import create_app

ISSUER = "https://ehr.example.org"
BASE = "https://cds.example.org"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def live_url(app):
    """The app served on 127.0.0.1 in a thread, for a client that speaks HTTP."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("workflow,path", [("order-select", SELECT), ("order-sign", SIGN)])
def test_healthchain_client_sends_draft_orders_and_gets_conformant_cards(live_url, workflow, path):
    sandbox = pytest.importorskip("healthchain.sandbox", reason="healthchain (a test dependency) is not installed")
    from healthchain.sandbox.requestconstructors import CdsRequestConstructor
    from healthchain.sandbox.workflows import Workflow

    client = sandbox.SandboxClient(url=f"{live_url}{path}", workflow=workflow, timeout=30)
    risky = order_call(
        workflow, [draft("d1", "simvastatin", 80)], order_prefetch(medications=[on_chart("clarithromycin")])
    )
    safe = order_call(
        workflow, [draft("d1", "rosuvastatin", 10)], order_prefetch(medications=[on_chart("clarithromycin")])
    )
    for body in (risky, safe):
        request = CdsRequestConstructor().construct_request(
            prefetch_data=body["prefetch"], workflow=Workflow(workflow), context=body["context"]
        )
        # healthchain's request model declares its context as the base hook context and dumps only that
        # class's fields (userId, patientId): draftOrders and selections, validated by its own
        # OrderSelectContext/OrderSignContext, would be dropped on the wire without serialize_as_any.
        whole = type("WholeContextRequest", (type(request),), {"model_dump": _dump_as_built})
        client.requests.append(whole(**{name: getattr(request, name) for name in type(request).model_fields}))
    responses = client.send_requests()
    assert len(responses) == 2 and all(spec_problems(r) == [] for r in responses)
    assert [c["indicator"] for c in responses[0]["cards"]] == ["critical"]
    assert responses[1]["cards"] == []


def _dump_as_built(self, **options):
    return super(type(self), self).model_dump(serialize_as_any=True, **options)


def jwks(tmp_path):
    import json

    from jwt.algorithms import RSAAlgorithm

    path = tmp_path / "jwks.json"
    key = json.loads(RSAAlgorithm.to_jwk(KEY.public_key())) | {"kid": "ehr", "use": "sig"}
    path.write_text(json.dumps({"keys": [key]}))
    return path


def token(aud):
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "client", "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="RS384", headers={"kid": "ehr", "typ": "JWT"})


def test_the_ordering_services_need_the_cds_client_jwt_when_issuers_are_configured(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "CDS_JWT_ISSUERS": ISSUER,
            "CDS_JWKS_FILE": str(jwks(tmp_path)),
            "CDS_BASE_URL": BASE,
            "JTI_DB": str(tmp_path / "jti.sqlite3"),
        }
    )
    client = app.test_client()
    body = order_call(
        "order-sign", [draft("d1", "simvastatin", 80)], order_prefetch(medications=[on_chart("clarithromycin")])
    )
    assert client.post(SIGN, json=body).status_code == 401
    wrong = {"Authorization": f"Bearer {token(BASE + SELECT)}"}
    assert client.post(SIGN, json=body, headers=wrong).status_code == 401
    good = {"Authorization": f"Bearer {token(BASE + SIGN)}"}
    response = client.post(SIGN, json=body, headers=good)
    assert response.status_code == 200 and response.get_json()["cards"][0]["indicator"] == "critical"
