"""Refuse a replayed JWT: each token id (`jti`) is claimed once, in a store all workers and restarts share.

A SQLite file serves one host (every gunicorn worker, and the next process after a restart, open the
same file); Redis serves several hosts. Either keeps a token id only until the token expires, so the
store is bounded by the rate of calls times the maximum token lifetime and never fills up. A store that
cannot answer raises StoreUnavailable, and the caller refuses the token: it fails closed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger("spasmdx.replay")
SQLITE_TIMEOUT = 2.0  # seconds a claim waits for another worker's write before it gives up (fails closed)
REDIS_TIMEOUT = 2.0  # seconds to connect to Redis, and for each command
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jti (key BLOB PRIMARY KEY, expires REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS jti_expires ON jti (expires)",
)


class StoreUnavailable(Exception):
    """The replay store could not be asked; the message names the store and the error type, never a token."""


class ReplayStore(Protocol):
    """Claim a token id until it expires."""

    def claim(self, key: str, expires: float) -> bool:
        """Record the key until `expires` (epoch seconds); True the first time, False while it is held."""
        ...


def digest(key: str) -> bytes:
    """The stored form of a key: its SHA-256, a fixed 32 bytes whatever the client put in its jti."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def default_path() -> Path:
    """The SQLite file when SPASMDX_JTI_DB is not set: $XDG_STATE_HOME/spasmdx/jti.sqlite3, else ~/.local/state/...."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "spasmdx" / "jti.sqlite3"


class SqliteStore:
    """Token ids in one SQLite file (WAL): an INSERT on the primary key decides, so of two workers racing
    on the same token exactly one passes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created here, in the process that loads the app, so a path that cannot work stops start-up;
            # then closed: a connection must not cross gunicorn's fork (each worker opens its own).
            connection = sqlite3.connect(path, timeout=SQLITE_TIMEOUT, isolation_level=None)
            try:
                connection.execute("PRAGMA journal_mode=WAL")  # readers never wait on the one writer
                for statement in SCHEMA:
                    connection.execute(statement)
            finally:
                connection.close()
            path.chmod(0o600)  # token ids are not secrets, but nobody else has any business with the file
        except (OSError, sqlite3.Error) as error:
            raise ValueError(f"SPASMDX_JTI_DB: cannot use {path} as the jti replay store ({error})") from None

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: sqlite3 connections are neither thread- nor fork-safe.
        mine = getattr(self._local, "connection", None)
        if mine is None or mine[0] != os.getpid():
            connection = sqlite3.connect(self.path, timeout=SQLITE_TIMEOUT, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a crash of the process
            mine = (os.getpid(), connection)
            self._local.connection = mine
        return mine[1]

    def claim(self, key: str, expires: float) -> bool:
        try:
            connection = self._connection()
            # IMMEDIATE takes the write lock first: the purge and the insert are one step for other workers.
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM jti WHERE expires < ?", (time.time(),))
                inserted = connection.execute(
                    "INSERT OR IGNORE INTO jti (key, expires) VALUES (?, ?)", (digest(key), expires)
                ).rowcount
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise StoreUnavailable(f"the SQLite jti store failed ({type(error).__name__})") from None
        return inserted == 1


class RedisStore:
    """Token ids as Redis keys, `SET key 1 NX PX ms`: one atomic command decides, and Redis forgets the
    key when the token expires."""

    PREFIX = "spasmdx:jti:"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ValueError(
                "SPASMDX_JTI_REDIS_URL is set but the redis client is not installed: pip install 'spasmdx[redis]'"
            ) from None
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        where = urlsplit(url)
        # The URL may hold a password: messages name only the host and port.
        self.where = f"{where.hostname or where.path}:{where.port or ''}".rstrip(":")
        try:
            self._client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
            self._client.ping()  # an unreachable or refusing Redis stops start-up rather than every call
        except (ValueError, *self._errors) as error:
            raise ValueError(
                f"SPASMDX_JTI_REDIS_URL: cannot use Redis at {self.where} ({type(error).__name__})"
            ) from None

    def claim(self, key: str, expires: float) -> bool:
        # A relative PX, counted from this host's clock (which checked exp), so a Redis host whose clock
        # runs ahead cannot forget a token early.
        ttl_ms = max(1, int((expires - time.time()) * 1000))
        try:
            return bool(self._client.set(self.PREFIX + digest(key).hex(), 1, nx=True, px=ttl_ms))
        except self._errors as error:
            raise StoreUnavailable(f"Redis at {self.where} failed ({type(error).__name__})") from None


def from_config(config: Mapping[str, Any]) -> ReplayStore:
    """The store the configuration names: Redis when SPASMDX_JTI_REDIS_URL is set, else the SQLite file."""
    if config["JTI_REDIS_URL"]:
        redis = RedisStore(config["JTI_REDIS_URL"])
        log.info("jti replay store: Redis at %s", redis.where)
        return redis
    sqlite = SqliteStore(Path(config["JTI_DB"]) if config["JTI_DB"] else default_path())
    log.info("jti replay store: SQLite file %s", sqlite.path)
    return sqlite
