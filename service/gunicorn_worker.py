"""A gunicorn thread worker that reads request heads without a thread, under a deadline.

gunicorn's gthread worker hands a connection to a pool thread as soon as its first byte
arrives, and the thread then blocks until the request line and headers are complete: a
client that sends one byte every half second holds a thread for as long as it likes
(slowloris). Here the worker's own event loop collects the head, non-blocking, and a pool
thread gets the connection only once the head is complete; a head not complete within
`SPASMDX_HEADER_TIMEOUT_SECONDS` (10 s) or larger than `HEAD_LIMIT` is dropped, and a body
not read within `SPASMDX_BODY_TIMEOUT_SECONDS` (30 s) of the thread taking it ends the request. The errors
gunicorn answers itself (a bad request line, 414, 431) leave as problem+json with the
service's security headers, and are logged without the request line (its query string may
carry patient data).
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

from spasmdx.service.security import API_POLICY

log = logging.getLogger("spasmdx.serve")

HEAD_LIMIT = 32 * 1024  # a request line and headers beyond this answer 431; no client of ours sends more


def seconds(name: str, default: str) -> float:
    """Return a timeout setting in seconds, between 0 and 300."""
    value = float(os.environ.get(name, default))
    if not 0 < value <= 300:
        raise ValueError(f"{name} must be between 0 and 300 seconds, not {value}")
    return value


def header_timeout() -> float:
    """Return the seconds a client has to send a whole request head (SPASMDX_HEADER_TIMEOUT_SECONDS, 10)."""
    return seconds("SPASMDX_HEADER_TIMEOUT_SECONDS", "10")


def body_timeout() -> float:
    """Return the seconds a thread waits for a request's body (SPASMDX_BODY_TIMEOUT_SECONDS, 30)."""
    return seconds("SPASMDX_BODY_TIMEOUT_SECONDS", "30")


class DeadlineSocket:
    """The client socket as gunicorn's parser reads it: no read goes past the request's deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request body did not arrive in time")
        prior = self.sock.gettimeout()  # gunicorn bounds its own body drain this way too: keep the shorter
        self.sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            return self.sock.recv(size)
        finally:
            self.sock.settimeout(prior)


# gunicorn's own request errors, as (status, title); anything else it catches is a 500.
CLIENT_ERRORS: list[tuple[type[BaseException], int, str]] = [
    (http_errors.ConfigurationProblem, 500, "Internal Server Error"),
    (http_errors.InvalidResponseHeader, 500, "Internal Server Error"),  # the app's header, not the client's
    (http_errors.InvalidResponseHeaderName, 500, "Internal Server Error"),
    (http_errors.LimitRequestLine, 414, "URI Too Long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented"),
    (http_errors.ExpectationFailed, 417, "Expectation Failed"),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden"),
    (http_errors.ParseException, 400, "Bad Request"),
]


def classify(exc: BaseException) -> tuple[int, str]:
    """Return the status and title gunicorn's request error stands for (500 if none)."""
    for kind, status, title in CLIENT_ERRORS:
        if isinstance(exc, kind):
            return status, title
    return 500, "Internal Server Error"


def problem_bytes(status: int, title: str) -> bytes:
    """Build a whole HTTP/1.1 problem+json response, with the headers the app sets on its own."""
    detail = "The request could not be read." if status < 500 else "The server could not answer."
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {title}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Referrer-Policy: no-referrer\r\n"
        f"Content-Security-Policy: {API_POLICY}\r\n"
        "Cache-Control: no-store\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _head_end(head: bytearray, start: int) -> int:
    """Return the offset just past the blank line that ends a request head, found from START; 0 if none yet."""
    # RFC 9112 section 2.2: a recipient may take a bare LF as a line end; gunicorn's parser decides the rest.
    ends = [found + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (found := head.find(mark, start)) >= 0]
    return min(ends, default=0)


