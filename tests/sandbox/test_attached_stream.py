"""Docker's multiplexed attach stream, demultiplexed into a pipe: framing, stderr tail, EOF."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from sandbox.attached_stream import AttachedStream


def _frame(stream_id: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream_id, len(payload)) + payload


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, docker_side = socket.socketpair()
    yield ours, docker_side
    for sock in (ours, docker_side):
        sock.close()


def _read_exactly(stream: AttachedStream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.reader.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize(
    ("frames", "stdout"),
    [
        ([(1, b'{"ok":true}\n')], b'{"ok":true}\n'),
        ([(1, b"ab"), (2, b"noise"), (1, b"cd\n")], b"abcd\n"),
        ([(2, b"only stderr"), (1, b"x\n")], b"x\n"),
        ([(1, b"")], b""),
        ([(1, bytes(range(256)) * 1000)], bytes(range(256)) * 1000),  # larger than one recv and a pipe buffer
    ],
)
def test_stdout_frames_reach_the_pipe_in_order(
    pair: tuple[socket.socket, socket.socket], frames: list[tuple[int, bytes]], stdout: bytes
) -> None:
    ours, docker_side = pair
    stream = AttachedStream(ours, name="t")
    wire = b"".join(_frame(sid, payload) for sid, payload in frames)

    # Byte-by-byte in part: headers and payloads split across recv() calls must still parse.
    def send() -> None:
        docker_side.sendall(wire[:7])
        docker_side.sendall(wire[7:])

    sender = threading.Thread(target=send)
    sender.start()
    assert _read_exactly(stream, len(stdout)) == stdout
    sender.join()
    stream.close()


def test_stderr_is_kept_as_a_bounded_tail(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, docker_side = pair
    stream = AttachedStream(ours, name="t", stderr_tail_bytes=10)
    docker_side.sendall(_frame(2, b"0123456789abcdef") + _frame(1, b"done\n"))
    assert _read_exactly(stream, 5) == b"done\n"
    assert stream.stderr_tail() == "6789abcdef"
    stream.close()


def test_container_exit_is_eof_and_calls_back_once(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, docker_side = pair
    calls: list[int] = []
    stream = AttachedStream(ours, name="t", on_close=lambda: calls.append(1))
    docker_side.sendall(_frame(1, b"last\n"))
    docker_side.shutdown(socket.SHUT_RDWR)
    assert _read_exactly(stream, 5) == b"last\n"
    assert stream.reader.read(1) == b""  # EOF, not a hang
    assert stream.closed
    stream.close()
    assert calls == [1]


def test_writer_sends_raw_stdin(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, docker_side = pair
    stream = AttachedStream(ours, name="t")
    stream.writer.write(b'{"op":"ping"}\n')
    stream.writer.flush()
    assert docker_side.recv(100) == b'{"op":"ping"}\n'
    stream.close()


def test_a_truncated_frame_ends_the_stream(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, docker_side = pair
    stream = AttachedStream(ours, name="t")
    docker_side.sendall(struct.pack(">BxxxL", 1, 100) + b"short")
    docker_side.shutdown(socket.SHUT_RDWR)
    assert _read_exactly(stream, 100) == b"short"
    stream.close()
    assert stream.closed
