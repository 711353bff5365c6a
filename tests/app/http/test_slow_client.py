"""Slow and abusive clients against a real ``arbiter serve`` process, over raw sockets: a client
that sends its headers or its body a byte at a time is cut off at the deadline, an idle
connection is closed, normal keep-alive clients are unaffected, and a server out of file
descriptors logs a bounded number of lines and recovers."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.server_process import ServerProcess, server_process

HEADER_TIMEOUT_S = 1.5
BODY_TIMEOUT_S = 2.0
_DRIP_S = 0.4  # one byte per this: far more often than any idle timer would fire


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "ARBITER_HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "ARBITER_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    }
    with server_process(tmp_path_factory.mktemp("slow"), env) as s:
        yield s


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(0.05)
    return sock


def _drip(sock: socket.socket, data: bytes, give_up_s: float) -> tuple[bytes, float]:
    """Send ``data`` a byte per ``_DRIP_S`` until the server answers or closes; (answer, seconds)."""
    started = time.monotonic()
    got = b""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        end = time.monotonic() + _DRIP_S
        while time.monotonic() < end:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                return got, time.monotonic() - started
            if not chunk:
                return got, time.monotonic() - started
            got += chunk
        if time.monotonic() - started > give_up_s:
            break
    return got, time.monotonic() - started


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_headers_sent_a_byte_at_a_time_are_cut_at_the_header_deadline(server: ServerProcess) -> None:
    request = b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + b"x-pad: " + b"a" * 200 + b"\r\n\r\n"
    with _connect(server) as sock:
        answer, took_s = _drip(sock, request, give_up_s=10 * HEADER_TIMEOUT_S)
    assert _status(answer) == 408, answer
    assert b"headers did not arrive within 1.5 s" in answer
    assert HEADER_TIMEOUT_S - 0.1 <= took_s <= HEADER_TIMEOUT_S + 1.0


def test_an_idle_connection_is_closed_at_the_header_deadline(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.settimeout(10)
        started = time.monotonic()
        answer = sock.recv(65536)
        took_s = time.monotonic() - started
    assert _status(answer) == 408 and took_s <= HEADER_TIMEOUT_S + 1.0


def test_a_body_sent_a_byte_at_a_time_is_cut_at_the_body_deadline(server: ServerProcess) -> None:
    body = json.dumps({"items": [], "rewards": [{"name": "format_strict"}]}).encode() + b" " * 200
    head = (
        b"POST /v1/rewards HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(head)
        answer, took_s = _drip(sock, body, give_up_s=10 * BODY_TIMEOUT_S)
    assert _status(answer) == 408, answer
    assert b"body did not arrive within 2 s" in answer
    assert BODY_TIMEOUT_S - 0.1 <= took_s <= BODY_TIMEOUT_S + 1.0


def test_keep_alive_clients_are_not_cut(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(3):
            r = client.post("/v1/rewards", json={"items": [], "rewards": [{"name": "format_strict"}]})
            assert r.status_code == 200, r.text
            time.sleep(HEADER_TIMEOUT_S / 3)  # a pause between requests on one connection


def test_the_server_keeps_answering_while_slow_clients_hold_connections(server: ServerProcess) -> None:
    socks = [_connect(server) for _ in range(50)]
    try:
        for s in socks:
            s.sendall(b"POST /v1/rewards HTTP/1.1\r\nhost: x\r\n")  # headers never finished
        with httpx.Client(base_url=server.url, timeout=5) as client:
            for _ in range(5):
                started = time.monotonic()
                assert client.get("/healthz").status_code == 200
                assert time.monotonic() - started < 1.0
        time.sleep(HEADER_TIMEOUT_S + 1.0)
        closed = 0
        for s in socks:
            s.settimeout(2)
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                closed += _status(s.recv(65536)) == 408
        assert closed == len(socks)
    finally:
        for s in socks:
            s.close()


def test_out_of_file_descriptors_the_log_stays_small_and_the_server_recovers(tmp_path: Path) -> None:
    """At a low fd limit, connections past it fail to be accepted: that is logged once per
    interval with a count (not a traceback per attempt), and once the slow clients are cut at the
    header deadline the server accepts and answers again."""
    env = {"ARBITER_HTTP_HEADER_TIMEOUT_S": "3", "ARBITER_LOG_REPEAT_INTERVAL_S": "10"}
    with server_process(tmp_path, env, max_open_files=256) as server:
        before = len(server.log_lines())
        held: list[socket.socket] = []
        stop = threading.Event()

        def flood() -> None:
            while not stop.is_set() and len(held) < 600:
                try:
                    held.append(socket.create_connection(("127.0.0.1", server.port), timeout=1))
                except OSError:
                    time.sleep(0.01)

        threads = [threading.Thread(target=flood) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.5)  # the server is out of descriptors for most of this
        stop.set()
        for t in threads:
            t.join()
        for s in held:
            s.close()
        deadline = time.monotonic() + 15
        while True:  # recovered: answers again
            try:
                if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.2)
        lines = server.log_lines()[before:]
        size = sum(len(line) for line in lines)
        assert len(held) > 256  # the flood did pass the limit
        accept_errors = [line for line in lines if "accept" in line]
        assert len(accept_errors) == 1, lines[:5]  # asyncio retries every second: once per interval here
        assert len(lines) <= 20 and size < 64 * 1024, lines[:5]