class HeadConn(TConn):
    """A client connection, with the request head the event loop is collecting for it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.head = bytearray()
        self.head_end = 0  # offset just past the head's blank line, once seen
        self.handed: bytes | None = None  # a whole head, for the parser to read first

    def start_head(self, seconds: float) -> None:
        self.head = bytearray()
        self.head_end = 0
        self.timeout = time.monotonic() + seconds

    def take(self, data: bytes) -> None:
        # Look for the end only where it can newly be: a head sent a byte at a time costs linear time.
        start = max(0, len(self.head) - 3)
        self.head += data
        if not self.head_end:
            self.head_end = _head_end(self.head, start)


class HeadDeadlineWorker(ThreadWorker):
    """gthread, with request heads read by the event loop under a deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: deque[HeadConn] = deque()  # in deadline order: every head gets the same timeout
        self.header_timeout = header_timeout()
        self.body_timeout = body_timeout()

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return  # another worker took it, or the client left
        self.nr_conns += 1
        conn = HeadConn(self.cfg, client, address, listener.getsockname())
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, address):
            # TLS (or an HTTP/2 preface) must reach its own reader first; TLS ends at the proxy here.
            client.setblocking(True)
            self.enqueue_req(conn)
            return
        self.read_head(conn)

    def on_client_socket_readable(self, conn: HeadConn, client: socket.socket) -> None:
        # A kept-alive connection's next request is a head like any other: no thread until it is whole.
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.read_head(conn)

    def read_head(self, conn: HeadConn) -> None:
        """Collect the connection's next request head in the event loop."""
        conn.sock.setblocking(False)
        conn.start_head(self.header_timeout)
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_head_bytes, conn))

    def on_head_bytes(self, conn: HeadConn, client: socket.socket) -> None:
        try:
            data = client.recv(HEAD_LIMIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.take(data)
        if data and not conn.head_end and len(conn.head) <= HEAD_LIMIT:
            return  # not whole yet
        self.poller.unregister(client)
        self.reading.remove(conn)
        if not data:
            self.drop(conn)  # the client went away
        elif not conn.head_end or conn.head_end > HEAD_LIMIT:
            log.warning("gunicorn refused a request (431): head over %d bytes", HEAD_LIMIT)
            self.answer(conn, 431, "Request Header Fields Too Large")
        else:
            conn.handed = bytes(conn.head)
            conn.head = bytearray()
            conn.data_ready = True
            client.setblocking(True)
            self.enqueue_req(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].timeout <= now:
            conn = self.reading.popleft()
            self.poller.unregister(conn.sock)
            log.info("closed a connection that sent no whole request head in %g s", self.header_timeout)
            self.drop(conn)

    def drop(self, conn: HeadConn) -> None:
        self.nr_conns -= 1
        conn.close()

    def answer(self, conn: HeadConn, status: int, title: str) -> None:
        try:
            conn.sock.setblocking(True)
            conn.sock.settimeout(1.0)  # a client that reads nothing does not hold the loop
            conn.sock.sendall(problem_bytes(status, title))
        except OSError:
            pass
        self.drop(conn)

    def handle(self, conn: HeadConn) -> Any:
        if conn.handed is not None:
            conn.sock.setblocking(True)
            conn.init()  # the parser, once per connection
            reader = conn.parser.unreader
            reader.unread(conn.handed)
            conn.handed = None
            if not isinstance(reader.sock, DeadlineSocket):
                reader.sock = DeadlineSocket(reader.sock)
        reader = getattr(conn.parser, "unreader", None)
        if isinstance(getattr(reader, "sock", None), DeadlineSocket):
            # A body sent slowly would otherwise hold this thread for as long as the client likes.
            reader.sock.deadline = time.monotonic() + self.body_timeout
        return super().handle(conn)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        status, title = classify(exc)
        # The kind of error only: its message quotes the request line or a header, the URL's query among them.
        if status == 500:
            log.error("gunicorn could not answer a request: %s", type(exc).__name__)
        else:
            log.warning("gunicorn refused a request (%d): %s", status, type(exc).__name__)
        try:
            client.settimeout(1.0)
            client.sendall(problem_bytes(status, title))
        except OSError:
            log.debug("could not send the error response")
