"""A FHIR server that trickles, floods or lies holds a call no longer than its budget (issue 15), on 127.0.0.1."""

from __future__ import annotations

import datetime
import json
import ssl
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cds import SERVICE, fhir_server, hook_request, patient, raw_server, searchset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from spasmdx.service import create_app

pytestmark = pytest.mark.security
BUDGET = 2  # seconds for all fetches of a call
MIB = 1024 * 1024


def allowing(base: str, **config):
    settings = {"TESTING": True, "CDS_FHIR_SERVERS": base, "CDS_FHIR_TIMEOUT": BUDGET, **config}
    return create_app(settings).test_client()


def timed_hook(client, base: str):
    started = time.monotonic()
    response = client.post(SERVICE, json=hook_request(None, fhirServer=base))
    return response, time.monotonic() - started


def trickle_body(sock):
    sock.recv(65536)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 100000\r\n\r\n{")
    for _ in range(40):  # one byte every half second: each read is well inside any per-read timeout
        time.sleep(0.5)
        sock.sendall(b" ")


def trickle_headers(sock):
    sock.recv(65536)
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nX-Padding: " + b"a" * 40:
        time.sleep(0.5)
        sock.sendall(bytes([byte]))


@pytest.mark.parametrize("serve", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_is_cut_off_at_the_budget(serve):
    with raw_server(serve) as (base, accepted):
        response, took = timed_hook(allowing(base), base)
    assert response.status_code == 412 and len(accepted) == 1
    assert took < BUDGET + 1


def flood(length: bool):
    def serve(sock):
        sock.recv(65536)
        size = 7 * MIB
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
        head += f"Content-Length: {size}\r\n\r\n".encode() if length else b"Connection: close\r\n\r\n"
        sock.sendall(head + b'{"resourceType": "Patient", "id": "p1", "text": "')
        chunk = b"x" * (64 * 1024)
        for _ in range(size // len(chunk)):
            sock.sendall(chunk)

    return serve


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "close-delimited"])
def test_a_7_mib_answer_is_cut_at_the_byte_limit_without_being_held(length):
    client = None
    with raw_server(flood(length)) as (base, _):
        client = allowing(base)  # built before measuring: the knowledge base is not the fetch's memory
        tracemalloc.start()
        try:
            response, took = timed_hook(client, base)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert response.status_code == 412 and took < BUDGET + 1
    assert peak < 2 * 4 * MIB  # read in chunks up to the 4 MiB default, then abandoned (7 MiB never held)


def test_the_byte_limit_is_for_all_pages_of_a_call():
    # Each answer is about 1.2 KB: one fits a 3,000-byte budget, five do not.
    def padded(path, headers):
        found = patient() if "/Patient/" in path else searchset()
        return 200, found | {"meta": {"tag": [{"code": "x" * 1200}]}}

    with fhir_server(padded) as (base, seen):
        assert allowing(base).post(SERVICE, json=hook_request(None, fhirServer=base)).status_code == 200
        response = allowing(base, CDS_FHIR_MAX_BYTES=3000).post(SERVICE, json=hook_request(None, fhirServer=base))
    assert response.status_code == 412 and len(seen) == 6 + 3  # six keys, notes among them


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


@pytest.mark.parametrize("name, works", [("localhost", True), ("ehr.example.org", False)], ids=["right", "wrong"])
def test_https_checks_the_certificate_against_the_host_name(tmp_path, name, works):
    cert, key = _certificate(tmp_path, name)
    server = _tls_server(cert, key)
    base = f"https://localhost:{server.server_address[1]}/fhir"
    try:
        response = allowing(base, CDS_FHIR_CA_FILE=cert).post(SERVICE, json=hook_request(None, fhirServer=base))
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == (200 if works else 412)


def _tls_server(cert: str, key: str) -> ThreadingHTTPServer:
    """A TLS FHIR server on 127.0.0.1 with this certificate: the patient, and empty searches."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(patient() if "/Patient/" in self.path else searchset()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
