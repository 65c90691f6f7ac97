"""The jti replay store: shared by gunicorn's workers, by restarts (a SQLite file) and by hosts (Redis)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_cds_hooks_jwt import answer, bearer, settings, token

from spasmdx.service import create_app
from spasmdx.service.replay import RedisStore, SqliteStore, default_path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def rows(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM jti").fetchone()[0]


class Clock:
    """The store's clock, moved by the test: expiry is decided by the clock, never by how fast a busy machine runs."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr("spasmdx.service.replay.time", fake)
    return fake


def test_a_token_id_is_claimed_once_and_forgotten_after_it_expires(tmp_path, clock):
    store = SqliteStore(tmp_path / "jti.sqlite3")
    assert store.claim("iss\x00a", clock.now + 0.3) is True
    assert store.claim("iss\x00a", clock.now + 0.3) is False
    assert store.claim("other-iss\x00a", clock.now + 0.3) is True  # ids are per issuer
    clock.now += 0.5
    assert store.claim("iss\x00a", clock.now + 60) is True


@pytest.mark.security
def test_the_sqlite_store_is_bounded_by_expiry_not_by_a_size(tmp_path, clock):
    path = tmp_path / "jti.sqlite3"
    store = SqliteStore(path)
    soon = clock.now + 0.2
    assert all(store.claim(f"iss\x00{n}", soon) for n in range(500))  # no size limit refuses anyone
    assert rows(path) == 500
    clock.now += 0.4
    assert store.claim("iss\x00later", clock.now + 60)
    assert rows(path) == 1  # the expired ids went with the next claim


def _race(store: SqliteStore, start: threading.Barrier, keys: int, won: multiprocessing.Queue) -> None:
    start.wait(timeout=30)
    won.put([n for n in range(keys) if store.claim(f"iss\x00{n}", time.time() + 60)])


@pytest.mark.security
def test_two_worker_processes_racing_on_the_same_tokens_let_each_pass_once(tmp_path):
    # The store is made before the fork, as gunicorn's preload_app makes it; each worker then claims
    # the same 300 token ids at the same moment.
    store = SqliteStore(tmp_path / "jti.sqlite3")
    context = multiprocessing.get_context("fork")
    start, won = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_race, args=(store, start, 300, won)) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        wins = [won.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    passed = [n for won_by_one in wins for n in won_by_one]
    assert sorted(passed) == list(range(300))  # every id passed exactly once, whichever worker won it


def test_the_default_file_is_under_the_state_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_path() == tmp_path / "state" / "spasmdx" / "jti.sqlite3"
    create_app(settings(tmp_path, JTI_DB=""))
    made = tmp_path / "state" / "spasmdx" / "jti.sqlite3"
    assert made.stat().st_mode & 0o777 == 0o600 and made.parent.stat().st_mode & 0o777 == 0o700
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "state" / "spasmdx" / "jti.sqlite3"


def test_a_store_file_that_cannot_be_made_stops_start_up(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="SPASMDX_JTI_DB: cannot use"):
        create_app(settings(tmp_path, JTI_DB=str(tmp_path / "a-file" / "jti.sqlite3")))


@pytest.mark.security
def test_a_store_that_fails_refuses_the_token_and_logs_no_token(tmp_path, caplog):
    path = tmp_path / "jti.sqlite3"
    client = create_app(settings(tmp_path, JTI_DB=str(path))).test_client()
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        extra.unlink(missing_ok=True)
    path.write_bytes(b"this is not a SQLite database" * 100)
    made = token()
    ours = logging.getLogger("spasmdx")  # its lines do not propagate to the root, where caplog listens
    ours.addHandler(caplog.handler)
    try:
        refused = answer(client, bearer(made))
    finally:
        ours.removeHandler(caplog.handler)
    assert refused.status_code == 401 and "replay check is unavailable" in refused.get_json()["detail"]
    assert "SQLite jti store failed (DatabaseError)" in caplog.text and made.split(".")[2] not in caplog.text


# Redis: a real redis-server on loopback, started and stopped by the tests.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(folder: Path):
    """Start Debian's redis-server on 127.0.0.1 (no persistence); yield its URL; stop it."""
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    import redis

    for _ in range(3):  # a port found free may be taken before redis binds it: try another
        port = _free_port()
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(
            [*command, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        for _ in range(50):
            if process.poll() is not None:
                break
            try:
                client.ping()
            except redis.RedisError:
                time.sleep(0.1)
                continue
            try:
                yield url
            finally:
                client.close()
                process.terminate()
                process.wait(timeout=10)
            return
        process.kill()
        process.wait(timeout=10)
    pytest.fail("redis-server did not start")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_redis_claims_a_token_id_once_and_forgets_it_when_the_token_expires(redis_url):
    import redis

    store = RedisStore(redis_url)
    key = f"iss\x00{time.time()}"
    # Redis expires keys by its own clock: the margins are wide enough for a busy machine.
    assert store.claim(key, time.time() + 1.5) is True
    assert store.claim(key, time.time() + 1.5) is False
    keys = redis.Redis.from_url(redis_url, socket_timeout=1)
    assert keys.pttl(next(iter(keys.scan_iter("spasmdx:jti:*")))) <= 1500
    time.sleep(2.5)
    assert store.claim(key, time.time() + 60) is True


@pytest.mark.security
def test_a_token_replayed_at_another_host_sharing_redis_is_refused(tmp_path, redis_url):
    hosts = [create_app(settings(tmp_path / name, JTI_REDIS_URL=redis_url)).test_client() for name in "ab"]
    once = token()
    assert answer(hosts[0], bearer(once)).status_code == 200
    replayed = answer(hosts[1], bearer(once))
    assert replayed.status_code == 401 and "replayed" in replayed.get_json()["detail"]
    assert answer(hosts[1], bearer(token())).status_code == 200
    assert not list(tmp_path.glob("*/jti.sqlite3"))  # with Redis, no SQLite file


@pytest.mark.security
def test_redis_going_away_refuses_tokens_rather_than_skipping_the_check(tmp_path):
    with redis_server(tmp_path) as url:
        client = create_app(settings(tmp_path, JTI_REDIS_URL=url)).test_client()
        assert answer(client, bearer(token())).status_code == 200
    started = time.monotonic()
    refused = answer(client, bearer(token()))
    assert refused.status_code == 401 and "replay check is unavailable" in refused.get_json()["detail"]
    assert time.monotonic() - started < 5  # bounded by the client's timeouts


def test_an_unreachable_redis_stops_start_up_without_showing_its_password(tmp_path, closed_port):
    url = f"redis://:hunter2-secret@127.0.0.1:{closed_port}/0"
    with pytest.raises(ValueError, match="SPASMDX_JTI_REDIS_URL: cannot use Redis at 127.0.0.1") as refused:
        create_app(settings(tmp_path, JTI_REDIS_URL=url))
    assert "hunter2" not in str(refused.value)


def test_a_redis_url_without_the_redis_client_names_the_extra_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # as if not installed: importing it raises ImportError
    with pytest.raises(ValueError, match=r"pip install 'spasmdx\[redis\]'"):
        create_app(settings(tmp_path, JTI_REDIS_URL="redis://127.0.0.1:6379/0"))
