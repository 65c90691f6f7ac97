"""GET JSON from one allow-listed FHIR server: its address checked and pinned, one wall-clock deadline, a byte budget.

Built on the standard library's http.client over a socket this module connects itself, because
requests (and urllib3 under it) can do neither of the two things this needs: connect to the
address that was checked (they resolve the name again, so DNS could answer differently by then),
and stop a body that trickles in (their timeout is per read, and a byte every second never trips
it). A timer shuts the connection's socket down at the deadline, whatever the call is waiting on.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import socket
import ssl
import threading
import time
from typing import Any

from .fhir_origin import Origin, OriginRefused, check_address

CHUNK = 64 * 1024
ACCEPT = "application/fhir+json, application/json;q=0.9"


class Failed(Exception):
    """A fetch failed; the message is the class of failure, for the log only (never for the caller)."""


class Budget:
    """One call's wall-clock deadline and bytes left; a timer shuts down its sockets at the deadline."""

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.bytes_left = max_bytes
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Return the seconds left; raise Failed when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            raise Failed("deadline passed")
        return left

    def hold(self, sock: socket.socket) -> None:
        """Watch a connected socket: a duplicate of it, shut down at the deadline, stops any read on it."""
        with self._lock:
            if self.expired:
                raise Failed("deadline passed")
            self._sockets.append(sock.dup())  # the TLS wrapper takes the original; shutdown acts on both

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # already closed by its reader: nothing left to stop
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Cancel the timer and let go of the watched sockets."""
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


@functools.lru_cache(maxsize=4)
def tls_context(ca_file: str) -> ssl.SSLContext:
    """Return a verifying TLS context: the system's CA store, or only the CAs in ca_file."""
    return ssl.create_default_context(cafile=ca_file or None)


class Server:
    """Keep-alive connections to one FHIR server, made to addresses resolved and checked once per call."""

    def __init__(self, origin: Origin, entry: Origin, budget: Budget, token: str | None, ca_file: str) -> None:
        self.origin, self.budget = origin, budget
        self.addresses = _resolve(origin, entry, budget)
        self.headers = {"Accept": ACCEPT, "User-Agent": "spasmdx"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._tls = tls_context(ca_file) if origin.scheme == "https" else None
        self._connection: http.client.HTTPConnection | None = None
        self._reused = False

    def get(self, target: str) -> dict[str, Any] | None:
        """Return the resource at target (a path and query on this server); None for 404 or 410."""
        try:
            try:
                response = self._send(target)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not self._reused:
                    raise
                # The server closed a kept-alive connection between two fetches (idle or request
                # limits): a GET can be sent again, once, on a new connection.
                self.close()
                response = self._send(target)
            body = self._read(response)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise Failed("deadline passed" if self.budget.expired else f"transport: {type(error).__name__}") from None
        if response.status in (404, 410):
            return None
        if response.status != 200:
            raise Failed(f"HTTP {response.status}")
        try:
            data = json.loads(body)
        except ValueError:
            raise Failed("answer not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise Failed("answer not a FHIR resource")
        return data

    def _send(self, target: str) -> http.client.HTTPResponse:
        self._reused = self._connection is not None
        if self._connection is None:
            self._connection = _Pinned(self)
        self.budget.remaining()
        self._connection.request("GET", target, headers=self.headers)
        return self._connection.getresponse()

    def _read(self, response: http.client.HTTPResponse) -> bytes:
        if response.length is not None and response.length > self.budget.bytes_left:
            self.close()  # abandoned unread: it would not fit
            raise Failed("answer over the byte limit")
        body = bytearray()
        while chunk := response.read1(CHUNK):
            body += chunk
            if len(body) > self.budget.bytes_left:
                self.close()
                raise Failed("answer over the byte limit")
            self.budget.remaining()
        response.close()  # read1 leaves a finished fixed-length response open before Python 3.12
        if self.budget.expired:  # the timer's shutdown ends a read as if the server had closed
            self.close()
            raise Failed("deadline passed")
        if response.length:  # read1 ends a body cut short without a word: the length still owed tells
            self.close()
            raise Failed("answer broke off")
        self.budget.bytes_left -= len(body)
        if response.will_close:
            self.close()
        return bytes(body)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Pinned(http.client.HTTPConnection):
    """An HTTP(S) connection to one of the checked addresses; Host, SNI and the certificate name the host."""

    def __init__(self, server: Server) -> None:
        super().__init__(server.origin.host, server.origin.port)
        self.default_port = 443 if server.origin.scheme == "https" else 80  # Host names a port only when not this
        self._server = server

    def connect(self) -> None:
        server = self._server
        error: OSError = OSError("no address")
        for family, address in server.addresses:
            # A socket of our own connected to the checked address (create_connection would look it up again).
            timeout = server.budget.remaining()
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(address)
                break
            except OSError as refused:
                sock.close()
                error = refused
        else:
            raise error
        try:
            server.budget.hold(sock)
            if server._tls is not None:
                sock = server._tls.wrap_socket(sock, server_hostname=server.origin.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


Address = tuple[int, Any]  # (address family, socket address)


def _resolve(origin: Origin, entry: Origin, budget: Budget) -> list[Address]:
    """Resolve the host once, within the deadline, and check every address it has (one bad one refuses all)."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)
            found["addresses"] = [(info[0], info[4]) for info in infos]
        except OSError as error:
            found["error"] = error

    # getaddrinfo takes no timeout: a thread that may outlive the call keeps the deadline.
    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(budget.remaining())
    if "addresses" not in found:
        raise Failed("host not resolved" if "error" in found else "deadline passed")
    addresses: list[Address] = list(dict.fromkeys(found["addresses"]))
    try:
        for _, address in addresses:
            check_address(address[0], entry)
    except OriginRefused as error:
        raise Failed(f"refused: {error}") from None
    return addresses
